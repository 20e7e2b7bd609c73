"""The tables: entity tables (latest value per id) and the three derived ones.

Entity tables, upserted from each micro-batch (one row per id, the latest record wins, the
earliest sighting is kept as ``first_seen``): ``albums``, ``album_markets`` (album x market where
it was discovered), ``tracks``, ``audio_features``, ``audio_analysis`` (a summary, not the
segments), ``artists``. Derived tables, recomputed for what a batch touched:

- ``tracks_enriched``: one row per track with its album, artists, genres, audio features and an
  audio analysis summary. A track appears once both its features and analysis are in, or once the
  event-time watermark (the latest ``event_time`` seen) passes ``first_seen`` +
  ``spark.features_timeout_s`` — then with nulls where they are missing; late features update it.
- ``release_stats``: per hour (of an album's discovery in a market) and market: new albums, new
  tracks, album-type mix, explicit share, mean/p50/p90 of danceability, energy, valence, tempo.
- ``artist_activity``: per day (of discovery), artist and genre: new releases and their tracks.

Stage 2 of the job (:mod:`.job`) writes them from the ``records`` table (stage 1, :mod:`.ingest`,
appends there through Spark's file sink). Every write here is a Delta MERGE keyed so that
redoing a batch leaves the tables as they were: that, with the offsets in the query's checkpoint,
is what makes the job exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from tunestream.spark.schemas import ANALYSIS_SUMMARY
from tunestream.tables.commits import is_delta

__all__ = [
    "DERIVED_TABLES",
    "ENTITY_TABLES",
    "Lake",
    "album_markets",
    "albums",
    "artist_activity",
    "artists",
    "audio_analysis",
    "audio_features",
    "release_stats",
    "timestamp_us",
    "tracks",
    "tracks_enriched",
    "watermark_us",
]

ENTITY_TABLES = (
    "albums",
    "album_markets",
    "tracks",
    "audio_features",
    "audio_analysis",
    "artists",
)
DERIVED_TABLES = ("tracks_enriched", "release_stats", "artist_activity")
QUARANTINE = "quarantine"
_EARLIER = "WHEN MATCHED AND s.first_seen < t.first_seen THEN UPDATE SET first_seen = s.first_seen"
STATS_FEATURES = ("danceability", "energy", "valence", "tempo")


class Lake:
    """The tables under one folder (Delta, all but ``records``), and the MERGE shapes the job writes
    with."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> str:
        return str(self.root / name)

    def exists(self, name: str) -> bool:
        """Whether ``name`` is a Delta table."""
        return is_delta(self.root / name)

    def read(self, spark: SparkSession, name: str) -> DataFrame:
        return spark.read.format("delta").load(self.path(name))

    def create(self, shape: DataFrame, name: str) -> None:
        """Create the table, empty, with ``shape``'s schema unless it exists (runs no Spark job)."""
        columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in shape.schema.fields)
        shape.sparkSession.sql(
            f"CREATE TABLE IF NOT EXISTS delta.`{self.path(name)}` ({columns}) USING delta"
        )

    def merge(self, source: DataFrame, name: str, keys: Sequence[str], clauses: str) -> None:
        view = f"_tunestream_src_{name}"
        source.createOrReplaceTempView(view)
        on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
        source.sparkSession.sql(
            f"MERGE INTO delta.`{self.path(name)}` t USING {view} s ON {on} {clauses}"
        )
        source.sparkSession.catalog.dropTempView(view)

    def insert_new(self, source: DataFrame, name: str, keys: Sequence[str]) -> None:
        """Insert the rows whose keys the table lacks (a redone batch inserts nothing)."""
        self.merge(source, name, keys, "WHEN NOT MATCHED THEN INSERT *")

    def upsert(self, source: DataFrame, name: str, keys: Sequence[str]) -> None:
        """Insert or overwrite by key."""
        self.merge(
            source, name, keys, "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
        )

    def upsert_latest(self, source: DataFrame, name: str, keys: Sequence[str]) -> None:
        """The newer row (by ``last_seen``) wins; ``first_seen`` keeps the earliest."""
        sets = ", ".join(
            f"`{c}` = s.`{c}`" for c in source.columns if c not in (*keys, "first_seen")
        )
        self.merge(
            source,
            name,
            keys,
            f"WHEN MATCHED AND s.last_seen >= t.last_seen THEN UPDATE SET {sets}, "
            "first_seen = least(t.first_seen, s.first_seen) "
            f"{_EARLIER} "
            "WHEN NOT MATCHED THEN INSERT *",
        )

    def keep_earliest(self, source: DataFrame, name: str, keys: Sequence[str]) -> None:
        self.merge(
            source,
            name,
            keys,
            f"{_EARLIER} WHEN NOT MATCHED THEN INSERT *",
        )

    def replace_slices(
        self, fresh: DataFrame, name: str, slices: DataFrame, keys: Sequence[str]
    ) -> None:
        """Make the rows of the table in ``slices`` (a semi-join key set) exactly ``fresh``."""
        spark = fresh.sparkSession
        slice_keys = slices.columns
        stale = (
            self.read(spark, name)
            .join(slices, slice_keys, "left_semi")
            .select(*keys)
            .join(fresh.select(*keys), list(keys), "left_anti")
        )
        source = fresh.withColumn("_delete", F.lit(False)).unionByName(
            stale.withColumn("_delete", F.lit(True)), allowMissingColumns=True
        )
        cols = fresh.columns
        self.merge(
            source,
            name,
            keys,
            "WHEN MATCHED AND s._delete THEN DELETE "
            f"WHEN MATCHED THEN UPDATE SET {', '.join(f'`{c}` = s.`{c}`' for c in cols)} "
            f"WHEN NOT MATCHED AND NOT s._delete THEN INSERT ({', '.join(f'`{c}`' for c in cols)}) "
            f"VALUES ({', '.join(f's.`{c}`' for c in cols)})",
        )


# -- entity tables -------------------------------------------------------------------------------


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


# -- derived tables ------------------------------------------------------------------------------


def watermark_us(lake: Lake, spark: SparkSession) -> int | None:
    """The latest event time (µs) of a track, audio features or analysis in the tables."""
    latest = (
        lake.read(spark, "tracks")
        .select("last_seen")
        .unionByName(lake.read(spark, "audio_features").select("last_seen"))
        .unionByName(lake.read(spark, "audio_analysis").select("last_seen"))
        .agg(F.unix_micros(F.max("last_seen")))
        .first()
    )
    return None if latest is None else latest[0]


def timestamp_us(micros: int | None) -> Column:
    """A timestamp literal from epoch microseconds (null for None)."""
    return F.timestamp_micros(F.lit(micros).cast("long"))


def tracks_enriched(
    lake: Lake, spark: SparkSession, track_ids: DataFrame, cutoff: Column
) -> DataFrame:
    """The ready rows of tracks_enriched for ``track_ids`` (complete, or first seen by
    ``cutoff``)."""
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
    complete = F.coalesce("has_audio_features", F.lit(False)) & F.coalesce(
        "has_audio_analysis", F.lit(False)
    )
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


def _hourly_album_markets(lake: Lake, spark: SparkSession) -> DataFrame:
    return lake.read(spark, "album_markets").withColumn(
        "window_start", F.date_trunc("hour", "first_seen")
    )


def release_slices(lake: Lake, spark: SparkSession, album_ids: DataFrame) -> DataFrame:
    """The (market, window_start) slices of release_stats the albums ``album_ids`` fall in."""
    return (
        _hourly_album_markets(lake, spark)
        .join(album_ids, "album_id", "left_semi")
        .select("market", "window_start")
        .distinct()
    )


def release_stats(lake: Lake, spark: SparkSession, slices: DataFrame) -> DataFrame:
    """release_stats rows for ``slices``, recomputed from the entity tables."""
    base = _hourly_album_markets(lake, spark).join(slices, ["market", "window_start"], "left_semi")
    keys = ["window_start", "market"]

    def of_type(kind: str) -> Column:
        return F.count_distinct(F.when(F.col("album_type") == kind, F.col("album_id")))

    album_level = (
        base.join(lake.read(spark, "albums").select("album_id", "album_type"), "album_id", "left")
        .groupBy(*keys)
        .agg(
            F.count_distinct("album_id").alias("new_albums"),
            of_type("album").alias("albums"),
            of_type("single").alias("singles"),
            of_type("compilation").alias("compilations"),
        )
    )
    stats: list[Column] = []
    for name in STATS_FEATURES:
        stats += [
            F.avg(name).alias(f"{name}_mean"),
            F.expr(f"percentile({name}, 0.5)").alias(f"{name}_p50"),
            F.expr(f"percentile({name}, 0.9)").alias(f"{name}_p90"),
        ]
    track_level = (
        base.join(lake.read(spark, "tracks").select("album_id", "track_id", "explicit"), "album_id")
        .join(
            lake.read(spark, "audio_features").select("track_id", *STATS_FEATURES),
            "track_id",
            "left",
        )
        .groupBy(*keys)
        .agg(
            F.count_distinct("track_id").alias("new_tracks"),
            F.avg(F.col("explicit").cast("double")).alias("explicit_share"),
            F.count("danceability").alias("tracks_with_features"),
            *stats,
        )
    )
    return (
        album_level.join(track_level, keys, "left")
        .withColumn("new_tracks", F.coalesce("new_tracks", F.lit(0)))
        .withColumn("tracks_with_features", F.coalesce("tracks_with_features", F.lit(0)))
        .withColumn("window_end", F.col("window_start") + F.expr("INTERVAL 1 HOUR"))
        .select("window_start", "window_end", "market", *[c for c in _stats_order()])
    )


def _stats_order() -> list[str]:
    columns = [
        "new_albums",
        "albums",
        "singles",
        "compilations",
        "new_tracks",
        "explicit_share",
        "tracks_with_features",
    ]
    for name in STATS_FEATURES:
        columns += [f"{name}_mean", f"{name}_p50", f"{name}_p90"]
    return columns


def _album_artists(lake: Lake, spark: SparkSession) -> DataFrame:
    return (
        lake.read(spark, "albums")
        .select(
            "album_id",
            "album_type",
            "total_tracks",
            F.to_date("first_seen").alias("day"),
            F.explode("artists").alias("artist"),
        )
        .select(
            "album_id",
            "album_type",
            "total_tracks",
            "day",
            F.col("artist.id").alias("artist_id"),
            F.col("artist.name").alias("artist_name"),
        )
    )


def activity_slices(
    lake: Lake, spark: SparkSession, album_ids: DataFrame, artist_ids: DataFrame
) -> DataFrame:
    """The (artist_id, day) slices of artist_activity touched by these albums and artists."""
    album_artists = _album_artists(lake, spark)
    return (
        album_artists.join(album_ids, "album_id", "left_semi")
        .select("artist_id", "day")
        .unionByName(
            album_artists.join(artist_ids, "artist_id", "left_semi").select("artist_id", "day")
        )
        .distinct()
    )


def artist_activity(lake: Lake, spark: SparkSession, slices: DataFrame) -> DataFrame:
    """artist_activity rows for ``slices``: per day, artist and genre ('unknown' if none)."""
    known = lake.read(spark, "artists").select(
        "artist_id", F.col("name").alias("known_name"), "genres"
    )
    return (
        _album_artists(lake, spark)
        .join(slices, ["artist_id", "day"], "left_semi")
        .join(known, "artist_id", "left")
        .withColumn("genre", F.explode_outer("genres"))
        .withColumn("genre", F.coalesce("genre", F.lit("unknown")))
        .groupBy("day", "artist_id", "genre")
        .agg(
            F.max(F.coalesce("known_name", "artist_name")).alias("artist_name"),
            F.count_distinct("album_id").alias("new_releases"),
            F.sum("total_tracks").alias("new_tracks"),
            F.count_distinct(F.when(F.col("album_type") == "album", F.col("album_id"))).alias(
                "albums"
            ),
            F.count_distinct(F.when(F.col("album_type") == "single", F.col("album_id"))).alias(
                "singles"
            ),
            F.count_distinct(F.when(F.col("album_type") == "compilation", F.col("album_id"))).alias(
                "compilations"
            ),
        )
    )
