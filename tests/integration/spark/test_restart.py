"""Kill the Spark job (kill -9, mid-batch) and restart it: no row missing, none doubled."""

from __future__ import annotations

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


@pytest.mark.parametrize(
    ("query", "batch"),
    [(QUERY_NAME, "1"), (TABLES_QUERY_NAME, "0")],
    ids=["stage 1 (Kafka to records)", "stage 2 (records to tables)"],
)
def test_killed_mid_batch_then_restarted_writes_every_row_once(
    spark: SparkSession, kafka_settings: KafkaSettings, tmp_path: Path, query: str, batch: str
) -> None:
    settings = job_settings(
        kafka_settings, tmp_path, features_timeout_s=3600, max_offsets_per_trigger=25
    )
    cat = produce_input(settings.kafka)
    total = input_count(cat)
    assert 25 < total <= 2 * 25  # two batches (0, and 1 that is killed), or three
    config = write_config(settings, tmp_path / "tunestream.yaml")
    checkpoint = settings.spark.checkpoints_path(settings.data_dir) / query
    tables = settings.spark.tables_path(settings.data_dir)

    # 1. The job, as a user runs it, in its own process (its own JVM).
    job = subprocess.Popen(
        [sys.executable, "-m", "tunestream", "--config", str(config), "spark", "run", "--once"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "job.log").open("wb"),
    )
    killed_mid_batch = False
    try:
        # 2. Wait until the batch has begun (its offsets are logged) and written to a table, but
        #    has not committed; then kill -9 the whole process group (Python and its JVM).
        deadline = time.monotonic() + 480
        before: set[Path] | None = None
        while time.monotonic() < deadline and job.poll() is None:
            if batch in _files(checkpoint / "offsets"):
                if before is None:
                    before = _commits(tables)
                elif _commits(tables) - before:
                    killed_mid_batch = batch not in _files(checkpoint / "commits")
                    break
            time.sleep(0.05)
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
        job.wait(30)
    log = (tmp_path / "job.log").read_text(errors="replace")
    assert killed_mid_batch, f"did not catch batch {batch} in flight; job log:\n{log[-3000:]}"

    # 3. Restart (here, in the test's Spark session) from the same checkpoint, to the end.
    start_job(spark, settings, available_now=True).await_termination(300)

    assert {"0", batch} <= _files(checkpoint / "commits")
    assert_tables(spark, settings, cat)
