"""The streaming job: the Spotify topics → parse / quarantine → entity tables → derived tables.

One Structured Streaming query reads all five topics (``read_committed``: only records of
committed producer transactions) and hands each micro-batch to :meth:`Job.process_batch`. Spark
commits a batch's Kafka offsets to the query's checkpoint only after ``process_batch`` returned,
so a killed job redoes its last batch on restart; every write is a keyed Delta MERGE, so redoing
it changes nothing: no row missing, none doubled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming.query import StreamingQuery
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from tunestream.config import Settings
from tunestream.spark import tables
from tunestream.spark.parse import kafka_rows, parse, quarantine_rows, unknown_topic_rows
from tunestream.spark.session import kafka_options

__all__ = ["QUERY_NAME", "TOPIC_KEYS", "Job", "start_query"]

log = logging.getLogger(__name__)

QUERY_NAME = "spotify_tables"
TOPIC_KEYS = {
    "albums": "album",
    "tracks": "track",
    "audio_features": "audio_features",
    "audio_analysis": "audio_analysis",
    "artists": "artist",
}
"""``kafka.topics`` key → entity."""

KAFKA_SOURCE_SCHEMA = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
        StructField("timestamp", TimestampType()),
        StructField("timestampType", IntegerType()),
        StructField(
            "headers",
            ArrayType(
                StructType([StructField("key", StringType()), StructField("value", BinaryType())])
            ),
        ),
    ]
)
_BUILDERS = {
    "album": (("albums", tables.albums, "album_id"),),
    "track": (("tracks", tables.tracks, "track_id"),),
    "audio_features": (("audio_features", tables.audio_features, "track_id"),),
    "audio_analysis": (("audio_analysis", tables.audio_analysis, "track_id"),),
    "artist": (("artists", tables.artists, "artist_id"),),
}


@dataclass(frozen=True)
class Job:
    """What a micro-batch needs: where the tables are, which topic is which entity, the timeout."""

    lake: tables.Lake
    topic_entities: Mapping[str, str]
    features_timeout_s: float
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    """Seconds spent per step in the last batch (for the log and the benchmark)."""
    latencies: list[float] | None = field(default=None, compare=False)
    """When a list: each record's seconds from its Kafka timestamp to its batch's end (bench)."""

    @contextmanager
    def _step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    @classmethod
    def from_settings(cls, settings: Settings) -> Job:
        topics = {settings.kafka.topics[k].name: e for k, e in TOPIC_KEYS.items()}
        root = settings.spark.tables_path(settings.data_dir)
        return cls(tables.Lake(root), topics, settings.spark.features_timeout_s)

    def create_tables(self, spark: SparkSession) -> None:
        """Create every table, empty, that does not exist yet (their schemas come from the code)."""
        rows = kafka_rows(spark.createDataFrame([], KAFKA_SOURCE_SCHEMA), self.topic_entities)
        self.lake.create(quarantine_rows(parse(rows, "album")), tables.QUARANTINE)
        for entity, builders in _BUILDERS.items():
            good = parse(rows, entity)
            for name, build, _ in builders:
                self.lake.create(build(good), name)
        self.lake.create(tables.album_markets(parse(rows, "album")), "album_markets")
        no_ids = spark.createDataFrame([], "track_id string")
        cutoff = tables.watermark_cutoff(self.lake, spark, self.features_timeout_s)
        self.lake.create(
            tables.tracks_enriched(self.lake, spark, no_ids, cutoff), "tracks_enriched"
        )
        no_slices = spark.createDataFrame([], "market string, window_start timestamp")
        self.lake.create(tables.release_stats(self.lake, spark, no_slices), "release_stats")
        no_days = spark.createDataFrame([], "artist_id string, day date")
        self.lake.create(tables.artist_activity(self.lake, spark, no_days), "artist_activity")

    def process_batch(self, batch: DataFrame, batch_id: int) -> None:
        """Write one micro-batch to every table; safe to run again for the same batch."""
        spark = batch.sparkSession
        self.timings.clear()
        started = time.perf_counter()
        rows = kafka_rows(batch, self.topic_entities).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            if self.latencies is not None:
                stamps = [r[0] for r in rows.select(F.unix_micros("kafka_ts")).collect()]
            self._process(spark, rows)
            if self.latencies is not None:
                now_us = time.time() * 1_000_000
                self.latencies.extend((now_us - s) / 1_000_000 for s in stamps)
        finally:
            rows.unpersist()
        log.info(
            "batch %d done in %.1f s (%s)",
            batch_id,
            time.perf_counter() - started,
            ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()),
        )

    def _process(self, spark: SparkSession, rows: DataFrame) -> None:
        lake = self.lake
        with self._step("parse"):
            entities = {r[0] for r in rows.select("entity").distinct().collect()}
            parsed = {
                e: parse(rows, e).persist(StorageLevel.MEMORY_AND_DISK)
                for e in _BUILDERS
                if e in entities
            }
        try:
            with self._step("quarantine"):
                bad = unknown_topic_rows(rows)
                for frame in parsed.values():
                    bad = bad.unionByName(quarantine_rows(frame))
                bad = bad.persist(StorageLevel.MEMORY_AND_DISK)
                if not bad.isEmpty():
                    lake.insert_new(bad, tables.QUARANTINE, ["topic", "partition", "offset"])
                bad.unpersist()

            good = {e: p.where(F.col("reason").isNull()) for e, p in parsed.items()}
            seen: dict[str, DataFrame] = {}
            for entity, builders in _BUILDERS.items():
                if entity not in good:
                    continue
                for name, build, key in builders:
                    with self._step(name):
                        latest = build(good[entity]).persist(StorageLevel.MEMORY_AND_DISK)
                        if latest.isEmpty():
                            latest.unpersist()
                            continue
                        lake.upsert_latest(latest, name, [key])
                        seen[name] = latest
            if "albums" in seen:
                with self._step("album_markets"):
                    lake.keep_earliest(
                        tables.album_markets(good["album"]), "album_markets", ["album_id", "market"]
                    )
            self._derive(spark, seen)
            for frame in seen.values():
                frame.unpersist()
        finally:
            for frame in parsed.values():
                frame.unpersist()

    def _derive(self, spark: SparkSession, seen: Mapping[str, DataFrame]) -> None:
        lake = self.lake
        empty_ids = spark.createDataFrame([], "id string")

        def ids(name: str, column: str) -> DataFrame:
            frame = seen.get(name)
            return empty_ids if frame is None else frame.select(F.col(column).alias("id"))

        track_table = lake.read(spark, "tracks")
        new_albums = ids("albums", "album_id")
        new_artists = ids("artists", "artist_id")
        new_tracks = ids("tracks", "track_id")
        feature_tracks = ids("audio_features", "track_id").unionByName(
            ids("audio_analysis", "track_id")
        )
        with self._step("tracks_enriched"):
            # Tracks touched by this batch, and tracks whose wait just ran out.
            cutoff = tables.watermark_cutoff(lake, spark, self.features_timeout_s)
            timed_out = (
                track_table.join(lake.read(spark, "tracks_enriched"), "track_id", "left_anti")
                .crossJoin(cutoff)
                .where(F.col("first_seen") <= F.col("cutoff"))
                .select(F.col("track_id").alias("id"))
            )
            by_album = track_table.join(
                new_albums.withColumnRenamed("id", "album_id"), "album_id", "left_semi"
            ).select(F.col("track_id").alias("id"))
            by_artist = (
                track_table.select("track_id", F.explode("artists.id").alias("artist_id"))
                .join(new_artists.withColumnRenamed("id", "artist_id"), "artist_id", "left_semi")
                .select(F.col("track_id").alias("id"))
            )
            touched = (
                new_tracks.unionByName(feature_tracks)
                .unionByName(by_album)
                .unionByName(by_artist)
                .unionByName(timed_out)
                .distinct()
                .withColumnRenamed("id", "track_id")
                .persist(StorageLevel.MEMORY_AND_DISK)
            )
            if not touched.isEmpty():
                enriched = tables.tracks_enriched(lake, spark, touched, cutoff)
                lake.upsert(enriched, "tracks_enriched", ["track_id"])
            touched.unpersist()

        with self._step("release_stats"):
            # The hours and markets of albums touched directly or through their tracks.
            via_tracks = track_table.join(
                new_tracks.unionByName(feature_tracks).withColumnRenamed("id", "track_id"),
                "track_id",
                "left_semi",
            ).select(F.col("album_id").alias("id"))
            touched_albums = (
                new_albums.unionByName(via_tracks).distinct().withColumnRenamed("id", "album_id")
            )
            slices = tables.release_slices(lake, spark, touched_albums).persist()
            if not slices.isEmpty():
                stats = tables.release_stats(lake, spark, slices)
                lake.upsert(stats, "release_stats", ["market", "window_start"])
            slices.unpersist()

        if "albums" in seen or "artists" in seen:
            with self._step("artist_activity"):
                days = tables.activity_slices(
                    lake,
                    spark,
                    new_albums.withColumnRenamed("id", "album_id"),
                    new_artists.withColumnRenamed("id", "artist_id"),
                ).persist()
                lake.replace_slices(
                    tables.artist_activity(lake, spark, days),
                    "artist_activity",
                    days,
                    ["day", "artist_id", "genre"],
                )
                days.unpersist()


def start_query(
    spark: SparkSession,
    settings: Settings,
    *,
    available_now: bool = False,
    job: Job | None = None,
) -> StreamingQuery:
    """Create the tables if needed and start the query; ``available_now``: stop when caught up."""
    job = job or Job.from_settings(settings)
    job.create_tables(spark)
    checkpoint = settings.spark.checkpoints_path(settings.data_dir) / QUERY_NAME
    reader = (
        spark.readStream.format("kafka")
        .options(**kafka_options(settings.kafka))
        .option("subscribe", ",".join(job.topic_entities))
        .option("startingOffsets", "earliest")
        .option("includeHeaders", "true")
    )
    if settings.spark.max_offsets_per_trigger is not None:
        reader = reader.option("maxOffsetsPerTrigger", str(settings.spark.max_offsets_per_trigger))
    writer = (
        reader.load()
        .writeStream.queryName(QUERY_NAME)
        .option("checkpointLocation", str(checkpoint))
        .foreachBatch(job.process_batch)
    )
    if available_now:
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=f"{settings.spark.trigger_interval_s} seconds")
    return writer.start()
