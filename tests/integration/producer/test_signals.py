"""The producer as a user runs it: metrics while it works, a clean stop on SIGTERM, a resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support.emulator import MARKETS
from tests.support.net import free_port
from tests.support.producer import emulator_environ, producer_settings, write_config
from tests.support.truth import assert_each_once, new_releases_truth
from tunestream.config import KafkaSettings
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration


def records_written(metrics: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("tunestream_records_total{")
    )


def test_sigterm_stops_cleanly_and_the_next_run_finishes_the_cycle(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    emulator = start_emulator("producer")
    truth = new_releases_truth(emulator, MARKETS)
    settings = producer_settings(kafka_settings.bootstrap)
    port = free_port()
    config = write_config(
        tmp_path / "tunestream.yaml",
        settings,
        variables={"markets": MARKETS},
        metrics_port=port,
        commit_max_records=100,
        rate_limit={"requests_per_second": 60, "max_concurrency": 4},
    )
    env = {**os.environ, **emulator_environ(emulator)}
    producer = subprocess.Popen(
        [sys.executable, "-m", "tunestream", "-c", str(config), "produce"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        metrics = ""
        while time.monotonic() < deadline:
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
            except httpx.TransportError:
                metrics = ""
            if records_written(metrics) > 0:
                break
            time.sleep(0.2)
        assert records_written(metrics) > 0, "no records were written within 60 s"
        assert 'endpoint="/browse/new-releases",outcome="200"' in metrics
        producer.send_signal(signal.SIGTERM)
        _, stderr = producer.communicate(timeout=60)
    finally:
        producer.kill()
    assert producer.returncode == 0, stderr[-2000:]
    assert "interrupted (stopped)" in stderr

    finish = subprocess.run(
        [sys.executable, "-m", "tunestream", "-c", str(config), "produce", "--once"],
        env={**env, "TUNESTREAM_SOURCE__METRICS_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finish.returncode == 0, finish.stderr[-2000:]
    expected = truth.expected("albums", "tracks", "audio_analysis", "artists")
    assert_each_once(settings.kafka, expected)
