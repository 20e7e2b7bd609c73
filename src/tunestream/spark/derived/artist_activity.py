"""``artist_activity``: per day (of an album's discovery), artist and genre: new releases and
their tracks.

Rebuilt by (artist, day) slices: those of the albums and the artists a batch touched.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from tunestream.spark.derived.base import Batch, SlicedTable
from tunestream.spark.lake import Lake

__all__ = ["TABLE", "album_days", "build", "touched"]


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


def _days(album_artists: DataFrame, ids: DataFrame, key: str) -> DataFrame:
    return album_artists.join(ids, key, "left_semi").select("artist_id", "day")


def album_days(lake: Lake, spark: SparkSession, album_ids: DataFrame) -> DataFrame:
    """The (artist_id, day) slices the albums ``album_ids`` are in."""
    return _days(_album_artists(lake, spark), album_ids, "album_id").distinct()


def touched(batch: Batch) -> DataFrame:
    """The (artist_id, day) slices of the batch's albums and artists."""
    album_artists = _album_artists(batch.lake, batch.spark)
    by_albums = _days(album_artists, batch.ids("album"), "album_id")
    return by_albums.unionByName(_days(album_artists, batch.ids("artist"), "artist_id")).distinct()


def build(lake: Lake, spark: SparkSession, slices: DataFrame) -> DataFrame:
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


TABLE = SlicedTable(
    name="artist_activity",
    triggers=frozenset({"album", "artist"}),
    keys=("day", "artist_id", "genre"),
    slice_columns="artist_id string, day date",
    build=build,
    touched=touched,
    moved_by="albums",
    album_slices=album_days,
)
