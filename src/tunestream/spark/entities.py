"""The entity tables: the column maps from a parsed record (``doc``) to each table's row.

Upserted from each stage-2 micro-batch, one row per key (the latest record wins, the earliest
sighting is kept as ``first_seen``): one table per entity of
:data:`tunestream.sources.spotify.ENTITIES` (``albums``, ``tracks``, ``audio_features``,
``audio_analysis`` — a summary, not the segments — and ``artists``), one per enrichment of
:data:`tunestream.sources.enrichment.ENRICHMENTS` (``reccobeats_features`` by Spotify track id,
``deezer_tracks`` and ``musicbrainz_recordings`` by ISRC), plus ``album_markets`` (album x market
where it was discovered, from the album records). :data:`KEYED` names each entity's table and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from tunestream.sources import spotify
from tunestream.sources.enrichment import ENRICHMENTS
from tunestream.spark.parse import RECORD_COLUMNS
from tunestream.spark.schemas import ANALYSIS_SUMMARY

__all__ = [
    "ALBUM_MARKETS",
    "ALBUM_MARKETS_KEYS",
    "ANALYSIS_COLUMNS",
    "ENTITY_TABLES",
    "FEATURE_COLUMNS",
    "KEYED",
    "RECCOBEATS_FEATURES",
    "ROWS",
    "ColumnMap",
    "Keyed",
    "album_markets",
    "documents",
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


@dataclass(frozen=True)
class ColumnMap:
    """One entity table's row as data: each column a Spark SQL expression over the parsed record
    (``doc``, the record's ``key``), then the provenance the latest-per-key choice needs."""

    key: str
    columns: Mapping[str, str]
    provenance: tuple[str, ...] = ("event_time", "kafka_ts", "offset")

    def __call__(self, good: DataFrame) -> DataFrame:
        """The table's rows from the entity's :func:`documents`: the latest per key."""
        rows = good.select(
            *(F.expr(sql).alias(name) for name, sql in self.columns.items()), *self.provenance
        )
        return _latest(rows, self.key)


def _artist_refs(column: str) -> str:
    return f"transform({column}, a -> named_struct('id', a.id, 'name', a.name))"


def _fields(prefix: str, names: tuple[str, ...]) -> dict[str, str]:
    return {name: f"{prefix}.{name}" for name in names}


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

RECCOBEATS_FEATURES = tuple(c for c in FEATURE_COLUMNS if c != "time_signature")
"""The audio features ReccoBeats has too."""

_TAG_NAMES = (
    "transform(sort_array(transform(coalesce(doc.tags, array()), "
    "t -> named_struct('order', -coalesce(t.count, 0), 'name', t.name))), t -> t.name)"
)
"""A recording's tag names, the most counted first (then by name); empty when it has none."""

ANALYSIS_COLUMNS = tuple(ANALYSIS_SUMMARY.fieldNames()[1:])
"""The summary's values after ``analyzer_version``, as ``audio_analysis`` and ``tracks_enriched``
keep them."""

_WITH_MARKET = ("market", "event_time", "kafka_ts", "offset")

ROWS: dict[str, ColumnMap] = {
    "album": ColumnMap(
        "album_id",
        {
            "album_id": "doc.id",
            "name": "doc.name",
            "album_type": "doc.album_type",
            "total_tracks": "doc.total_tracks",
            "release_date": "doc.release_date",
            "release_date_precision": "doc.release_date_precision",
            "release_year": "try_cast(substring(doc.release_date, 1, 4) AS INT)",
            "label": "doc.label",
            "popularity": "doc.popularity",
            "genres": "doc.genres",
            "artists": _artist_refs("doc.artists"),
            "available_markets": "doc.available_markets",
            "upc": "doc.external_ids.upc",
        },
        _WITH_MARKET,
    ),
    "track": ColumnMap(
        "track_id",
        {
            "track_id": "doc.id",
            "name": "doc.name",
            "album_id": "doc.album.id",
            "album_name": "doc.album.name",
            "album_type": "doc.album.album_type",
            "release_date": "doc.album.release_date",
            "release_date_precision": "doc.album.release_date_precision",
            "artists": _artist_refs("doc.artists"),
            "duration_ms": "doc.duration_ms",
            "explicit": "doc.explicit",
            "isrc": "doc.external_ids.isrc",
            "popularity": "doc.popularity",
            "disc_number": "doc.disc_number",
            "track_number": "doc.track_number",
        },
        _WITH_MARKET,
    ),
    "audio_features": ColumnMap("track_id", {"track_id": "key", **_fields("doc", FEATURE_COLUMNS)}),
    "audio_analysis": ColumnMap(
        "track_id",
        {
            "track_id": "key",
            "analyzer_version": "doc.analyzer_version",
            **_fields("doc", ANALYSIS_COLUMNS),
        },
    ),
    "artist": ColumnMap(
        "artist_id",
        {
            "artist_id": "doc.id",
            "name": "doc.name",
            "genres": "doc.genres",
            "followers": "doc.followers.total",
            "popularity": "doc.popularity",
        },
    ),
    "reccobeats_features": ColumnMap(
        "track_id",
        {"track_id": "key", "reccobeats_id": "doc.id", **_fields("doc", RECCOBEATS_FEATURES)},
    ),
    "deezer_track": ColumnMap(
        "isrc",
        {
            "isrc": "key",
            "deezer_id": "doc.id",
            "title": "doc.title",
            "duration_s": "doc.duration",
            "rank": "doc.rank",
            "release_date": "doc.release_date",
            "bpm": "nullif(doc.bpm, 0)",  # Deezer's 0: it has no tempo for the track
            "gain": "doc.gain",
            "artist_id": "doc.artist.id",
            "artist_name": "doc.artist.name",
            "album_id": "doc.album.id",
            "album_title": "doc.album.title",
        },
    ),
    "musicbrainz_recording": ColumnMap(
        "isrc",
        {
            "isrc": "key",
            "recording_id": "doc.id",
            "title": "doc.title",
            "length_ms": "doc.length",
            "first_release_date": "doc.`first-release-date`",
            "score": "doc.score",
            "tags": _TAG_NAMES,
        },
    ),
}
"""Entity name → its table's column map (one per entity and enrichment of the registries: a unit
test checks it)."""


class Keyed(NamedTuple):
    """An entity's table of the latest value per key."""

    table: str
    key: str


KEYED: dict[str, Keyed] = {
    **{e.name: Keyed(e.table, e.key) for e in spotify.ENTITIES},
    **{e.name: Keyed(e.table, e.key) for e in ENRICHMENTS},
}
"""Entity name → its table and key column: the Spotify entities', then the enrichments'."""


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


ENTITY_TABLES = (*(k.table for k in KEYED.values()), ALBUM_MARKETS)
