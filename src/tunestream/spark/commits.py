"""When rows reached a Delta table, read from the table's log (for the benchmarks).

A record is timed from its Kafka timestamp to the commit that added its row: the commit file's
modification time, and the timestamps of the rows in the data files that commit added.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import duckdb

__all__ = ["added_files", "commit_latencies"]


def added_files(table: Path) -> Iterator[tuple[Path, Path, int]]:
    """Each data file added to the table: (the commit file that added it, the file, rows)."""
    for log in sorted(table.glob("_delta_log/*.json")):
        for line in log.read_text().splitlines():
            add = json.loads(line).get("add")
            if add is not None:
                rows = json.loads(add.get("stats") or "{}").get("numRecords", 0)
                yield log, table / unquote(add["path"]), int(rows)


def commit_latencies(table: Path, column: str, since: float) -> list[float]:
    """Seconds from each row's ``column`` (a timestamp) to the commit that added the row, for the
    rows whose ``column`` is ``since`` (seconds since the epoch) or later."""
    committed_at = {str(path): log.stat().st_mtime for log, path, _ in added_files(table)}
    if not committed_at:
        return []
    rows = duckdb.execute(
        f"SELECT filename, epoch_us({column}) FROM read_parquet(?, filename = true)",
        [list(committed_at)],
    ).fetchall()
    return [
        committed_at[str(name)] - micros / 1e6
        for name, micros in rows
        if micros is not None and micros / 1e6 >= since
    ]
