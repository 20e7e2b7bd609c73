"""A track's audio features as the derived tables use them: Spotify's, else ReccoBeats'.

The two sources' tables (``audio_features``, ``reccobeats_features``, both by Spotify track id)
are joined to the tracks, and each track takes all its values from one of them:
``feature_source`` is ``spotify`` where Spotify's features of the track are in, else
``reccobeats`` where ReccoBeats' are, else null (and so are the values). ReccoBeats has no
``time_signature``: null where its values are used. tracks_enriched and release_stats read the
features only through :func:`with_features`, so both say the same of a track.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from tunestream.spark.entities import FEATURE_COLUMNS, RECCOBEATS_FEATURES
from tunestream.spark.lake import Lake

__all__ = ["with_features"]


def with_features(
    tracks: DataFrame, lake: Lake, columns: Sequence[str] = FEATURE_COLUMNS
) -> DataFrame:
    """``tracks`` (a ``track_id`` column) with ``feature_source`` and the feature ``columns``."""
    spark = tracks.sparkSession
    spotify = lake.read(spark, "audio_features").select(
        "track_id",
        F.lit(True).alias("_spotify"),
        *(F.col(c).alias(f"_spotify_{c}") for c in columns),
    )
    reccobeats = lake.read(spark, "reccobeats_features").select(
        "track_id",
        F.lit(True).alias("_reccobeats"),
        *(F.col(c).alias(f"_reccobeats_{c}") for c in columns if c in RECCOBEATS_FEATURES),
    )
    from_spotify, from_reccobeats = F.col("_spotify"), F.col("_reccobeats")

    def value(column: str) -> Column:
        chosen = F.when(from_spotify, F.col(f"_spotify_{column}"))
        if column in RECCOBEATS_FEATURES:
            chosen = chosen.when(from_reccobeats, F.col(f"_reccobeats_{column}"))
        return chosen.alias(column)

    source = F.when(from_spotify, F.lit("spotify")).when(from_reccobeats, F.lit("reccobeats"))
    return (
        tracks.join(spotify, "track_id", "left")
        .join(reccobeats, "track_id", "left")
        .select(*tracks.columns, source.alias("feature_source"), *map(value, columns))
    )
