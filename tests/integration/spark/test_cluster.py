"""The job on a Spark standalone cluster (master and worker from PySpark's own scripts): the
tables of the known input (poison, read_committed), with no enrichment topic: the job neither
fails nor waits for them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyspark
import pytest
from pyspark.sql import SparkSession

from tests.support.net import free_port
from tests.support.spark import (
    assert_tables,
    job_settings,
    produce_input,
    table,
    write_config,
)
from tunestream.config import KafkaSettings

# A second JVM (and a cluster) on shared CPUs: more than the default 300 s when they are busy.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

SPARK_CLASS = Path(pyspark.__file__).parent / "bin" / "spark-class"


def _daemon(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1"}
    return subprocess.Popen(
        [str(SPARK_CLASS), *args],
        env=env,
        start_new_session=True,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _master_state(ui_port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5) as response:
        state: dict[str, Any] = json.load(response)
        return state


def _wait(what: str, check: Any, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ValueError):  # not listening yet, or its UI still serving HTML, not JSON
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} not ready within {timeout_s:g} s")


@pytest.fixture
def standalone_cluster(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A master and one worker (2 cores, 1 GiB) on 127.0.0.1; yields (master URL, UI port)."""
    port, ui_port, worker_ui = free_port(), free_port(), free_port()
    master = _daemon(
        [
            "org.apache.spark.deploy.master.Master",
            *("--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)),
        ],
        tmp_path / "master.log",
    )
    url = f"spark://127.0.0.1:{port}"
    worker = _daemon(
        [
            "org.apache.spark.deploy.worker.Worker",
            url,
            *("--host", "127.0.0.1", "--cores", "2", "--memory", "1g"),
            *("--webui-port", str(worker_ui), "--work-dir", str(tmp_path / "work")),
        ],
        tmp_path / "worker.log",
    )
    try:
        _wait("master", lambda: socket.create_connection(("127.0.0.1", port), 1).close() or True)
        _wait("worker", lambda: len(_master_state(ui_port).get("workers", [])) == 1)
        yield url, ui_port
    finally:
        for daemon in (worker, master):
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGTERM)
            try:
                daemon.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait(10)


def test_the_job_on_a_standalone_cluster_gives_the_same_tables(
    spark: SparkSession,
    kafka_settings: KafkaSettings,
    tmp_path: Path,
    standalone_cluster: tuple[str, int],
) -> None:
    url, ui_port = standalone_cluster
    settings = job_settings(
        kafka_settings,
        tmp_path,
        features_timeout_s=3600,
        master=url,
        conf={
            "spark.ui.enabled": "false",
            "spark.executor.memory": "768m",
            "spark.cores.max": "2",
        },
    )
    cat = produce_input(settings.kafka)
    config = write_config(settings, tmp_path / "tunestream.yaml")

    result = subprocess.run(
        [sys.executable, "-m", "tunestream", "--config", str(config), "spark", "run", "--once"],
        capture_output=True,
        timeout=420,
    )
    log = result.stderr.decode(errors="replace")
    assert result.returncode == 0, log[-3000:]

    apps = _master_state(ui_port)
    ran = [a for a in apps.get("completedapps", []) + apps.get("activeapps", [])]
    assert [a["name"] for a in ran] == ["tunestream"], "the job did not run on the cluster"
    assert_tables(spark, settings, cat)  # the same ground truth as the local runs
    for name in ("reccobeats_features", "deezer_tracks", "musicbrainz_recordings"):
        assert table(spark, settings, name) == [], name
