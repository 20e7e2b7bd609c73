"""``tracks_enriched``: one row per track with its album, artists, genres, audio features, an
audio analysis summary and what the enrichments know of it.

The audio features are Spotify's where it has the track's, else ReccoBeats' (``feature_source``
says whose: :mod:`.features`); ``has_audio_features`` is true with either. Deezer's track
(``bpm`` — null where Deezer has none —, ``gain``, ``deezer_id``) and MusicBrainz's recording
(``mb_recording_id``, ``tags``: its tag names, the most counted first) are joined through the
track's ISRC.

A track appears once its features and analysis are in — each only while a producer's plan
delivers it (:mod:`..plans`: a development app's plan delivers neither, and its tracks appear at
once), the analysis also once its producer refused to send it (:mod:`..refusals`: too large for
its topic; ``analysis_missing`` is the dead letter's error while the track has no analysis) — or
once the event-time watermark (the latest ``event_time`` of a track, features or
analysis seen) passes ``first_seen`` + ``spark.features_timeout_s``; then with nulls where they
are missing, and late features update it. Features from either source end the wait for them, and
a track waits for them while a plan delivers either (the Spotify source's ``audio_features``, or
the reccobeats source's): a development app's tracks wait for ReccoBeats' up to the timeout.
Nothing waits for Deezer or MusicBrainz: what they send updates the rows it concerns. A batch
recomputes the tracks it touched (directly; through their album, an artist, their features or a
refusal of their analysis; through their ISRC) and those whose wait ended since the last batch —
all the waiting ones when the plans stopped delivering something they wait for — and upserts
them by ``track_id``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sources import plan, spotify
from tunestream.spark.derived.base import Batch
from tunestream.spark.derived.features import with_features
from tunestream.spark.entities import ANALYSIS_COLUMNS, FEATURE_COLUMNS, KEYED
from tunestream.spark.lake import Lake
from tunestream.spark.refusals import REFUSALS

__all__ = [
    "NAME",
    "WAITS_FOR",
    "WATERMARK_ENTITIES",
    "TracksEnriched",
    "awaited",
    "build",
    "timestamp_us",
    "watermark_us",
]

NAME = "tracks_enriched"
WATERMARK_ENTITIES = ("track", "audio_features", "audio_analysis")
"""The entities whose event times move the watermark."""
WAITS_FOR = {
    "audio_features": frozenset({"audio_features", "reccobeats_features"}),
    "audio_analysis": frozenset({"audio_analysis"}),
}
"""What a track waits for (a row has ``has_<what>``): while a plan delivers one of the entities
that bring it, up to the timeout (the analysis: until refused)."""


def awaited(delivered: frozenset[str]) -> frozenset[str]:
    """What a track waits for while the plans deliver the entities ``delivered``."""
    return frozenset(what for what, by in WAITS_FOR.items() if by & delivered)


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
    """The ready rows of tracks_enriched for ``track_ids``: those that have each of ``waits``
    (what they wait for: ``has_<what>``; the analysis, or its refusal), or were first seen by
    ``cutoff``."""
    t = lake.read(spark, "tracks").join(track_ids, "track_id", "left_semi")
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
    deezer = lake.read(spark, "deezer_tracks").select("isrc", "bpm", "gain", "deezer_id")
    musicbrainz = lake.read(spark, "musicbrainz_recordings").select(
        "isrc", F.col("recording_id").alias("mb_recording_id"), "tags"
    )
    refused = lake.read(spark, REFUSALS).select("track_id", F.col("error").alias("refusal"))
    joined = (
        with_features(t, lake)
        .withColumn("has_audio_features", F.col("feature_source").isNotNull())
        .join(album, "album_id", "left")
        .join(genres, "track_id", "left")
        .join(analysis, "track_id", "left")
        .join(deezer, "isrc", "left")
        .join(musicbrainz, "isrc", "left")
        .join(refused, "track_id", "left")
        .withColumn(
            "analysis_missing", F.when(F.col("has_audio_analysis").isNull(), F.col("refusal"))
        )
    )
    complete = F.lit(True)
    for what in sorted(waits):
        has = F.col(f"has_{what}")
        if what == "audio_analysis":
            has |= F.col("analysis_missing").isNotNull()
        complete &= F.coalesce(has, F.lit(False))
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
        "feature_source",
        *FEATURE_COLUMNS,
        *ANALYSIS_COLUMNS,
        "bpm",
        "gain",
        "deezer_id",
        "mb_recording_id",
        "tags",
        "has_audio_features",
        F.coalesce("has_audio_analysis", F.lit(False)).alias("has_audio_analysis"),
        "analysis_missing",
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
    triggers = frozenset((*KEYED, plan.PLAN, DEAD_LETTER_TOPIC))
    """Any entity or enrichment (a track's row holds its album's, artists' and enrichments'
    values too), a plan (it may release the waiting tracks) and a dead letter (it may refuse an
    analysis)."""

    def __init__(self) -> None:
        self.swept_us: int | None = None
        self.waited = frozenset(WAITS_FOR)

    def shape(self, lake: Lake, spark: SparkSession) -> DataFrame:
        no_ids = spark.createDataFrame([], "track_id string")
        return build(lake, spark, no_ids, timestamp_us(None), self.waited)

    def moving(
        self, lake: Lake, spark: SparkSession, latest: Mapping[str, DataFrame]
    ) -> tuple[str, DataFrame] | None:
        return None

    def write(self, batch: Batch) -> None:
        waiting_for = awaited(batch.delivered)
        released = bool(self.waited - waiting_for)
        touched = self.touched(batch, released)
        rows = build(batch.lake, batch.spark, touched, timestamp_us(batch.cutoff_us), waiting_for)
        batch.lake.upsert(rows, NAME, ["track_id"])
        self.waited = waiting_for
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
        isrcs = batch.ids("deezer_track").unionByName(batch.ids("musicbrainz_recording"))
        by_isrc = tracks.join(isrcs, "isrc", "left_semi").select("track_id")
        refused = batch.refused
        if refused is None:
            refused = batch.spark.createDataFrame([], "track_id string")
        return (
            batch.ids("track")
            .unionByName(batch.ids("audio_features"))
            .unionByName(batch.ids("reccobeats_features"))
            .unionByName(batch.ids("audio_analysis"))
            .unionByName(by_album)
            .unionByName(by_artist)
            .unionByName(by_isrc)
            .unionByName(refused.select("track_id"))
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
