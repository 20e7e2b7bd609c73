"""``release_stats``: per hour (of an album's discovery in a market) and market: new albums, new
tracks, album-type mix, explicit share, mean/p50/p90 of danceability, energy, valence, tempo.

The features are a track's from either source (:mod:`.features`: Spotify's, else ReccoBeats');
``tracks_with_features`` counts the tracks that have them. Rebuilt by (market, hour) slices: those
of the albums a batch touched, directly or through their tracks and audio features.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from tunestream.spark.derived.base import Batch, SlicedTable
from tunestream.spark.derived.features import with_features
from tunestream.spark.entities import ALBUM_MARKETS
from tunestream.spark.lake import Lake

__all__ = ["STATS_FEATURES", "TABLE", "build", "release_slices", "touched"]

STATS_FEATURES = ("danceability", "energy", "valence", "tempo")


def _hourly_album_markets(lake: Lake, spark: SparkSession) -> DataFrame:
    return lake.read(spark, ALBUM_MARKETS).withColumn(
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


def build(lake: Lake, spark: SparkSession, slices: DataFrame) -> DataFrame:
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
    tracks = base.join(
        lake.read(spark, "tracks").select("album_id", "track_id", "explicit"), "album_id"
    )
    track_level = (
        with_features(tracks, lake, STATS_FEATURES)
        .groupBy(*keys)
        .agg(
            F.count_distinct("track_id").alias("new_tracks"),
            F.avg(F.col("explicit").cast("double")).alias("explicit_share"),
            F.count("feature_source").alias("tracks_with_features"),
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


def touched(batch: Batch) -> DataFrame:
    """The hours and markets of albums touched directly or through their tracks."""
    via_tracks = (
        batch.read("tracks")
        .join(
            batch.ids("track")
            .unionByName(batch.ids("audio_features"))
            .unionByName(batch.ids("reccobeats_features")),
            "track_id",
            "left_semi",
        )
        .select("album_id")
    )
    return release_slices(batch.lake, batch.spark, batch.ids("album").unionByName(via_tracks))


TABLE = SlicedTable(
    name="release_stats",
    triggers=frozenset({"album", "track", "audio_features", "reccobeats_features"}),
    keys=("market", "window_start"),
    slice_columns="market string, window_start timestamp",
    build=build,
    touched=touched,
    moved_by=ALBUM_MARKETS,
    album_slices=release_slices,
)
