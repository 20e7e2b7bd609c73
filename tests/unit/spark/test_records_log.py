"""``records``' file-sink log, read without Spark: its files, and the checks before stage 1 starts.

The log's format is Spark's (``FileStreamSinkLog``): a file per batch id, ``v1`` then one JSON
entry per line, every tenth batch a ``.compact`` file listing all earlier entries again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunestream.spark.ingest import RECORDS, Ingest
from tunestream.spark.lake import Lake
from tunestream.spark.session import SparkJobError
from tunestream.tables.commits import SINK_LOG, last_batch, sink_files

pytestmark = pytest.mark.unit


def log_batch(table: Path, name: str, files: list[str], action: str = "add") -> Path:
    log = table / SINK_LOG / name
    log.parent.mkdir(parents=True, exist_ok=True)
    entries = [
        {"path": f"file://{table / f}".replace(" ", "%20"), "size": 1, "action": action}
        for f in files
    ]
    log.write_text("\n".join(["v1", *map(json.dumps, entries)]))
    return log


def test_each_file_belongs_to_the_log_file_that_first_listed_it(tmp_path: Path) -> None:
    table = tmp_path / "records"
    first = log_batch(table, "0", ["part 0.parquet"])
    second = log_batch(table, "1", ["part-1.parquet", "part-2.parquet"])
    log_batch(table, "1.compact", ["part 0.parquet", "part-1.parquet", "part-2.parquet"])
    third = log_batch(table, "2", ["part-3.parquet"])
    log_batch(table, "3", ["part-3.parquet"], action="delete")
    (table / SINK_LOG / ".4.tmp").write_text("v1\n")  # a log file being written

    assert sink_files(table) == {
        table / "part 0.parquet": first,
        table / "part-1.parquet": second,
        table / "part-2.parquet": second,
        table / "part-3.parquet": third,
    }
    assert last_batch(table / SINK_LOG) == 3
    assert last_batch(tmp_path / "nothing") is None


def ingest(tmp_path: Path) -> Ingest:
    return Ingest(Lake(tmp_path / "tables"), {"spotify.albums": "album"})


def checkpoint_at(tmp_path: Path, batch: int | None) -> Path:
    checkpoint = tmp_path / "checkpoints" / "kafka_records"
    if batch is not None:
        (checkpoint / "offsets").mkdir(parents=True)
        for n in range(batch + 1):
            (checkpoint / "offsets" / str(n)).write_text("v1\n")
    return checkpoint


@pytest.mark.parametrize(("logged", "started"), [(None, None), (None, 2), (2, 2), (2, 3)])
def test_stage_1_starts_when_its_checkpoint_has_every_batch_the_log_has(
    tmp_path: Path, logged: int | None, started: int | None
) -> None:
    stage1 = ingest(tmp_path)
    if logged is not None:
        for n in range(logged + 1):
            log_batch(Path(stage1.path), str(n), [f"part-{n}.parquet"])
    stage1.check(checkpoint_at(tmp_path, started), tmp_path / "checkpoints" / "records_tables")


@pytest.mark.parametrize(("started", "says"), [(None, "has none"), (1, "only up to 1")])
def test_stage_1_refuses_a_checkpoint_behind_the_log(
    tmp_path: Path, started: int | None, says: str
) -> None:
    """The sink skips a batch id its log has: a new checkpoint would lose its first batches."""
    stage1 = ingest(tmp_path)
    for n in range(3):
        log_batch(Path(stage1.path), str(n), [f"part-{n}.parquet"])
    with pytest.raises(SparkJobError, match=f"holds batches up to 2 but .* {says}: restore"):
        stage1.check(checkpoint_at(tmp_path, started), tmp_path / "records_tables")


def test_stage_1_refuses_records_kept_as_a_delta_table(tmp_path: Path) -> None:
    stage1 = ingest(tmp_path)
    (tmp_path / "tables" / RECORDS / "_delta_log").mkdir(parents=True)
    with pytest.raises(SparkJobError, match=r"is a Delta table .* delete the checkpoint"):
        stage1.check(checkpoint_at(tmp_path, 5), tmp_path / "records_tables")
