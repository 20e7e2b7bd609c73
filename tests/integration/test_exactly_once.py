"""Records and source state in one transaction: kill -9 at any moment loses and repeats nothing."""

from __future__ import annotations

import random
import subprocess
import sys
import time
import uuid

import pytest

from tests.support import read_topic
from tunestream.config import KafkaSettings, TopicSettings
from tunestream.errors import ProducerFenced
from tunestream.kafka.client import admin_client, client_config
from tunestream.kafka.topics import TopicAdmin
from tunestream.records import Record
from tunestream.sink.transactional import TransactionalSink, producer_config
from tunestream.state.store import KafkaStateStore, state_records

pytestmark = pytest.mark.integration


def read_committed(bootstrap: str, topic: str) -> list[bytes]:
    return [message.raw for message in read_topic(bootstrap, topic)]


def make_topics(settings: KafkaSettings) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    data, state = f"eos.data.{suffix}", f"eos.state.{suffix}"
    TopicAdmin(admin_client(settings)).create(
        [
            TopicSettings(name=data, partitions=3),
            TopicSettings(name=state, cleanup_policy="compact"),
        ]
    )
    return data, state


def test_kill_9_at_random_moments_loses_and_repeats_nothing(kafka_settings: KafkaSettings) -> None:
    data, state = make_topics(kafka_settings)
    total = 3000
    command = [sys.executable, "-m", "tests.integration.eos_counter"]
    command += [kafka_settings.bootstrap, data, state, str(total)]
    rng = random.Random(20261124)
    kills = 0
    for _ in range(8):
        # Kill after a random number of commits plus a random fraction of the next unit, so that
        # kills land inside open transactions as well as between them, however fast the machine.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for _ in range(rng.randint(1, 40)):
            if not process.stdout.readline():
                break
        time.sleep(rng.uniform(0.0, 0.02))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
        process.stdout.close()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert finished.returncode == 0, finished.stderr
    assert f"done at {total}" in finished.stdout
    assert kills == 8, "the writer finished before a kill: the test did not test anything"

    values = read_committed(kafka_settings.bootstrap, data)
    assert len(values) == total
    assert sorted(int(v) for v in values) == list(range(total))


def test_an_aborted_unit_leaves_nothing_visible(kafka_settings: KafkaSettings) -> None:
    data, state = make_topics(kafka_settings)
    sink = TransactionalSink(
        producer_config(client_config(kafka_settings), f"abort-{uuid.uuid4().hex}")
    )
    sink.start()
    sink.write([Record(data, b"k", b"kept")])

    def failing_unit() -> list[Record]:
        yield Record(data, b"k", b"lost")
        raise RuntimeError("the source failed half-way through the unit")

    with pytest.raises(RuntimeError):
        sink.write(failing_unit())
    sink.write(state_records(state, "s/", {"after": b"1"}))
    sink.close()

    assert read_committed(kafka_settings.bootstrap, data) == [b"kept"]
    loaded = KafkaStateStore(client_config(kafka_settings), state, "s/").load()
    assert loaded == {"after": b"1"}


def test_a_second_producer_with_the_same_id_fences_the_first(
    kafka_settings: KafkaSettings,
) -> None:
    data, _ = make_topics(kafka_settings)
    config = producer_config(client_config(kafka_settings), f"fence-{uuid.uuid4().hex}")
    old = TransactionalSink(config)
    old.start()
    old.write([Record(data, b"a", b"from-old")])
    new = TransactionalSink(config)
    new.start()
    with pytest.raises(ProducerFenced):
        old.write([Record(data, b"b", b"zombie")])
    new.write([Record(data, b"c", b"from-new")])
    new.close()
    assert sorted(read_committed(kafka_settings.bootstrap, data)) == [b"from-new", b"from-old"]


def test_state_keeps_the_latest_value_and_honours_deletes(kafka_settings: KafkaSettings) -> None:
    _, state = make_topics(kafka_settings)
    sink = TransactionalSink(
        producer_config(client_config(kafka_settings), f"state-{uuid.uuid4().hex}")
    )
    sink.start()
    sink.write(state_records(state, "src/", {"a": b"1", "b": b"1"}))
    sink.write(state_records(state, "src/", {"a": b"2", "b": None}))
    sink.write(state_records(state, "other/", {"a": b"x"}))
    sink.close()
    store = KafkaStateStore(client_config(kafka_settings), state, "src/")
    assert store.load() == {"a": b"2"}
