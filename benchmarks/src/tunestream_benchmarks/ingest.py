"""``tunestream bench ingest``: what the producer costs in requests, rate budget, speed, memory.

Four measurements, each against the Spotify emulator running in its own process and the
configured Kafka cluster (the local broker by default, started if needed):

1. **Requests** — one new-releases cycle; requests per 1,000 tracks against the fewest the batch
   limits allow for what it found, and against a loop that asks for every item on its own.
2. **Rate budget** — the emulator enforces a budget per rolling 30 s that the producer is not
   told; achieved rate ÷ budget, and the share of requests answered 429.
3. **Kafka write path** — the records of (1), repeated to about a day's worth, written through
   the producer's exactly-once path (pages of 50 records, each record retiring a work item
   queued a unit earlier, with the work-queue state, committed under the source's
   ``commit_max_*`` limits as a cycle does, by the real Committer on the producer's pair of
   transactional producers) ÷ the same records through a plain confluent-kafka producer, in the
   same run.
4. **Memory** — peak RSS of ``tunestream produce --once`` over a day of releases (100,000
   tracks) in full-discovery mode.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, Producer, TopicPartition

from tunestream.config import (
    DEFAULT_TOPICS,
    KafkaSettings,
    ProducerSettings,
    Settings,
    SourceSettings,
)
from tunestream.kafka.broker import LocalBroker
from tunestream.kafka.client import admin_client, client_config
from tunestream.kafka.topics import TopicAdmin
from tunestream.records import Record
from tunestream.runtime.committer import Committer
from tunestream.runtime.service import Producer as SourceProducer
from tunestream.sink.transactional import SinkPair, producer_config
from tunestream.state.work import WorkState
from tunestream_benchmarks.common import BenchError, cpu_model
from tunestream_benchmarks.emulated import Emulator, spotify_environ, spotify_spec, start_emulator

__all__ = ["IngestOptions", "run"]

_WRITE_RECORDS = 250_000
"""Records each round writes (one cycle's, repeated): about a day of releases' albums, tracks,
audio features and artists, and seconds of writing — a rate, not the latency of a commit."""
_PAGE = 50  # records a cycle adds at a time: one page or batch of an API
_WRITE_ROUNDS = 31  # pairs of runs: the ratio is their median, as other work comes and goes
_WARM_UP_S = 30.0  # of pairs not counted before them


@dataclass(frozen=True)
class IngestOptions:
    markets: tuple[str, ...] = ("US", "GB", "SE")
    budget_per_30s: int = 450
    budget_warmup_s: float = 45.0
    budget_seconds: float = 90.0
    memory_tracks: int = 100_000


def _settings(kafka: KafkaSettings, **source: Any) -> Settings:
    """Settings with fresh topics (created here) so runs never see each other's records."""
    suffix = uuid.uuid4().hex[:8]
    topics = {k: {**v, "name": f"bench.{v['name']}.{suffix}"} for k, v in DEFAULT_TOPICS.items()}
    fresh = KafkaSettings.model_validate({**kafka.model_dump(exclude={"topics"}), "topics": topics})
    TopicAdmin(admin_client(fresh)).create(list(fresh.topics.values()))
    values = {"transactional_id": f"bench-{suffix}", **source}
    return Settings(
        kafka=fresh,
        sources=[SourceSettings.model_validate(values)],
        producer=ProducerSettings(metrics_port=None),
    )


def _delete_topics(settings: Settings) -> None:
    TopicAdmin(admin_client(settings.kafka)).delete(
        [t.name for t in settings.kafka.topics.values()]
    )


# -- 1. requests per 1,000 tracks ----------------------------------------------------------------


@dataclass(frozen=True)
class RequestCounts:
    tracks: int
    made: int
    minimum: int
    per_item: int
    by_endpoint: dict[str, int]


def _requests(emulator: Emulator, settings: Settings, options: IngestOptions) -> RequestCounts:
    spec = spotify_spec(emulator, options.markets, requests_per_second=500.0, max_concurrency=8)
    report = asyncio.run(SourceProducer(settings, spec=spec).run(once=True))
    if report is None or not report.completed:
        raise BenchError(f"the cycle did not complete: {report and report.interrupted}")
    counts = emulator.requests()
    made = sum(n for key, n in counts.items() if not key.startswith("POST /api/token"))
    selections = {
        m: emulator.admin("truth/new-releases", country=m)["album_ids"] for m in options.markets
    }
    album_ids = {a for ids in selections.values() for a in ids}
    sizes: dict[str, int] = {}
    offset = 0
    while len(sizes) < len(album_ids):
        page = emulator.admin("truth/albums", offset=offset, limit=10_000)
        sizes.update({a["id"]: a["total_tracks"] for a in page["items"] if a["id"] in album_ids})
        offset += len(page["items"])
        if not page["items"]:
            break
    tracks = sum(sizes.values())
    artists = report.stats["artists"].emitted
    pages = sum(max(1, math.ceil(len(ids) / 50)) for ids in selections.values())
    extra_pages = sum(math.ceil((n - 50) / 50) for n in sizes.values() if n > 50)
    minimum = (
        pages
        + math.ceil(len(album_ids) / 20)
        + extra_pages
        + math.ceil(tracks / 50)
        + math.ceil(tracks / 100)
        + tracks
        + math.ceil(artists / 50)
    )
    per_item = pages + len(album_ids) + extra_pages + 3 * tracks + artists
    by_endpoint = {key: n for key, n in sorted(counts.items())}
    return RequestCounts(tracks, made, minimum, per_item, by_endpoint)


# -- 2. the rate budget --------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetResult:
    budget_rps: float
    seconds: float
    ok: int
    limited: int

    @property
    def achieved_rps(self) -> float:
        return self.ok / self.seconds

    @property
    def limited_share(self) -> float:
        return self.limited / max(1, self.ok + self.limited)


async def _sampled(
    producer: SourceProducer, emulator: Emulator, warmup_s: float, seconds: float
) -> tuple[Counter[str], Counter[str], float]:
    """Run the producer; the emulator's request counts after the warm-up and at the end."""
    task = asyncio.create_task(producer.run(once=True))
    await asyncio.sleep(warmup_s)
    before = await asyncio.to_thread(emulator.requests)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    after = await asyncio.to_thread(emulator.requests)
    elapsed = time.monotonic() - started
    producer.stop()
    report = await task
    if report is not None and report.completed:
        raise BenchError("the cycle ran out of work before the measurement ended")
    return before, after, elapsed


def _budget(folder: Path, kafka: KafkaSettings, options: IngestOptions) -> BudgetResult:
    emulator = start_emulator(folder, rate_limit_per_30s=options.budget_per_30s)
    settings = _settings(kafka)
    try:
        # every market of the spec, so there is more work than the run lasts; the spec's own
        # request budget: it is not told the API's
        spec = spotify_spec(emulator, None)
        producer = SourceProducer(settings, spec=spec)
        before, after, seconds = asyncio.run(
            _sampled(producer, emulator, options.budget_warmup_s, options.budget_seconds)
        )
    finally:
        emulator.stop()
        _delete_topics(settings)
    counts = after - before
    ok = sum(n for key, n in counts.items() if key.startswith("GET") and key.endswith(" 200"))
    limited = sum(n for key, n in counts.items() if key.endswith(" 429"))
    return BudgetResult(options.budget_per_30s / 30, seconds, ok, limited)


# -- 3. the Kafka write path ---------------------------------------------------------------------


@dataclass(frozen=True)
class WriteResult:
    records: int
    transactions: int
    """Transactions the exactly-once path took, under the source's commit limits."""
    megabytes: float
    pairs: list[tuple[float, float]]
    """Seconds of each round: (plain, exactly-once), run back to back."""

    @property
    def plain_s(self) -> float:
        return statistics.median(plain for plain, _ in self.pairs)

    @property
    def exactly_once_s(self) -> float:
        return statistics.median(exactly_once for _, exactly_once in self.pairs)

    @property
    def ratios(self) -> list[float]:
        """Plain seconds ÷ exactly-once seconds, per round, lowest first."""
        return sorted(plain / exactly_once for plain, exactly_once in self.pairs)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def _read_back(kafka: KafkaSettings, topics: list[str]) -> list[Record]:
    consumer = Consumer(
        {
            **client_config(kafka),
            "group.id": uuid.uuid4().hex,
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.message.max.bytes": 32 * 1024 * 1024,
        }
    )
    records: list[Record] = []
    try:
        for topic in topics:
            partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
            consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
            remaining = set(partitions)
            while remaining:
                message = consumer.poll(30)
                if message is None:
                    raise BenchError(f"timed out reading {topic}")
                error = message.error()
                if error is not None:
                    remaining.discard(message.partition())
                    continue
                headers = tuple(
                    (str(pair[0]), pair[1] if isinstance(pair[1], bytes) else b"")
                    for pair in message.headers() or ()
                )
                records.append(Record(topic, message.key() or b"", message.value(), headers))
    finally:
        consumer.close()
    return records


def _write_exactly_once(
    kafka: KafkaSettings, records: list[Record], state_topic: str, source: SourceSettings
) -> tuple[float, int]:
    """Seconds to write ``records`` as a cycle does, and the number of transactions it took."""
    sinks = SinkPair(client_config(kafka), f"bench-{uuid.uuid4().hex}")
    # registered and with the topics' metadata before the clock starts, as the plain producer is
    sinks.start({r.topic for r in records} | {state_topic})
    state = WorkState()
    commits: list[int] = []
    committer = Committer(
        sinks.sinks,
        state,
        state_topic=state_topic,
        prefix="bench/",
        max_records=source.commit_max_records,
        max_bytes=source.commit_max_bytes,
        max_delay_s=source.commit_max_delay_s,
        on_commit=lambda counts: commits.append(sum(counts.values())),
    )

    # As in a cycle, where a stage retires the work an earlier one queued: each record's work
    # item is queued a unit's worth of records before the record retires it, so every item is
    # in one unit's state (a todo group) and leaves it in a later unit's.
    items = [f"{n}/{r.key.decode()}" for n, r in enumerate(records)]
    lead = source.commit_max_records
    context = {"market": "US"}

    def queue(start: int, stop: int) -> None:  # the items a page of a parent's records names
        state.add_todos("bench", items[start:stop], context, dedupe=False)

    async def write() -> None:
        queue(0, lead)
        for start in range(0, len(records), _PAGE):
            queue(start + lead, start + lead + _PAGE)
            state.done("bench", items[start : start + _PAGE], remember_at=None)
            committer.add(records[start : start + _PAGE])
            await committer.maybe_flush()
        await committer.flush()

    started = time.perf_counter()
    asyncio.run(write())
    sinks.close()
    return time.perf_counter() - started, len(commits)


def _write_plain(kafka: KafkaSettings, records: list[Record]) -> float:
    config = producer_config(client_config(kafka), "unused")
    del config["transactional.id"]
    producer = Producer(config)
    # connected before the clock starts, as the sink is by ``start``
    producer.list_topics(timeout=30)
    produce = producer.produce  # called as the sink calls it
    started = time.perf_counter()
    for record in records:
        while True:
            try:
                produce(record.topic, record.value, record.key, headers=list(record.headers))
                break
            except BufferError:
                producer.poll(0.1)
    producer.flush(120)
    return time.perf_counter() - started


def _writes(kafka: KafkaSettings, settings: Settings) -> WriteResult:
    small = ["albums", "tracks", "audio_features", "artists"]
    source = _read_back(kafka, [settings.kafka.topics[k].name for k in small])
    target = _settings(kafka)
    records = [
        Record(target.kafka.topics[_logical(settings, r.topic)].name, r.key, r.value, r.headers)
        for r in source
    ] * math.ceil(_WRITE_RECORDS / max(len(source), 1))
    state_topic = target.kafka.topics["source_state"].name
    pairs: list[tuple[float, float]] = []
    transactions = 0
    try:
        # pairs not counted first: a broker's JIT compiles the paths both ways take for minutes
        # after it starts, and a cluster in service has long done that
        warm = time.monotonic() + _WARM_UP_S
        while time.monotonic() < warm:
            _write_plain(kafka, records)
            _write_exactly_once(kafka, records, state_topic, settings.sources[0])
        # back to back, so both paths of a pair see the same machine; the order alternates, so
        # neither always runs first
        for round_ in range(_WRITE_ROUNDS):
            if round_ % 2:
                exactly_once, transactions = _write_exactly_once(
                    kafka, records, state_topic, settings.sources[0]
                )
                plain = _write_plain(kafka, records)
            else:
                plain = _write_plain(kafka, records)
                exactly_once, transactions = _write_exactly_once(
                    kafka, records, state_topic, settings.sources[0]
                )
            pairs.append((plain, exactly_once))
    finally:
        _delete_topics(target)
    size = sum(len(r.value or b"") for r in records) / 1e6
    return WriteResult(len(records), transactions, size, pairs)


def _logical(settings: Settings, topic: str) -> str:
    return next(k for k, t in settings.kafka.topics.items() if t.name == topic)


# -- 4. memory over a day of releases ------------------------------------------------------------


@dataclass(frozen=True)
class MemoryResult:
    tracks: int
    albums: int
    requests: int
    peak_mb: float
    seconds: float


def _memory(folder: Path, kafka: KafkaSettings, options: IngestOptions) -> MemoryResult:
    emulator = start_emulator(
        folder, tracks_per_day=options.memory_tracks, history_days=1, rate_limit_per_30s=None
    )
    settings = _settings(kafka)
    config = folder / "memory.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(folder / "data"),
                "kafka": settings.kafka.model_dump(mode="json", exclude_none=True),
                "source": {
                    "mode": "full",
                    "skip": ["audio_analysis"],
                    "metrics_port": None,
                    "transactional_id": settings.sources[0].transactional_id,
                    "rate_limit": {"requests_per_second": 1000, "max_concurrency": 8},
                },
            }
        )
    )
    # the producer's own peak RSS, printed as it exits
    program = (
        "import atexit, resource, sys\n"
        "atexit.register(lambda: print('peak_kb', resource.getrusage(resource.RUSAGE_SELF)"
        ".ru_maxrss, file=sys.stderr))\n"
        f"sys.argv = ['tunestream', '-c', {str(config)!r}, 'produce', '--once']\n"
        "from tunestream.cli import main\n"
        "main()\n"
    )
    try:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", program],
            env={**os.environ, **spotify_environ(emulator)},
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - started
        if done.returncode != 0:
            raise BenchError(f"the day-long cycle failed: {done.stderr.strip()[-500:]}")
        truth = emulator.admin("truth")
        counts = emulator.requests()
    finally:
        emulator.stop()
        _delete_topics(settings)
    peaks = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak_kb ")]
    if not peaks:
        raise BenchError("the producer did not report its peak memory")
    peak_kb = int(peaks[-1])
    requests = sum(n for key, n in counts.items() if key.startswith("GET"))
    return MemoryResult(
        truth["new"]["tracks"], truth["new"]["albums"], requests, peak_kb / 1024, seconds
    )


# -- the run and its report ----------------------------------------------------------------------


def run(settings: Settings, options: IngestOptions, command: str) -> str:
    """Run the four measurements; return the markdown section."""
    kafka = settings.kafka
    broker = LocalBroker(kafka.local, settings.data_dir) if kafka.uses_local_broker else None
    started_broker = broker.start() if broker is not None else False
    try:
        with tempfile.TemporaryDirectory(prefix="tunestream-bench-") as tmp:
            folder = Path(tmp)
            emulator = start_emulator(
                folder, rate_limit_per_30s=None, markets=list(options.markets)
            )
            first = _settings(kafka)
            try:
                try:
                    counts = _requests(emulator, first, options)
                finally:
                    emulator.stop()
                budget = _budget(folder, kafka, options)
                memory = _memory(folder, kafka, options)
                # last: by now the broker has run the producer's transactions for minutes
                writes = _writes(kafka, first)
            finally:
                _delete_topics(first)
    finally:
        if broker is not None and started_broker:
            broker.stop()
    return _report(counts, budget, writes, memory, options, command)


def _table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table; columns after the first align right."""
    rule = ["---"] + ["---:"] * (len(header) - 1)
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _report(
    counts: RequestCounts,
    budget: BudgetResult,
    writes: WriteResult,
    memory: MemoryResult,
    options: IngestOptions,
    command: str,
) -> str:
    per_k = 1000 / counts.tracks

    def requests_row(name: str, n: int) -> list[str]:
        return [name, f"{n:,}", f"{n * per_k:,.1f}", f"{n / counts.minimum:.3f}"]

    requests = _table(
        ["", "requests", "per 1,000 tracks", "÷ minimum"],
        [
            requests_row("tunestream", counts.made),
            requests_row("theoretical minimum", counts.minimum),
            requests_row("one request per item", counts.per_item),
        ],
    )
    endpoints = _table(
        ["emulator endpoint and status", "requests"],
        [[key, f"{n:,}"] for key, n in counts.by_endpoint.items()],
    )
    answered = budget.ok + budget.limited
    rate = _table(
        ["run", "successful req/s", "budget req/s", "achieved ÷ budget", "answered 429"],
        [
            [
                f"{budget.seconds:.0f} s",
                f"{budget.achieved_rps:.2f}",
                f"{budget.budget_rps:.2f}",
                f"{budget.achieved_rps / budget.budget_rps:.3f}",
                f"{budget.limited:,} of {answered:,} ({budget.limited_share:.2%})",
            ]
        ],
    )
    write = _table(
        ["path", "seconds", "records/s", "ratio"],
        [
            [
                "plain confluent-kafka producer (idempotent, zstd; no transactions, no state)",
                f"{writes.plain_s:.2f}",
                f"{writes.records / writes.plain_s:,.0f}",
                "1.000",
            ],
            [
                f"tunestream exactly-once ({writes.transactions} transactions with state, "
                "under the producer's commit limits)",
                f"{writes.exactly_once_s:.2f}",
                f"{writes.records / writes.exactly_once_s:,.0f}",
                f"{writes.ratio:.3f}",
            ],
        ],
    )
    peak = _table(
        ["tracks in the day", "albums", "requests", "cycle seconds", "peak RSS"],
        [
            [
                f"{memory.tracks:,}",
                f"{memory.albums:,}",
                f"{memory.requests:,}",
                f"{memory.seconds:.0f}",
                f"{memory.peak_mb:,.0f} MB",
            ]
        ],
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lowest, highest = writes.ratios[0], writes.ratios[-1]
    quarter, _, three_quarters = statistics.quantiles(writes.ratios, n=4)
    return f"""## Producer: requests, rate budget, Kafka write path, memory

Command: `{command}`

Run {now} on {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, against
the Spotify emulator (its own process) and a local single-node Kafka broker.

### Requests per 1,000 tracks (new-releases mode, markets {", ".join(options.markets)})

One cycle found {counts.tracks:,} tracks. The minimum is what the batch limits allow for the
entities the cycle found (20 albums, 50 tracks, 100 audio features, 50 artists a request; one
analysis per track; the discovery pages; extra track pages of albums past 50 tracks). The
per-item loop asks for every album, track, audio-features object, analysis and artist on its own.

{requests}

{endpoints}

### Rate budget

The emulator allows {options.budget_per_30s} requests per rolling 30 s; the producer is not told
and starts from its spec's budget (20 requests/s), adapting on 429s and honouring Retry-After.
Counted after a {options.budget_warmup_s:g} s warm-up, while the cycle still had more work than
the budget allows.

{rate}

### Kafka write path

The same {writes.records:,} records ({writes.megabytes:,.1f} MB of values) in the same run, with the
same producer settings (idempotent, zstd, linger and batch size of the sink), {_WRITE_ROUNDS} rounds
each writing them both ways back to back, which way first alternating. They run after the other
measurements and {_WARM_UP_S:g} s of pairs not counted: a broker's JIT compiles the paths both ways
take for minutes after it starts (a cluster in service has long done that). The exactly-once path
is the producer's: two transactional producers taking turns, one unit committing while the next
fills the other, each unit's work-state records in its transaction (every record retires a work
item queued a unit's worth of records earlier, as a cycle's stage retires what the one before it
queued: most items are written to the state topic in one unit and deleted in a later one).
Seconds are the medians; the ratio is the median of the rounds' ratios, which ranged
{lowest:.3f} to {highest:.3f} (middle half {quarter:.3f} to {three_quarters:.3f}).

{write}

### Peak memory over a day of releases (full discovery, audio analysis off)

{peak}
"""
