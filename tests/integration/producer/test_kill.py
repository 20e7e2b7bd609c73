"""kill -9 of the producer at random moments, then a restart: nothing lost, nothing twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.emulator import MARKETS
from tests.support.kafka import end_offset, read_topic, wait_for_writes
from tests.support.kills import kill_rounds, seeded_random
from tests.support.producer import emulator_environ, producer_settings, write_config
from tests.support.truth import (
    assert_each_once,
    assert_finished_cleanly,
    assert_values_match,
    new_releases_truth,
)
from tunestream.config import KafkaSettings
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration


@kill_rounds(lean=3, soak=6)
def test_kill_9_at_random_points_then_restart_loses_and_repeats_nothing(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
    rounds: int,
) -> None:
    emulator = start_emulator("producer")
    settings = producer_settings(kafka_settings.bootstrap)
    truth = new_releases_truth(emulator, MARKETS)
    config = write_config(
        tmp_path / "tunestream.yaml",
        settings,
        variables={"markets": MARKETS},
        metrics_port=None,
        commit_max_records=50,
        # about 15 s of work: the kills below land all through the cycle
        rate_limit={"requests_per_second": 30, "max_concurrency": 8},
    )
    env = {**os.environ, **emulator_environ(emulator)}
    command = [sys.executable, "-m", "tunestream", "-c", str(config), "produce", "--once"]
    topic = {key: t.name for key, t in settings.kafka.topics.items()}
    bootstrap = kafka_settings.bootstrap
    rng = seeded_random()
    kills, partial = 0, 0
    # At least ``rounds`` runs, and on (to twice as many) until some of the last stage's records
    # are in. Each run is killed a random moment after its first write to the state topic (its
    # first unit), so that every run gets on with the work however slowly a process starts.
    for attempt in range(2 * rounds):
        if attempt >= rounds and partial > 0:
            break
        started = end_offset(bootstrap, topic["source_state"])
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        wait_for_writes(process, bootstrap, topic["source_state"], started)
        time.sleep(rng.uniform(0.0, 3.0))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
        if attempt >= rounds - 1:
            partial = len(read_topic(bootstrap, topic["audio_analysis"]))
    assert 0 < partial < len(truth.tracks), "the kills did not fall in the middle of the work"
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    # the resumed cycle's line covers the whole cycle, the runs killed before it too (an album
    # of two markets' selections read by two runs counts in each)
    n = len(MARKETS)
    line = rf"new_releases: {n}/{n} parts read in {n} requests \(100% of its results\), (\d+) found"
    found = re.search(line, final.stderr)
    assert found is not None, final.stderr[-2000:]
    assert len(truth.albums) <= int(found[1]) <= sum(truth.markets.values())
    assert kills >= rounds - 1, "the producer finished before the kills could test anything"

    assert_values_match(emulator, assert_each_once(settings.kafka, truth.expected()))
    assert_finished_cleanly(settings.kafka, "spotify")
