"""``tunestream spark query "SQL"``: DuckDB over the job's tables, without starting Spark.

Every table under the tables folder is a view named after its folder (``tracks_enriched``,
``release_stats`` …): a Delta table read through delta-rs at its latest version; ``records``, which
Spark's file sink writes, as the Parquet files its log lists (those of committed batches only).
Times are shown in UTC.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from deltalake import DeltaTable

from tunestream.errors import TunestreamError
from tunestream.spark.commits import SINK_LOG, sink_files

__all__ = ["QueryError", "connect", "run_sql", "table_names"]


class QueryError(TunestreamError):
    """A query over the tables failed (exit 1)."""


def _is_delta(table: Path) -> bool:
    return (table / "_delta_log").is_dir()


def table_names(root: Path) -> list[str]:
    """The tables under ``root``: Delta tables, and file-sink tables with a committed batch."""
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if _is_delta(p) or ((p / SINK_LOG).is_dir() and sink_files(p))
    )


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per Delta table under ``root``."""
    names = table_names(root)
    if not names:
        raise QueryError(f"no tables in {root}: run `tunestream spark run` first")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in names:
        table = root / name
        if _is_delta(table):
            con.register(name, DeltaTable(str(table)).to_pyarrow_dataset())
        else:
            files = [str(f) for f in sink_files(table)]
            con.read_parquet(files, union_by_name=True).create_view(name)
    return con


def run_sql(root: Path, sql: str) -> duckdb.DuckDBPyRelation | None:
    """Run ``sql``; the relation to print, or None for a statement without rows."""
    con = connect(root)
    try:
        return con.sql(sql)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from exc
