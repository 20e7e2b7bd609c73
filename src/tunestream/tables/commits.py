"""Which data files a table's log holds, and when each was committed.

Two logs: a Delta table's ``_delta_log``, and the ``_spark_metadata`` log Spark's file sink keeps
for ``records``. Only the files a log lists are the table: a file written by a batch that was
killed before its commit is in neither. A file's commit time is the modification time of the log
file that first listed it (the file sink also lists every file again in its periodic ``.compact``
files, written later). The benchmarks time a record from its Kafka timestamp to that commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb

__all__ = ["SINK_LOG", "added_files", "commit_latencies", "is_delta", "last_batch", "sink_files"]

SINK_LOG = "_spark_metadata"
"""The file sink's log folder inside its output folder."""


def is_delta(table: Path) -> bool:
    return (table / "_delta_log").is_dir()


def _delta_files(table: Path) -> Iterator[tuple[Path, Path, int]]:
    for log in sorted(table.glob("_delta_log/*.json")):
        for line in log.read_text().splitlines():
            add = json.loads(line).get("add")
            if add is not None:
                rows = json.loads(add.get("stats") or "{}").get("numRecords", 0)
                yield log, table / unquote(add["path"]), int(rows)


def _batch_files(log: Path) -> list[tuple[int, Path]]:
    """The files of a Spark metadata log (a file sink's, a checkpoint's ``offsets``) by batch id:
    ``7``, ``9.compact`` (its temporary and checksum files start with a dot)."""
    named = ((p.name.split(".")[0], p) for p in log.glob("*"))
    return [(int(batch), p) for batch, p in named if batch.isdigit()]


def last_batch(log: Path) -> int | None:
    """The highest batch id a Spark metadata log holds (None when none, or no folder)."""
    return max((batch for batch, _ in _batch_files(log)), default=None)


def sink_files(table: Path) -> dict[Path, Path]:
    """The data files of a file-sink table: file → the log file that first listed it."""
    logs = [p for _, p in sorted(_batch_files(table / SINK_LOG), key=lambda b: (b[0], b[1].suffix))]
    files: dict[Path, Path] = {}
    for log in logs:
        lines = log.read_text().splitlines()[1:]  # the first line is the log's version
        for line in lines:
            entry = json.loads(line)
            if entry.get("action") == "add":
                files.setdefault(Path(unquote(urlparse(entry["path"]).path)), log)
    return files


def added_files(table: Path) -> Iterator[tuple[Path, Path, int]]:
    """Each data file of the table (Delta or file sink): (the log file that added it, the file,
    rows)."""
    if is_delta(table):
        yield from _delta_files(table)
        return
    files = sink_files(table)
    if not files:
        return
    rows = duckdb.execute(
        "SELECT file_name, num_rows FROM parquet_file_metadata(?)", [[str(f) for f in files]]
    ).fetchall()
    for name, count in rows:
        yield files[Path(name)], Path(name), int(count)


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
