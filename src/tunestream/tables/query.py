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
from tunestream.tables.commits import SINK_LOG, is_delta, sink_files

__all__ = ["QueryError", "connect", "run_sql", "table_names"]


class QueryError(TunestreamError):
    """A query over the tables failed (exit 1)."""


def _tables(root: Path) -> dict[str, list[str] | None]:
    """The tables under ``root``: None for a Delta table; for a file-sink table with a committed
    batch, the Parquet files its log lists."""
    found: dict[str, list[str] | None] = {}
    for table in sorted(root.iterdir()) if root.is_dir() else []:
        if is_delta(table):
            found[table.name] = None
        elif (table / SINK_LOG).is_dir() and (files := sink_files(table)):
            found[table.name] = [str(f) for f in files]
    return found


def table_names(root: Path) -> list[str]:
    """The tables under ``root``: Delta tables, and file-sink tables with a committed batch."""
    return list(_tables(root))


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table under ``root``."""
    tables = _tables(root)
    if not tables:
        raise QueryError(f"no tables in {root}: run `tunestream spark run` first")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, files in tables.items():
        if files is None:
            con.register(name, DeltaTable(str(root / name)).to_pyarrow_dataset())
        else:
            con.read_parquet(files, union_by_name=True).create_view(name)
    return con


def run_sql(root: Path, sql: str) -> duckdb.DuckDBPyRelation | None:
    """Run ``sql``; the relation to print, or None for a statement without rows."""
    con = connect(root)
    try:
        return con.sql(sql)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from exc
