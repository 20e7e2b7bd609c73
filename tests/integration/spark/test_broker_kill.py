"""kill -9 of brokers while the Spark job reads the 3-broker cluster: a broker leading partitions
the job reads, at random moments once its first batch has begun (the seed is printed), each
restarted before the next. Afterwards every entity of the emulator's truth is once in its table,
and every committed Kafka record once in ``records``.

A job run that stops on a failure is run again, as a supervisor would: it resumes from its
checkpoint. Each run's exit is printed."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cluster import BrokerKiller, exit_line, leaders, replicated
from tests.support.kafka import read_topic
from tests.support.kills import seeded_random
from tests.support.producer import emulator_spec, producer_settings, unthrottled
from tests.support.spark import KEYS, TEST_SPARK, write_config
from tests.support.truth import new_releases_truth
from tunestream.config import Settings, SparkSettings
from tunestream.kafka.broker import LocalBroker
from tunestream.runtime.service import Producer
from tunestream.spark.job import Job
from tunestream.tables.layout import QUERY_NAME
from tunestream.tables.query import connect
from tunestream_emulator import EmulatorHandle

# A Spark JVM and three broker JVMs restarted on shared CPUs: minutes when the machine is busy.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1800)]

MARKET = "SE"
RUNS = 5
"""Job runs allowed: each failure stops one, the next resumes."""


@pytest.mark.parametrize(
    ("kills", "per_batch"),
    [pytest.param(1, 40, id="lean"), pytest.param(8, 2, id="long", marks=pytest.mark.soak)],
)
def test_brokers_killed_while_the_job_runs_lose_and_repeat_no_row(
    kafka_cluster: LocalBroker,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
    kills: int,
    per_batch: int,
) -> None:
    emulator = start_emulator("producer", markets=[MARKET], new_releases_size=4)
    emulator.clock(paused=True)
    truth = new_releases_truth(emulator, [MARKET])
    bootstrap = kafka_cluster.bootstrap
    produced = replicated(producer_settings(bootstrap, create_topics=False), kafka_cluster)
    spec = unthrottled(emulator_spec(emulator, markets=[MARKET]))
    report = asyncio.run(Producer(produced, spec=spec).run(once=True))
    assert report is not None and report.completed, report
    spark = {**TEST_SPARK, "features_timeout_s": 3600, "max_offsets_per_trigger": per_batch}
    settings = Settings(
        data_dir=tmp_path, kafka=produced.kafka, spark=SparkSettings.model_validate(spark)
    )
    topics = sorted(Job.from_settings(settings).topic_entities)  # what the job reads
    committed = sum(len(read_topic(bootstrap, topic)) for topic in topics)
    config = write_config(settings, tmp_path / "tunestream.yaml")
    offsets = settings.spark.checkpoints_path(settings.data_dir) / QUERY_NAME / "offsets"

    def victims() -> dict[str, set[int]]:
        """The leaders of what the job reads, once its first batch has begun."""
        return {"leader": leaders(bootstrap, topics) if (offsets / "0").exists() else set()}

    killer = BrokerKiller(
        kafka_cluster, seeded_random(), victims, max_kills=kills, pause_s=(1.0, 6.0)
    )
    command = [sys.executable, "-m", "tunestream", "--config", str(config), "spark", "run"]
    runs: list[tuple[int, str]] = []
    killer.start()
    try:
        while not runs or runs[-1][0] != 0:
            assert len(runs) < RUNS, f"the job did not finish in {RUNS} runs: {runs}"
            run = subprocess.run([*command, "--once"], capture_output=True, text=True, timeout=1200)
            runs.append((run.returncode, exit_line(run.stderr)))
    finally:
        done = killer.stop()
    print(f"kills: {[(k.node_id, k.role, k.at_s) for k in done]}")
    print(f"job runs (exit, last line): {runs}")

    tables = connect(settings.spark.tables_path(settings.data_dir))
    records = tables.sql('SELECT topic, "partition", "offset" FROM records').fetchall()
    assert len(set(records)) == len(records) == committed
    problems = []
    for entity, ids in truth.expected().items():
        (key,) = KEYS[entity]
        rows = [row[0] for row in tables.sql(f"SELECT {key} FROM {entity}").fetchall()]
        if sorted(rows) != sorted(ids):
            missing, extra = ids - set(rows), set(rows) - ids
            twice = len(rows) - len(set(rows))
            problems.append(f"{entity}: {len(missing)} missing, {len(extra)} extra, {twice} twice")
    assert not problems, problems
    checked = len(records) + sum(len(ids) for ids in truth.expected().values())
    print(f"records and rows checked: {checked}, lost 0, duplicated 0")
    assert len(done) == kills, f"the job ended after {len(done)} of {kills} kills"
