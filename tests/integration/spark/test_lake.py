"""The lake on real Spark and Delta: an earlier version's table gets the columns added since."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tunestream.spark.lake import Lake

pytestmark = pytest.mark.integration


def test_creating_an_existing_table_adds_the_columns_it_lacks(
    spark: SparkSession, tmp_path: Path
) -> None:
    lake = Lake(tmp_path)
    lake.create(spark.createDataFrame([], "track_id string, bpm double"), "tracks_enriched")
    row = spark.createDataFrame([("t1", 120.5)], "track_id string, bpm double")
    lake.upsert(row, "tracks_enriched", ["track_id"])

    wider = "track_id string, bpm double, tags array<string>, deezer_id bigint"
    lake.create(spark.createDataFrame([], wider), "tracks_enriched")
    lake.create(spark.createDataFrame([], wider), "tracks_enriched")  # nothing left to add

    table = lake.read(spark, "tracks_enriched")
    assert table.schema.simpleString() == (
        "struct<track_id:string,bpm:double,tags:array<string>,deezer_id:bigint>"
    )
    assert [r.asDict() for r in table.collect()] == [
        {"track_id": "t1", "bpm": 120.5, "tags": None, "deezer_id": None}
    ]
