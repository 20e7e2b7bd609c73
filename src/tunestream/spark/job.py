"""The streaming job: Kafka → ``records`` (stage 1, :mod:`.ingest`) → entity and derived tables.

Two Structured Streaming queries in one application (:class:`.streams.Streams`). Stage 1 reads
the Spotify source's five topics, the three enrichments' (:mod:`tunestream.sources.enrichment`:
those that exist, each read from its first record once it appears — a cluster where no enrichment
source runs lacks them), the producers' plan topic and their dead-letter topic (``read_committed``:
only records of committed producer transactions) and appends each batch to ``records`` once,
through Spark's Parquet file sink. Stage 2 (:meth:`Job.process_batch`) streams ``records`` (the
file source, over the files the sink's log lists) into ``quarantine`` (what did not parse), the
entity and enrichment tables, ``source_plans``, ``analysis_refusals`` and the derived tables.
Each query commits a batch's offsets to its checkpoint only after the batch was written, so a
killed job redoes its last batch of each on restart: stage 1's appends are idempotent (the sink's
log has an entry per batch id, and a batch it has is skipped), stage 2's writes are keyed Delta
MERGEs — no row missing, none doubled. The queries share the cores through fair scheduling, so
stage 2's MERGEs do not hold up the appends of stage 1.

A stage-2 batch costs a fixed number of Spark jobs, not one per table it might touch: one aggregate
says which entities the batch holds (filling the cache every later step reads); tables it does not
touch are not written; the entity MERGEs run concurrently, then the derived ones; the features
timeout sweeps only the tracks whose wait ended since the last batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming.query import StreamingQuery
from pyspark.sql.streaming.readwriter import DataStreamWriter

from tunestream.config import Settings
from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sources import spotify
from tunestream.sources.enrichment import ENRICHMENTS
from tunestream.sources.plan import PLAN
from tunestream.spark import derived, plans, refusals
from tunestream.spark.derived.base import Batch, Derived
from tunestream.spark.derived.tracks_enriched import WATERMARK_ENTITIES, watermark_us
from tunestream.spark.entities import (
    ALBUM_MARKETS,
    ALBUM_MARKETS_KEYS,
    ENTITY_TABLES,
    KEYED,
    ROWS,
    album_markets,
    documents,
)
from tunestream.spark.ingest import Ingest, subscription
from tunestream.spark.lake import QUARANTINE, Lake
from tunestream.spark.parse import DOCUMENT_COLUMNS, QUARANTINE_COLUMNS
from tunestream.spark.session import kafka_options
from tunestream.spark.streams import Streams
from tunestream.tables.layout import QUERY_NAME, TABLES_QUERY_NAME

__all__ = ["TOPIC_KEYS", "Job", "start_job"]

log = logging.getLogger(__name__)

TOPIC_KEYS = {
    **{e.topic: e.name for e in spotify.ENTITIES},
    PLAN: PLAN,
    DEAD_LETTER_TOPIC: DEAD_LETTER_TOPIC,
}
"""``kafka.topics`` key → the name the job gives its records: the entity's, ``source_plan`` or
``dead_letter``; the enrichments' topics are ``kafka.records_topic`` of their spec and key."""


@dataclass
class _Progress:
    """What the driver remembers between batches of one run (rebuilt from the tables at start).

    ``watermark_us``: the latest event time of a track, features or analysis (what the features
    timeout of tracks_enriched counts from). ``delivered``: the entities the producers' plans
    deliver (read from ``source_plans`` at start and after a batch that held a plan).
    """

    started: bool = False
    watermark_us: int | None = None
    delivered: frozenset[str] = frozenset(spotify.NAMES)


@dataclass(frozen=True)
class _Summary:
    """One aggregate over a batch: good rows per entity, bad rows, the latest event time."""

    good: dict[str, int]
    bad: int
    latest_us: int | None


@dataclass(frozen=True)
class Job:
    """What a micro-batch needs: where the tables are, which topic is which entity, the timeout."""

    lake: Lake
    topic_entities: Mapping[str, str]
    features_timeout_s: float
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    """Seconds spent per step in the last batch (for the log and the benchmark)."""
    latencies: list[float] | None = field(default=None, compare=False)
    """When a list: each record's seconds from its Kafka timestamp to its batch's end (bench)."""
    progress: _Progress = field(default_factory=_Progress, compare=False)
    derived: tuple[Derived, ...] = field(default_factory=derived.tables, compare=False)
    """The derived tables, written after the entity tables of each batch."""

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def _concurrently(self, steps: Mapping[str, Callable[[], None]]) -> None:
        """Run independent steps (writes to different tables) as concurrent Spark jobs."""

        def timed(name: str, step: Callable[[], None]) -> None:
            with self._step(name):
                step()

        with ThreadPoolExecutor(max_workers=max(1, len(steps))) as pool:
            futures = [pool.submit(timed, name, step) for name, step in steps.items()]
        for future in futures:
            future.result()

    @classmethod
    def from_settings(cls, settings: Settings) -> Job:
        kafka = settings.kafka
        topics = {kafka.topics[k].name: e for k, e in TOPIC_KEYS.items()}
        topics |= {kafka.records_topic(e.spec, e.topic).name: e.name for e in ENRICHMENTS}
        root = settings.spark.tables_path(settings.data_dir)
        return cls(Lake(root), topics, settings.spark.features_timeout_s)

    def create_tables(self, spark: SparkSession) -> None:
        """Create every Delta table, empty, that does not exist yet (their schemas come from the
        code; ``records`` is made by stage 1's sink). When all exist, nothing is built: the
        derived tables' plans take seconds to analyse."""
        names = (QUARANTINE, *ENTITY_TABLES, plans.PLANS, refusals.REFUSALS)
        names += tuple(d.name for d in self.derived)
        if all(map(self.lake.exists, names)):
            return
        records = Ingest(self.lake, self.topic_entities).shape(spark)
        self.lake.create(records.select(*QUARANTINE_COLUMNS), QUARANTINE)
        for name, keyed in KEYED.items():
            self.lake.create(ROWS[name](documents(records, name)), keyed.table)
        self.lake.create(album_markets(documents(records, "album")), ALBUM_MARKETS)
        self.lake.create(plans.ROWS(documents(records, PLAN)), plans.PLANS)
        dead_letters = documents(records, DEAD_LETTER_TOPIC)
        self.lake.create(refusals.refusals(dead_letters, self.topic_entities), refusals.REFUSALS)
        for table in self.derived:
            self.lake.create(table.shape(self.lake, spark), table.name)

    def process_batch(self, batch: DataFrame, batch_id: int) -> None:
        """Write one micro-batch of ``records`` to every table; safe to run again for it."""
        self.timings.clear()
        started = time.perf_counter()
        # Structured Streaming turns adaptive execution off in the query's session (for stateful
        # operators; this query has none). The batch's joins and MERGEs want it back: shuffles
        # coalesced to what the data needs, and so fewer, larger files per write.
        session = batch.sparkSession
        adaptive = session.sparkContext.getConf().get("spark.sql.adaptive.enabled", "true")
        session.conf.set("spark.sql.adaptive.enabled", adaptive)
        rows = batch.coalesce(session.sparkContext.defaultParallelism).persist(
            StorageLevel.MEMORY_AND_DISK
        )
        try:
            with self._step("count"):
                summary = _summarise(rows)
            if self.latencies is not None:
                stamps = [r[0] for r in rows.select(F.unix_micros("kafka_ts")).collect()]
            if summary.bad:
                with self._step("quarantine"):
                    self.lake.insert_new(
                        rows.where(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS),
                        QUARANTINE,
                        ["topic", "partition", "offset"],
                    )
            parsed = {e: documents(rows, e) for e in DOCUMENT_COLUMNS}
            self._process(session, parsed, summary)
            if self.latencies is not None:
                now_us = time.time() * 1_000_000
                self.latencies.extend((now_us - s) / 1_000_000 for s in stamps)
        finally:
            rows.unpersist()
        log.info(
            "tables batch %d done in %.1f s (%s)",
            batch_id,
            time.perf_counter() - started,
            ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()),
        )

    def _process(
        self,
        spark: SparkSession,
        parsed: Mapping[str, DataFrame],
        summary: _Summary,
    ) -> None:
        lake = self.lake
        latest = {
            e: ROWS[e](parsed[e]).persist(StorageLevel.MEMORY_AND_DISK)
            for e in KEYED
            if summary.good.get(e)
        }
        moved: dict[str, DataFrame] = {}
        try:
            writes: dict[str, Callable[[], None]] = {}
            for e, frame in latest.items():
                keyed = KEYED[e]
                writes[keyed.table] = partial(lake.upsert_latest, frame, keyed.table, [keyed.key])
            if "album" in latest:
                markets = album_markets(parsed["album"])
                writes[ALBUM_MARKETS] = partial(
                    lake.keep_earliest, markets, ALBUM_MARKETS, ALBUM_MARKETS_KEYS
                )
            if summary.good.get(PLAN):
                source_plans = plans.ROWS(parsed[PLAN])
                writes[plans.PLANS] = partial(
                    lake.upsert_latest, source_plans, plans.PLANS, [plans.ROWS.key]
                )
            refused = None
            if summary.good.get(DEAD_LETTER_TOPIC):
                refused = refusals.refusals(parsed[DEAD_LETTER_TOPIC], self.topic_entities)
                writes[refusals.REFUSALS] = partial(
                    lake.upsert_latest, refused, refusals.REFUSALS, [refusals.ROWS.key]
                )
            for table in self.derived:
                moving = table.moving(lake, spark, latest)
                if moving is not None:
                    written, slices = moving
                    writes[written] = partial(
                        self._write_moving, moved, table.name, slices, writes[written]
                    )
            self._concurrently(writes)
            held = latest.keys() | (summary.good.keys() & {PLAN, DEAD_LETTER_TOPIC})
            if held:
                self._advance(spark, summary)
                batch = Batch(
                    spark, lake, latest, self._cutoff_us(), moved, self.progress.delivered, refused
                )
                self._concurrently(
                    {
                        table.name: partial(table.write, batch)
                        for table in self.derived
                        if held & table.triggers
                    }
                )
        finally:
            for frame in latest.values():
                frame.unpersist()

    @staticmethod
    def _write_moving(
        moved: dict[str, DataFrame], table: str, slices: DataFrame, write: Callable[[], None]
    ) -> None:
        """Keep the derived ``table``'s ``slices`` the batch's albums are in *before* ``write``:
        an album seen earlier than known moves to another hour or day, and the slice it leaves
        must be recomputed too. Materialized first, so the write does not change them."""
        moved[table] = slices.localCheckpoint()
        write()

    def _advance(self, spark: SparkSession, summary: _Summary) -> None:
        """Move the watermark, and read the plans anew at start and after a batch's plans."""
        progress = self.progress
        if not progress.started or summary.good.get(PLAN):
            progress.delivered = plans.read_delivered(self.lake, spark, self.topic_entities)
        if not progress.started:
            progress.watermark_us = watermark_us(self.lake, spark)
            progress.started = True
        elif summary.latest_us is not None:
            progress.watermark_us = max(
                progress.watermark_us or summary.latest_us, summary.latest_us
            )

    def _cutoff_us(self) -> int | None:
        watermark = self.progress.watermark_us
        if watermark is None:
            return None
        return watermark - round(self.features_timeout_s * 1_000_000)


def _summarise(rows: DataFrame) -> _Summary:
    """Count the batch per entity (one Spark job, which also fills the rows' cache)."""
    counted = (
        rows.groupBy("entity", F.col("reason").isNull().alias("good"))
        .agg(F.count(F.lit(1)).alias("n"), F.unix_micros(F.max("event_time")).alias("latest"))
        .collect()
    )
    good = [r for r in counted if r["good"]]
    stamps = [r["latest"] for r in good if r["entity"] in WATERMARK_ENTITIES]
    return _Summary(
        good={r["entity"]: r["n"] for r in good},
        bad=sum(r["n"] for r in counted if not r["good"]),
        latest_us=max(stamps, default=None),
    )


def start_job(
    spark: SparkSession,
    settings: Settings,
    *,
    available_now: bool = False,
    job: Job | None = None,
) -> Streams:
    """Create the tables if needed and start both stages; ``available_now``: stop when caught
    up (stage 1 first, then stage 2)."""
    job = job or Job.from_settings(settings)
    ingest = Ingest(job.lake, job.topic_entities)
    checkpoints = settings.spark.checkpoints_path(settings.data_dir)
    ingest.check(checkpoints / QUERY_NAME, checkpoints / TABLES_QUERY_NAME)
    job.create_tables(spark)
    source = (
        spark.readStream.format("kafka")
        .options(**kafka_options(settings.kafka))
        .option("subscribePattern", subscription(job.topic_entities))
        .option("startingOffsets", "earliest")
        .option("includeHeaders", "true")
    )
    if settings.spark.max_offsets_per_trigger is not None:
        source = source.option("maxOffsetsPerTrigger", str(settings.spark.max_offsets_per_trigger))

    def start(
        name: str, interval_s: float, writer: DataStreamWriter, path: str | None = None
    ) -> StreamingQuery:
        writer = writer.queryName(name).option("checkpointLocation", str(checkpoints / name))
        if available_now:
            writer = writer.trigger(availableNow=True)
        else:
            writer = writer.trigger(processingTime=f"{interval_s} seconds")
        # A fair-scheduler pool per query (inherited by its batches): neither waits for the other.
        context = spark.sparkContext
        context.setLocalProperty("spark.scheduler.pool", name)
        try:
            return writer.start(path)
        finally:
            context.setLocalProperty("spark.scheduler.pool", None)  # type: ignore[arg-type]

    spark_settings = settings.spark
    first = start(
        QUERY_NAME, spark_settings.trigger_interval_s, ingest.writer(source.load()), ingest.path
    )

    def stage2() -> StreamingQuery:
        # after stage 1 started: its sink made the folder and its log, which the source reads
        records = spark.readStream.schema(ingest.shape(spark).schema).parquet(ingest.path)
        return start(
            TABLES_QUERY_NAME,
            spark_settings.tables_trigger_interval_s,
            records.writeStream.foreachBatch(job.process_batch),
        )

    if available_now:
        return Streams([first], then=stage2)
    return Streams([first, stage2()])
