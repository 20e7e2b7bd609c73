"""The entity tables: the column maps from a parsed record (``doc``) to each table's row.

Upserted from each stage-2 micro-batch, one row per key (the latest record wins, the earliest
sighting is kept as ``first_seen``): one table per entity of
:data:`tunestream.sources.spotify.ENTITIES` (``albums``, ``tracks``, ``audio_features``,
``audio_analysis`` — a summary, not the segments — and ``artists``), plus ``album_markets``
(album x market where it was discovered, from the album records).
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from tunestream.sources import spotify
from tunestream.spark.parse import RECORD_COLUMNS
from tunestream.spark.schemas import ANALYSIS_SUMMARY

__all__ = [
    "ALBUM_MARKETS",
    "ALBUM_MARKETS_KEYS",
    "ANALYSIS_COLUMNS",
    "ENTITY_TABLES",
    "FEATURE_COLUMNS",
    "ROWS",
    "album_markets",
    "albums",
    "artists",
    "audio_analysis",
    "audio_features",
    "documents",
    "tracks",
]

ALBUM_MARKETS = "album_markets"
ALBUM_MARKETS_KEYS = ("album_id", "market")
"""An album's first sighting per market: only the earliest is kept."""


def documents(records: DataFrame, entity: str) -> DataFrame:
    """The ``records`` rows of one entity that parsed, its fields in ``doc``."""
    return records.where((F.col("entity") == entity) & F.col("reason").isNull()).select(
        *RECORD_COLUMNS, F.col(entity).alias("doc")
    )


def _latest(rows: DataFrame, key: str) -> DataFrame:
    """One row per key: the newest record, with the first and last time the key was seen."""
    by_key = Window.partitionBy(key)
    newest = by_key.orderBy(
        F.col("event_time").desc(), F.col("kafka_ts").desc(), F.col("offset").desc()
    )
    return (
        rows.withColumn("first_seen", F.min("event_time").over(by_key))
        .withColumn("last_seen", F.max("event_time").over(by_key))
        .withColumn("_n", F.row_number().over(newest))
        .where(F.col("_n") == 1)
        .drop("_n", "event_time", "offset")
    )


def _artist_refs(column: str) -> Column:
    return F.transform(
        F.col(column), lambda a: F.struct(a["id"].alias("id"), a["name"].alias("name"))
    )


def albums(good: DataFrame) -> DataFrame:
    rows = good.select(
        F.col("doc.id").alias("album_id"),
        F.col("doc.name").alias("name"),
        F.col("doc.album_type").alias("album_type"),
        F.col("doc.total_tracks").alias("total_tracks"),
        F.col("doc.release_date").alias("release_date"),
        F.col("doc.release_date_precision").alias("release_date_precision"),
        F.expr("try_cast(substring(doc.release_date, 1, 4) AS INT)").alias("release_year"),
        F.col("doc.label").alias("label"),
        F.col("doc.popularity").alias("popularity"),
        F.col("doc.genres").alias("genres"),
        _artist_refs("doc.artists").alias("artists"),
        F.col("doc.available_markets").alias("available_markets"),
        F.col("doc.external_ids.upc").alias("upc"),
        "market",
        "event_time",
        "kafka_ts",
        "offset",
    )
    return _latest(rows, "album_id")


def album_markets(good: DataFrame) -> DataFrame:
    """Album x market of discovery: the record's market header, else the album's markets."""
    markets = (
        F.when(F.col("market").isNotNull(), F.array(F.col("market")))
        .when(F.size("doc.available_markets") > 0, F.col("doc.available_markets"))
        .otherwise(F.array(F.lit("unknown")))
    )
    return (
        good.select(
            F.col("doc.id").alias("album_id"), F.explode(markets).alias("market"), "event_time"
        )
        .groupBy("album_id", "market")
        .agg(F.min("event_time").alias("first_seen"))
    )


def tracks(good: DataFrame) -> DataFrame:
    rows = good.select(
        F.col("doc.id").alias("track_id"),
        F.col("doc.name").alias("name"),
        F.col("doc.album.id").alias("album_id"),
        F.col("doc.album.name").alias("album_name"),
        F.col("doc.album.album_type").alias("album_type"),
        F.col("doc.album.release_date").alias("release_date"),
        F.col("doc.album.release_date_precision").alias("release_date_precision"),
        _artist_refs("doc.artists").alias("artists"),
        F.col("doc.duration_ms").alias("duration_ms"),
        F.col("doc.explicit").alias("explicit"),
        F.col("doc.external_ids.isrc").alias("isrc"),
        F.col("doc.popularity").alias("popularity"),
        F.col("doc.disc_number").alias("disc_number"),
        F.col("doc.track_number").alias("track_number"),
        "market",
        "event_time",
        "kafka_ts",
        "offset",
    )
    return _latest(rows, "track_id")


FEATURE_COLUMNS = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
)


def audio_features(good: DataFrame) -> DataFrame:
    rows = good.select(
        F.col("key").alias("track_id"),
        *(F.col(f"doc.{c}").alias(c) for c in FEATURE_COLUMNS),
        "event_time",
        "kafka_ts",
        "offset",
    )
    return _latest(rows, "track_id")


ANALYSIS_COLUMNS = tuple(ANALYSIS_SUMMARY.fieldNames()[1:])
"""The summary's values after ``analyzer_version``, as ``audio_analysis`` and ``tracks_enriched``
keep them."""


def audio_analysis(good: DataFrame) -> DataFrame:
    """Rows of audio analysis summaries (:data:`.schemas.ANALYSIS_SUMMARY`) in ``doc``."""
    rows = good.select(
        F.col("key").alias("track_id"),
        F.col("doc.analyzer_version").alias("analyzer_version"),
        *(F.col(f"doc.{c}").alias(c) for c in ANALYSIS_COLUMNS),
        "event_time",
        "kafka_ts",
        "offset",
    )
    return _latest(rows, "track_id")


def artists(good: DataFrame) -> DataFrame:
    rows = good.select(
        F.col("doc.id").alias("artist_id"),
        F.col("doc.name").alias("name"),
        F.col("doc.genres").alias("genres"),
        F.col("doc.followers.total").alias("followers"),
        F.col("doc.popularity").alias("popularity"),
        "event_time",
        "kafka_ts",
        "offset",
    )
    return _latest(rows, "artist_id")


ROWS: dict[str, Callable[[DataFrame], DataFrame]] = {
    "album": albums,
    "track": tracks,
    "audio_features": audio_features,
    "audio_analysis": audio_analysis,
    "artist": artists,
}
"""Entity name → its table's rows (latest per key) from its :func:`documents` (one per entity of
the registry: a unit test checks it)."""

ENTITY_TABLES = (*(e.table for e in spotify.ENTITIES), ALBUM_MARKETS)
