"""``tunestream spark query "SQL"``: DuckDB over the job's Delta tables, without starting Spark.

Every Delta table under the tables folder is a view named after its folder (``tracks_enriched``,
``release_stats`` …), read through delta-rs at its latest version. Times are shown in UTC.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from deltalake import DeltaTable

from tunestream.errors import TunestreamError

__all__ = ["QueryError", "connect", "run_sql", "table_names"]


class QueryError(TunestreamError):
    """A query over the tables failed (exit 1)."""


def table_names(root: Path) -> list[str]:
    """The Delta tables under ``root``."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "_delta_log").is_dir())


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per Delta table under ``root``."""
    names = table_names(root)
    if not names:
        raise QueryError(f"no tables in {root}: run `tunestream spark run` first")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in names:
        con.register(name, DeltaTable(str(root / name)).to_pyarrow_dataset())
    return con


def run_sql(root: Path, sql: str) -> duckdb.DuckDBPyRelation | None:
    """Run ``sql``; the relation to print, or None for a statement without rows."""
    con = connect(root)
    try:
        return con.sql(sql)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from exc
