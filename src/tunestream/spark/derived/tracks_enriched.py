"""``tracks_enriched``: one row per track with its album, artists, genres, audio features and an
audio analysis summary.

A track appears once its features and analysis are in — each only while a producer's plan
delivers it (:mod:`..plans`: a development app's plan delivers neither, and its tracks appear at
once) — or once the event-time watermark (the latest ``event_time`` of a track, features or
analysis seen) passes ``first_seen`` + ``spark.features_timeout_s``; then with nulls where they
are missing, and late features update it. A batch recomputes the tracks it touched (directly, or
through their album or an artist) and those whose wait ended since the last batch — all the
waiting ones when the plans stopped delivering something they wait for — and upserts them by
``track_id``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from tunestream.sources import plan, spotify
from tunestream.spark.derived.base import Batch
from tunestream.spark.entities import ANALYSIS_COLUMNS, FEATURE_COLUMNS
from tunestream.spark.lake import Lake

__all__ = [
    "NAME",
    "WAITS_FOR",
    "WATERMARK_ENTITIES",
    "TracksEnriched",
    "build",
    "timestamp_us",
    "watermark_us",
]

NAME = "tracks_enriched"
WATERMARK_ENTITIES = ("track", "audio_features", "audio_analysis")
"""The entities whose event times move the watermark."""
WAITS_FOR = frozenset({"audio_features", "audio_analysis"})
"""What a track waits for (while delivered, up to the timeout); a row has ``has_<entity>``."""


def watermark_us(lake: Lake, spark: SparkSession) -> int | None:
    """The latest event time (µs) of a track, audio features or analysis in the tables."""
    first, *rest = (
        lake.read(spark, spotify.entity(e).table).select("last_seen") for e in WATERMARK_ENTITIES
    )
    for frame in rest:
        first = first.unionByName(frame)
    latest = first.agg(F.unix_micros(F.max("last_seen"))).first()
    return None if latest is None else latest[0]


def timestamp_us(micros: int | None) -> Column:
    """A timestamp literal from epoch microseconds (null for None)."""
    return F.timestamp_micros(F.lit(micros).cast("long"))


def build(
    lake: Lake, spark: SparkSession, track_ids: DataFrame, cutoff: Column, waits: frozenset[str]
) -> DataFrame:
    """The ready rows of tracks_enriched for ``track_ids``: those that have each entity of
    ``waits`` (what they wait for), or were first seen by ``cutoff``."""
    t = lake.read(spark, "tracks").join(track_ids, "track_id", "left_semi")
    features = lake.read(spark, "audio_features").select(
        "track_id", *FEATURE_COLUMNS, F.lit(True).alias("has_audio_features")
    )
    analysis = lake.read(spark, "audio_analysis").select(
        "track_id", *ANALYSIS_COLUMNS, F.lit(True).alias("has_audio_analysis")
    )
    album = lake.read(spark, "albums").select(
        "album_id",
        F.col("label"),
        F.col("popularity").alias("album_popularity"),
        F.col("release_year"),
    )
    genres = (
        t.select("track_id", F.explode("artists.id").alias("artist_id"))
        .join(lake.read(spark, "artists").select("artist_id", "genres"), "artist_id", "left")
        .groupBy("track_id")
        .agg(
            F.sort_array(
                F.array_distinct(F.flatten(F.collect_list(F.coalesce("genres", F.array()))))
            ).alias("genres")
        )
    )
    joined = (
        t.join(album, "album_id", "left")
        .join(genres, "track_id", "left")
        .join(features, "track_id", "left")
        .join(analysis, "track_id", "left")
    )
    complete = F.lit(True)
    for entity in sorted(waits):
        complete &= F.coalesce(f"has_{entity}", F.lit(False))
    return joined.where(complete | (F.col("first_seen") <= cutoff)).select(
        "track_id",
        F.col("name").alias("track_name"),
        "isrc",
        "duration_ms",
        "explicit",
        "popularity",
        "disc_number",
        "track_number",
        "album_id",
        "album_name",
        "album_type",
        "release_date",
        "release_date_precision",
        F.coalesce("release_year", F.expr("try_cast(substring(release_date, 1, 4) AS INT)")).alias(
            "release_year"
        ),
        "label",
        "album_popularity",
        F.col("artists.id").alias("artist_ids"),
        F.col("artists.name").alias("artist_names"),
        F.coalesce("genres", F.array().cast("array<string>")).alias("genres"),
        *FEATURE_COLUMNS,
        *ANALYSIS_COLUMNS,
        F.coalesce("has_audio_features", F.lit(False)).alias("has_audio_features"),
        F.coalesce("has_audio_analysis", F.lit(False)).alias("has_audio_analysis"),
        "market",
        "first_seen",
        "last_seen",
    )


class TracksEnriched:
    """tracks_enriched, and how far this run has swept the tracks whose wait ended.

    ``swept_us``: the features-timeout cutoff up to which every waiting track is in the table
    (None until the first batch of this run has swept the whole tracks table). ``waited``: what
    the run's last batch had tracks wait for (all of :data:`WAITS_FOR` before its first).
    """

    name = NAME
    triggers = frozenset((*spotify.NAMES, plan.PLAN))
    """Any entity (a track's row holds its album's and artists' values too), and a plan (it may
    release the waiting tracks)."""

    def __init__(self) -> None:
        self.swept_us: int | None = None
        self.waited = WAITS_FOR

    def shape(self, lake: Lake, spark: SparkSession) -> DataFrame:
        no_ids = spark.createDataFrame([], "track_id string")
        return build(lake, spark, no_ids, timestamp_us(None), WAITS_FOR)

    def moving(
        self, lake: Lake, spark: SparkSession, latest: Mapping[str, DataFrame]
    ) -> tuple[str, DataFrame] | None:
        return None

    def write(self, batch: Batch) -> None:
        waits = WAITS_FOR & batch.delivered
        released = bool(self.waited - waits)
        touched = self.touched(batch, released)
        rows = build(batch.lake, batch.spark, touched, timestamp_us(batch.cutoff_us), waits)
        batch.lake.upsert(rows, NAME, ["track_id"])
        self.waited = waits
        if batch.cutoff_us is not None:
            self.swept_us = batch.cutoff_us

    def touched(self, batch: Batch, released: bool) -> DataFrame:
        """Tracks touched by the batch, and tracks whose wait ended since the last batch
        (``released``: every waiting track, the plans no longer deliver what they wait for)."""
        tracks = batch.read("tracks")
        by_album = tracks.join(batch.ids("album"), "album_id", "left_semi").select("track_id")
        by_artist = (
            tracks.select("track_id", F.explode("artists.id").alias("artist_id"))
            .join(batch.ids("artist"), "artist_id", "left_semi")
            .select("track_id")
        )
        return (
            batch.ids("track")
            .unionByName(batch.ids("audio_features"))
            .unionByName(batch.ids("audio_analysis"))
            .unionByName(by_album)
            .unionByName(by_artist)
            .unionByName(self._wait_ended(batch, tracks, released))
            .distinct()
        )

    def _wait_ended(self, batch: Batch, tracks: DataFrame, released: bool) -> DataFrame:
        """Tracks whose wait may have ended since the last sweep: every waiting one when
        ``released``, else those the features timeout reached (all of them, in a new run)."""
        first_seen = F.col("first_seen")
        cutoff_us = batch.cutoff_us
        if released:
            waiting = tracks.join(batch.read(NAME), "track_id", "left_anti")
        elif cutoff_us is None:
            return batch.spark.createDataFrame([], "track_id string")
        elif self.swept_us is None:
            waiting = tracks.join(batch.read(NAME), "track_id", "left_anti").where(
                first_seen <= timestamp_us(cutoff_us)
            )
        else:
            waiting = tracks.where(
                (first_seen > timestamp_us(self.swept_us)) & (first_seen <= timestamp_us(cutoff_us))
            )
        return waiting.select("track_id")
