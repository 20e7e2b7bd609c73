"""The lake: the job's tables under one folder, and the Delta MERGE shapes every write uses.

Stage 1 (:mod:`.ingest`) appends to ``records`` through Spark's file sink; stage 2 (:mod:`.job`)
writes ``quarantine``, the entity tables (:mod:`.entities`) and the derived ones
(:mod:`.derived`) from it. Every write here is a Delta MERGE keyed so that redoing a batch leaves
the tables as they were: that, with the offsets in the query's checkpoint, is what makes the job
exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructField

from tunestream.tables.commits import is_delta

__all__ = ["QUARANTINE", "Lake"]

QUARANTINE = "quarantine"
"""The table of the records that did not parse, with their raw value and the reason."""
_EARLIER = "WHEN MATCHED AND s.first_seen < t.first_seen THEN UPDATE SET first_seen = s.first_seen"


def _columns(fields: Sequence[StructField]) -> str:
    return ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in fields)


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
        """Create the table, empty, with ``shape``'s schema (runs no Spark job) unless it exists;
        a table that exists (an earlier version's) gets the columns of ``shape`` it lacks, null
        in its rows until a batch rewrites them."""
        spark = shape.sparkSession
        fields = shape.schema.fields
        table = f"delta.`{self.path(name)}`"
        if self.exists(name):
            have = set(self.read(spark, name).columns)
            fields = [f for f in fields if f.name not in have]
            if fields:
                spark.sql(f"ALTER TABLE {table} ADD COLUMNS ({_columns(fields)})")
            return
        spark.sql(f"CREATE TABLE IF NOT EXISTS {table} ({_columns(fields)}) USING delta")

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
