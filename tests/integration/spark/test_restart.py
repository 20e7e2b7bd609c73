"""Kill the Spark job (kill -9, mid-batch) and restart it: no row missing, none doubled."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.support.spark import (
    assert_tables,
    input_count,
    job_settings,
    produce_input,
    write_config,
)
from tunestream.config import KafkaSettings
from tunestream.spark.job import start_job
from tunestream.tables.commits import SINK_LOG
from tunestream.tables.layout import QUERY_NAME, TABLES_QUERY_NAME

# A second JVM (and a cluster) on shared CPUs: more than the default 300 s when they are busy.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _commits(tables: Path) -> set[Path]:
    """Every commit file of every table: Delta's, and the file sink's log of ``records``."""
    return {*tables.glob("*/_delta_log/*.json"), *tables.glob(f"*/{SINK_LOG}/[0-9]*")}


def _kill_group(job: subprocess.Popen[bytes]) -> None:
    """kill -9 of the job's process group (Python and its JVM), returning once none is left
    (or, should a zombie linger unreaped, 30 s on: a zombie writes nothing)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(job.pid, signal.SIGKILL)
    job.wait(30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(job.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


ATTEMPTS = 3
"""Runs of the job, each killed once its batch has begun and written: the kill may land just
after the batch's commit, which the checkpoint then shows; the test runs the job anew then."""


@pytest.mark.parametrize(
    ("query", "batch"),
    [(QUERY_NAME, "1"), (TABLES_QUERY_NAME, "0")],
    ids=["stage 1 (Kafka to records)", "stage 2 (records to tables)"],
)
def test_killed_mid_batch_then_restarted_writes_every_row_once(
    spark: SparkSession, kafka_settings: KafkaSettings, tmp_path: Path, query: str, batch: str
) -> None:
    for attempt in range(ATTEMPTS):
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        settings = job_settings(
            kafka_settings, folder, features_timeout_s=3600, max_offsets_per_trigger=25
        )
        cat = produce_input(settings.kafka)
        total = input_count(cat)
        assert 25 < total <= 2 * 25  # two batches (0, and 1 that is killed), or three
        config = write_config(settings, folder / "tunestream.yaml")
        checkpoint = settings.spark.checkpoints_path(settings.data_dir) / query
        tables = settings.spark.tables_path(settings.data_dir)

        # 1. The job, as a user runs it, in its own process (its own JVM).
        job = subprocess.Popen(
            [sys.executable, "-m", "tunestream", "--config", str(config), "spark", "run", "--once"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(folder / "job.log").open("wb"),
        )
        before: set[Path] | None = None
        try:
            # 2. Once the batch has begun (its offsets are logged) and written to a table,
            #    kill -9 the whole process group.
            deadline = time.monotonic() + 480
            while time.monotonic() < deadline and job.poll() is None:
                if batch in _files(checkpoint / "offsets"):
                    if before is None:
                        before = _commits(tables)
                    elif _commits(tables) - before:
                        break
                time.sleep(0.05)
        finally:
            _kill_group(job)
        # 3. What the kill left decides: the batch's offsets logged, table commits since, and
        #    no commit of the batch in the checkpoint: it was killed in flight.
        log = (folder / "job.log").read_text(errors="replace")
        assert before is not None, f"batch {batch} never began; job log:\n{log[-3000:]}"
        assert _commits(tables) - before, f"batch {batch} wrote nothing; job log:\n{log[-3000:]}"
        if batch not in _files(checkpoint / "commits"):
            break
        print(f"run {attempt}: batch {batch} committed before the kill landed; again")
    else:
        pytest.fail(f"batch {batch} committed before the kill in each of {ATTEMPTS} runs")

    # 4. Restart (here, in the test's Spark session) from the same checkpoint, to the end.
    start_job(spark, settings, available_now=True).await_termination(300)

    assert {"0", batch} <= _files(checkpoint / "commits")
    assert_tables(spark, settings, cat)
