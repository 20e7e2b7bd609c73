"""kill -9 of brokers while a producer cycle runs on the 3-broker cluster: the broker leading
partitions the producer writes, or its transaction coordinator, at random moments (the seed is
printed), each restarted before the next. Afterwards every entity of the emulator's truth is in
Kafka once (``read_committed``), as the catalog has it; no dead letter; and a second cycle finds
its state saying all is written, so writes nothing again.

A producer run that stops on a failure (one line, a non-zero exit) is run again, as a supervisor
would: it resumes from the state committed with its records. Each run's exit is printed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cluster import BrokerKiller, coordinator, exit_line, leaders, replicated
from tests.support.kills import seeded_random
from tests.support.producer import emulator_environ, producer_settings, write_config
from tests.support.truth import assert_each_once, assert_values_match, new_releases_truth
from tunestream.kafka.broker import LocalBroker
from tunestream.sink.transactional import pair_ids
from tunestream_emulator import EmulatorHandle

# Three broker JVMs restarted again and again on shared CPUs: minutes when the machine is busy.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

MARKET = "SE"
RUNS = 8
"""Producer runs allowed: each failure stops one, the next resumes."""


@pytest.mark.parametrize(
    ("kills", "requests_per_second"),
    [pytest.param(2, 2.0, id="lean"), pytest.param(10, 0.1, id="long", marks=pytest.mark.soak)],
)
def test_brokers_killed_during_a_cycle_lose_and_repeat_nothing(
    kafka_cluster: LocalBroker,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
    kills: int,
    requests_per_second: float,
) -> None:
    emulator = start_emulator("producer", markets=[MARKET], new_releases_size=8)
    emulator.clock(paused=True)  # nothing new is released: the second cycle finds nothing
    truth = new_releases_truth(emulator, [MARKET])
    bootstrap = kafka_cluster.bootstrap
    settings = replicated(producer_settings(bootstrap, create_topics=False), kafka_cluster)
    config = write_config(
        tmp_path / "tunestream.yaml",
        settings,
        variables={"markets": [MARKET]},
        metrics_port=None,
        commit_max_records=20,
        # the cycle lasts while the kills land: a slow budget, not a big catalog
        rate_limit={"requests_per_second": requests_per_second, "max_concurrency": 4},
    )
    env = {**os.environ, **emulator_environ(emulator)}
    command = [sys.executable, "-m", "tunestream", "-c", str(config), "produce", "--once"]
    topics = [t.name for t in settings.kafka.topics.values()]
    ids = pair_ids(settings.sources[0].transactional_id)

    def victims() -> dict[str, set[int]]:
        found = {coordinator(bootstrap, transactional_id) for transactional_id in ids}
        return {"leader": leaders(bootstrap, topics), "coordinator": found - {None}}

    killer = BrokerKiller(kafka_cluster, seeded_random(), victims, max_kills=kills)
    runs: list[tuple[int, str]] = []
    killer.start()
    try:
        while not runs or runs[-1][0] != 0:
            assert len(runs) < RUNS, f"the producer did not finish in {RUNS} runs: {runs}"
            run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
            runs.append((run.returncode, exit_line(run.stderr)))
    finally:
        done = killer.stop()
    print(f"kills: {[(k.node_id, k.role, k.at_s) for k in done]}")
    print(f"producer runs (exit, last line): {runs}")
    expected = {**truth.expected(), "dead_letter": set()}
    written = assert_each_once(settings.kafka, expected)
    assert_values_match(emulator, written)
    print(f"records checked: {sum(len(m) for m in written.values())}, lost 0, duplicated 0")
    assert len(done) == kills, f"the cycle ended after {len(done)} of {kills} kills"
    assert {k.role for k in done} == {"leader", "coordinator"}

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert_each_once(settings.kafka, expected)
