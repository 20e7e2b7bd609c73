"""Partitions and topic layout: producer throughput and end-to-end latency into Delta tables.

Each configuration is a partition count and a layout — one topic per entity (the default), or a
single topic whose records carry a ``tunestream.entity`` header — on fresh topics of a broker
started for the run. The records are a day of releases as the producer emits them
(:mod:`tunestream_benchmarks.sample`).

1. **Throughput** — the records written through the producer's exactly-once path
   (:class:`~tunestream.runtime.committer.Committer` units on the
   :class:`~tunestream.sink.transactional.SinkPair`), every configuration once per
   round, rounds interleaved so all see the same machine; the median per configuration.
2. **Latency** — a Structured Streaming query (a trigger every second) appends the records to a
   Delta table partitioned by entity, the entity taken from the topic or, in the single-topic
   layout, from the header (records without one are dropped), while records arrive at a steady
   rate through the same write path. Per row: from its Kafka timestamp to the moment the Delta
   commit that added it was written (the commit file's modification time).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import cycle, islice
from pathlib import Path
from typing import Literal

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming.query import StreamingQuery

from tunestream.config import KafkaSettings, Settings, SourceSettings, TopicSettings
from tunestream.kafka.client import admin_client, client_config
from tunestream.kafka.topics import TopicAdmin
from tunestream.records import Record
from tunestream.runtime.committer import Committer
from tunestream.sink.transactional import SinkPair
from tunestream.spark.session import build_session, kafka_options
from tunestream.state.work import WorkState
from tunestream.tables.commits import added_files, commit_latencies
from tunestream_benchmarks.common import BenchError
from tunestream_benchmarks.plots import lines, table
from tunestream_benchmarks.sample import ENTITY_TOPICS, record_bytes

__all__ = [
    "ENTITY_HEADER",
    "LAYOUTS",
    "Layout",
    "PartitionOptions",
    "PartitionResult",
    "baseline",
    "percentile",
    "plots",
    "report",
    "run",
]

Layout = Literal["per-entity", "single"]
LAYOUTS: tuple[Layout, ...] = ("per-entity", "single")
ENTITY_HEADER = "tunestream.entity"
_STATE_TOPIC = "state"


@dataclass(frozen=True)
class PartitionOptions:
    partitions: tuple[int, ...] = (1, 2, 4, 8, 16)
    rounds: int = 3
    rate: float = 40.0
    """Records a second in the latency phase."""
    live_s: float = 15.0
    warmup_s: float = 4.0
    """Rows produced in the first seconds of the latency phase are not counted."""
    drain_timeout_s: float = 180.0


@dataclass(frozen=True)
class PartitionResult:
    layout: Layout
    partitions: int
    records: int
    megabytes: float
    write_s: float
    """Median seconds to write the records once."""
    latencies: list[float]
    live_records: int
    committed_records: int
    commits: int
    files: int
    disk_bytes: dict[str, int]
    """Per entity topic: bytes of its log segments on the broker (zstd batches), all rounds."""
    raw_bytes: dict[str, int]
    """Per entity topic: key + value + header bytes written to it, all rounds."""

    @property
    def partitions_read(self) -> int:
        """Kafka partitions the query reads: Spark tasks in each micro-batch."""
        return self.partitions * (len(ENTITY_TOPICS) if self.layout == "per-entity" else 1)

    @property
    def records_per_s(self) -> float:
        return self.records / self.write_s

    @property
    def megabytes_per_s(self) -> float:
        return self.megabytes / self.write_s

    @property
    def p50_s(self) -> float:
        return percentile(self.latencies, 0.5)

    @property
    def p99_s(self) -> float:
        return percentile(self.latencies, 0.99)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class _Config:
    layout: Layout
    partitions: int
    suffix: str

    def topic(self, entity: str, phase: str) -> str:
        name = entity if self.layout == "per-entity" else "all"
        return f"bench.{phase}.{self.suffix}.{name}"

    def topics(self, phase: str) -> list[str]:
        return sorted({self.topic(entity, phase) for entity in ENTITY_TOPICS})

    def route(self, record: Record, phase: str) -> Record:
        headers = record.headers
        if self.layout == "single":
            headers = (*headers, (ENTITY_HEADER, record.topic.encode()))
        return Record(self.topic(record.topic, phase), record.key, record.value, headers)


def run(
    settings: Settings,
    log_dir: Path,
    records: list[Record],
    options: PartitionOptions,
) -> list[PartitionResult]:
    """Every configuration on ``settings.kafka`` (whose broker keeps its logs in ``log_dir``)."""
    kafka = settings.kafka
    admin = TopicAdmin(admin_client(kafka))
    configs = [
        _Config(layout, n, f"{layout}-{n}-{uuid.uuid4().hex[:6]}")
        for n in options.partitions
        for layout in LAYOUTS
    ]
    created: list[str] = []

    def create(config: _Config, phase: str) -> None:
        names = config.topics(phase)
        topics = [
            TopicSettings(name=name, partitions=config.partitions, compression_type="zstd")
            for name in names
        ]
        admin.create(topics)
        created.extend(names)

    try:
        for config in configs:
            create(config, "write")
        write_s = _throughputs(kafka, settings.sources[0], configs, records, options.rounds)
        with tempfile.TemporaryDirectory(prefix="tunestream-bench-partitions-") as tmp:
            spark = build_session(settings)
            try:
                results = []
                for config in configs:
                    create(config, "live")
                    live = _latency(spark, settings, config, records, options, Path(tmp))
                    disk, raw = _sizes(config, log_dir, records, options.rounds)
                    results.append(
                        PartitionResult(
                            config.layout,
                            config.partitions,
                            len(records),
                            sum(record_bytes(r) for r in records) / 1e6,
                            statistics.median(write_s[config]),
                            *live,
                            disk,
                            raw,
                        )
                    )
            finally:
                spark.stop()
    finally:
        admin.delete(created)
    return results


# -- the write path ------------------------------------------------------------------------------


def _sink(kafka: KafkaSettings) -> SinkPair:
    sinks = SinkPair(client_config(kafka), f"bench-{uuid.uuid4().hex}")
    sinks.start()
    return sinks


async def _produce(
    sinks: SinkPair,
    records: Iterator[Record],
    source: SourceSettings,
    pace: float | None = None,
) -> int:
    """Write as the producer does (its unit limits); ``pace``: records a second. The count."""
    committer = Committer(
        sinks.sinks,
        WorkState(),
        state_topic=_STATE_TOPIC,
        prefix="bench/",
        max_records=source.commit_max_records,
        max_delay_s=source.commit_max_delay_s,
    )
    started = time.monotonic()
    count = 0
    for record in records:
        if pace is not None:
            await asyncio.sleep(max(0.0, started + count / pace - time.monotonic()))
        committer.add([record])
        await committer.maybe_flush()
        count += 1
    await committer.flush()
    return count


def _throughputs(
    kafka: KafkaSettings,
    source: SourceSettings,
    configs: list[_Config],
    records: list[Record],
    rounds: int,
) -> dict[_Config, list[float]]:
    """Seconds to write ``records`` once, per configuration and round (rounds interleaved)."""
    sinks = {config: _sink(kafka) for config in configs}
    seconds: dict[_Config, list[float]] = {config: [] for config in configs}
    try:
        for _ in range(rounds):
            for config in configs:
                routed = [config.route(r, "write") for r in records]
                started = time.perf_counter()
                asyncio.run(_produce(sinks[config], iter(routed), source))
                seconds[config].append(time.perf_counter() - started)
    finally:
        for sink in sinks.values():
            sink.close()
    return seconds


def _sizes(
    config: _Config, log_dir: Path, records: list[Record], rounds: int
) -> tuple[dict[str, int], dict[str, int]]:
    """Per entity topic of a per-entity layout: bytes on the broker's disk and bytes written."""
    if config.layout != "per-entity":
        return {}, {}
    disk = {
        entity: sum(
            segment.stat().st_size
            for segment in log_dir.glob(f"{config.topic(entity, 'write')}-*/*.log")
        )
        for entity in ENTITY_TOPICS
    }
    raw = {
        entity: rounds * sum(record_bytes(r) for r in records if r.topic == entity)
        for entity in ENTITY_TOPICS
    }
    return disk, raw


# -- latency into Delta tables -------------------------------------------------------------------


def _entity_column(config: _Config) -> Column:
    if config.layout == "single":
        header = F.filter("headers", lambda h: h["key"] == F.lit(ENTITY_HEADER))
        return F.element_at(header, 1)["value"].cast("string")
    pairs = [F.lit(part) for e in ENTITY_TOPICS for part in (config.topic(e, "live"), e)]
    return F.element_at(F.create_map(*pairs), F.col("topic"))


def _start_query(
    spark: SparkSession, settings: Settings, config: _Config, tables: Path
) -> StreamingQuery:
    """Append every record to one Delta table partitioned by entity: a commit a micro-batch."""
    entity = _entity_column(config)
    return (
        spark.readStream.format("kafka")
        .options(**kafka_options(settings.kafka))
        .option("subscribe", ",".join(config.topics("live")))
        .option("startingOffsets", "earliest")
        .option("includeHeaders", "true")
        .load()
        .select(entity.alias("entity"), "key", "value", "partition", "offset", "timestamp")
        .where(F.col("entity").isNotNull())
        .writeStream.format("delta")
        .partitionBy("entity")
        .option("checkpointLocation", str(tables / "_checkpoint"))
        .trigger(processingTime="1 second")
        .start(str(tables / "records"))
    )


def _latency(
    spark: SparkSession,
    settings: Settings,
    config: _Config,
    records: list[Record],
    options: PartitionOptions,
    folder: Path,
) -> tuple[list[float], int, int, int, int]:
    """(latencies, records produced, rows committed, Delta commits, data files)."""
    tables = folder / config.suffix
    query = _start_query(spark, settings, config, tables)
    sink = _sink(settings.kafka)
    try:
        # warm-up: a record of each entity creates the tables and warms the query up
        first = [next(r for r in records if r.topic == t) for t in ENTITY_TOPICS]
        asyncio.run(_produce(sink, (config.route(r, "live") for r in first), settings.sources[0]))
        _await_rows(query, tables, len(first), 120.0)
        count = int(options.rate * options.live_s)
        stream = (config.route(r, "live") for r in islice(cycle(records), count))
        started = time.time()
        asyncio.run(_produce(sink, stream, settings.sources[0], pace=options.rate))
        _await_rows(query, tables, len(first) + count, options.drain_timeout_s)
    finally:
        sink.close()
        query.stop()
    adds = list(added_files(tables / "records"))
    latencies = commit_latencies(tables / "records", "timestamp", started + options.warmup_s)
    commits = len({log for log, _, _ in adds})
    return latencies, count, sum(n for _, _, n in adds) - len(first), commits, len(adds)


def _await_rows(query: StreamingQuery, tables: Path, rows: int, timeout_s: float) -> None:
    """Until the tables hold ``rows`` rows (or the time is up: the report shows the shortfall)."""
    deadline = time.monotonic() + timeout_s
    while sum(n for _, _, n in added_files(tables / "records")) < rows and (
        time.monotonic() < deadline
    ):
        if query.exception() is not None:
            raise BenchError(f"the streaming query failed: {query.exception()}")
        time.sleep(0.25)


# -- the report ----------------------------------------------------------------------------------


def baseline(results: list[PartitionResult], partitions: int) -> PartitionResult:
    """The configured layout: a topic per entity with ``partitions`` (else the fewest)."""
    per_entity = [r for r in results if r.layout == "per-entity"]
    exact = [r for r in per_entity if r.partitions == partitions]
    return exact[0] if exact else min(per_entity, key=lambda r: r.partitions)


def recommendation(results: list[PartitionResult], partitions: int, needed: float) -> str:
    """What the numbers say about partition count and layout (markdown); ``needed``: the
    records/s the latency phase ran at."""
    base = baseline(results, partitions)
    entity = sorted((r for r in results if r.layout == "per-entity"), key=lambda r: r.partitions)
    single = {r.partitions: r for r in results if r.layout == "single"}
    fastest = max(entity, key=lambda r: r.records_per_s)
    quickest = min(entity, key=lambda r: r.p50_s)
    # the fewest partitions within 10 % of the best throughput and the best median latency
    good = [
        r
        for r in entity
        if r.records_per_s >= 0.9 * fastest.records_per_s and r.p50_s <= 1.1 * quickest.p50_s
    ]
    pick = (good or [quickest])[0]
    slowest = min(results, key=lambda r: r.records_per_s)
    by_read = sorted(results, key=lambda r: (r.partitions_read, r.p50_s))
    read = ", ".join(f"{r.partitions_read} → {r.p50_s:.1f} s" for r in by_read)
    rate_ratio = statistics.median(
        single[r.partitions].records_per_s / r.records_per_s for r in entity
    )
    p50_ratio = statistics.median(single[r.partitions].p50_s / r.p50_s for r in entity)
    files = [r.files / max(1, r.commits) for r in entity]
    return (
        f"- **Partitions: {pick.partitions} a topic.** Every configuration wrote far faster "
        f"than the {needed:.1f} records/s of a million tracks a day (the slowest: "
        f"{slowest.records_per_s:,.0f} records/s, {slowest.records_per_s / needed:,.0f}x), so "
        f"the producer needs no partitions for speed. Latency follows the partitions the "
        f"query reads, one Spark task each in every micro-batch (partitions read → p50: "
        f"{read}), and each partition adds a small file to every Delta commit (a topic per entity: "
        f"{files[0]:.1f} → {files[-1]:.1f} files a commit). {pick.partitions} is the fewest "
        f"partitions a topic within 10 % of the best throughput and of the best median "
        f"latency of a topic per entity: {pick.records_per_s / base.records_per_s:.2f}x the "
        f"configured {base.partitions} partitions' records/s, p50 {pick.p50_s:.2f} s against "
        f"{base.p50_s:.2f} s.\n"
        f"- **Layout: a topic per entity.** A single topic with the entity header wrote at "
        f"{rate_ratio:.2f}x the records/s of a topic per entity and had {p50_ratio:.2f}x its "
        f"median latency, at the same partitions a topic (medians over the counts); "
        f"{_layout_verdict(rate_ratio, p50_ratio)}\n"
        f"- **This machine:** two cores, shared with other work while this ran. Spark "
        f"(`local[*]`) runs two tasks at a time, so partitions read past two add tasks and "
        f"files but no parallelism here, and the producer, the broker and Spark share the "
        f"same two cores. On a cluster the partitions bound how many executor cores read a "
        f"topic at once: raise them to the cores that should read it, not beyond."
    )


def _layout_verdict(rate_ratio: float, p50_ratio: float) -> str:
    if p50_ratio < 0.9:
        gain = (
            "its lower latency comes from reading a fifth of the partitions (a topic per "
            "entity with fewer partitions reads as few), "
        )
    elif rate_ratio > 1.1:
        gain = "its faster writes are far above what any day needs, "
    else:
        gain = "no difference past the noise, "
    return (
        f"{gain}while a topic per entity is what the job reads, keeps retention and "
        "`max.message.bytes` per entity (audio analyses are a hundred times the size of the "
        "rest), and spares a reader of one entity fetching and dropping the others' bytes."
    )


def report(
    results: list[PartitionResult],
    options: PartitionOptions,
    partitions: int,
    images: list[str],
    command: str,
) -> str:
    """The markdown section."""
    base = baseline(results, partitions)
    rows = [
        [
            r.layout,
            str(r.partitions),
            str(r.partitions_read),
            f"{r.records_per_s:,.0f}",
            f"{r.megabytes_per_s:,.1f}",
            f"{r.records_per_s / base.records_per_s:.2f}",
            f"{r.p50_s:.2f}",
            f"{r.p99_s:.2f}",
            f"{r.committed_records:,} of {r.live_records:,}",
            f"{r.files / max(1, r.commits):.1f}",
        ]
        for r in results
    ]
    configs = table(
        [
            "layout",
            "partitions a topic",
            "partitions read",
            "records/s",
            "MB/s",
            "÷ baseline",
            "p50 s",
            "p99 s",
            "rows in tables",
            "files a commit",
        ],
        rows,
    )
    first = results[0]
    return f"""## Partitions and topic layout

Command: `{command}`

Records: a day of releases as the producer emits them ({first.records:,} records,
{first.megabytes:,.1f} MB a pass; audio analyses are most of the bytes). Throughput: each
configuration writes them through the exactly-once path (the producer's transaction limits), once
per round, {options.rounds} rounds interleaved; the median. Latency: {options.rate:.1f} records/s
for {options.live_s:g} s (the first {options.warmup_s:g} s not counted) while a Structured
Streaming query (trigger 1 s) appends them to a Delta table partitioned by entity (taken from the
topic, or from the header in the single-topic layout); Kafka timestamp → the Delta commit that
added the row. "÷ baseline" divides by the configured layout (a topic per entity,
{base.partitions} partitions). The machine was noisy: compare rows of this run with each other.

{configs}

{chr(10).join(images)}

### Recommendation

{recommendation(results, partitions, options.rate)}
"""


def plots(results: list[PartitionResult], folder: Path) -> list[Path]:
    """Throughput and latency against the partition count, one line per layout."""

    def series(
        value: str, x: str = "partitions"
    ) -> dict[str, tuple[Sequence[float], Sequence[float]]]:
        out: dict[str, tuple[Sequence[float], Sequence[float]]] = {}
        for layout in LAYOUTS:
            rows = sorted((r for r in results if r.layout == layout), key=lambda r: r.partitions)
            out[f"{layout} {value.removesuffix('_s')}"] = (
                [getattr(r, x) for r in rows],
                [getattr(r, value) for r in rows],
            )
        return out

    throughput = lines(
        folder / "partitions-throughput.png",
        "Producer throughput (exactly-once path)",
        ("partitions a topic", "records/s"),
        series("records_per_s"),
        log_x=True,
    )
    latency = lines(
        folder / "partitions-latency.png",
        "Kafka timestamp → Delta commit, against the partitions the query reads",
        ("partitions read (Spark tasks a micro-batch)", "seconds"),
        {**series("p50_s", "partitions_read"), **series("p99_s", "partitions_read")},
        log_x=True,
    )
    return [throughput, latency]
