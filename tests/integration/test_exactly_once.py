"""Records and source state in one transaction: kill -9 at any moment loses and repeats nothing."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
import uuid

import pytest

from tests.support.eos_counter import PREFIX
from tests.support.kafka import read_topic
from tests.support.kills import kill_rounds, seeded_random
from tunestream.config import KafkaSettings, TopicSettings
from tunestream.errors import ProducerFenced, SinkError, TransactionAborted
from tunestream.kafka.client import admin_client, client_config
from tunestream.kafka.topics import TopicAdmin
from tunestream.records import Record
from tunestream.runtime.committer import Committer
from tunestream.sink.transactional import SinkPair, TransactionalSink, pair_ids, producer_config
from tunestream.state.store import KafkaStateStore, state_records
from tunestream.state.work import WorkState

pytestmark = pytest.mark.integration


def read_committed(bootstrap: str, topic: str) -> list[bytes]:
    return [message.raw for message in read_topic(bootstrap, topic)]


def on_the_broker(bootstrap: str, topic: str, key: str) -> None:
    """Waits until a record with ``key`` is on the broker, committed or not."""
    while not any(m.key == key for m in read_topic(bootstrap, topic, committed=False)):
        time.sleep(0.05)


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


@kill_rounds(lean=3, soak=8)
def test_kill_9_at_random_moments_loses_and_repeats_nothing(
    kafka_settings: KafkaSettings, rounds: int
) -> None:
    data, state = make_topics(kafka_settings)
    total = 3000
    command = [sys.executable, "-m", "tests.support.eos_counter"]
    command += [kafka_settings.bootstrap, data, state, str(total)]
    rng = seeded_random()
    kills = 0
    for _ in range(rounds):
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
    assert kills == rounds, "the writer finished before a kill: the test did not test anything"

    written = read_topic(kafka_settings.bootstrap, data)
    assert sorted(int(m.key) for m in written) == list(range(total))
    assert all(m.raw == m.key.encode() for m in written), "a number written under another key"
    # the state's last value is the finished count: a restart would write nothing more
    counter = KafkaStateStore(client_config(kafka_settings), state, PREFIX).load()
    assert counter == {"cursor/count/all": f'{{"next":{total}}}'.encode()}


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


def test_a_record_the_broker_refuses_aborts_the_unit_and_names_topic_and_reason(
    kafka_settings: KafkaSettings,
) -> None:
    small = f"eos.small.{uuid.uuid4().hex[:8]}"
    TopicAdmin(admin_client(kafka_settings)).create(
        [TopicSettings(name=small, max_message_bytes=2048)]
    )
    sink = TransactionalSink(
        producer_config(client_config(kafka_settings), f"refused-{uuid.uuid4().hex}")
    )
    sink.start([small])
    # under the producer's limit, over the topic's: only the broker refuses it, after the send
    unit = [Record(small, b"k", b"fits"), Record(small, b"big", random.randbytes(64 * 1024))]
    with pytest.raises(TransactionAborted) as refused:
        sink.write(unit)
    assert small in str(refused.value)
    assert "too large" in str(refused.value).lower()
    assert read_committed(kafka_settings.bootstrap, small) == []  # nothing of the unit


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


def test_a_failed_commit_aborts_the_unit_open_beside_it(kafka_settings: KafkaSettings) -> None:
    data, state = make_topics(kafka_settings)
    base = client_config(kafka_settings)
    transactional_id = f"pipeline-{uuid.uuid4().hex}"
    sinks = SinkPair(base, transactional_id)
    sinks.start()
    work = WorkState()
    committer = Committer(sinks.sinks, work, state_topic=state, prefix="s/", max_records=2)

    async def run() -> None:
        committer.add([Record(data, b"1", b"kept"), Record(data, b"2", b"kept")])
        work.set_cursor("r", "1", {"done": True})
        await committer.flush()  # unit 1, in the first producer
        committer.add([Record(data, b"3", b"lost"), Record(data, b"4", b"lost")])
        work.set_cursor("r", "2", {"done": True})
        # unit 2 is open in the second producer: a newer process takes its id over
        TransactionalSink(producer_config(base, pair_ids(transactional_id)[1])).start()
        await committer.maybe_flush()  # due: unit 2's commit starts, and fails
        committer.add([Record(data, b"5", b"lost")])  # unit 3, open in the first producer
        work.set_cursor("r", "3", {"done": True})
        await asyncio.to_thread(on_the_broker, kafka_settings.bootstrap, data, "5")  # uncommitted
        with pytest.raises(SinkError):
            await committer.flush()
        with pytest.raises(SinkError):
            committer.add([Record(data, b"6", b"lost")])

    asyncio.run(run())
    # unit 3 was aborted, not left open: its producer takes a new transaction at once
    sinks.sinks[0].write([Record(data, b"7", b"after")])
    sinks.sinks[0].close()
    assert sorted(read_committed(kafka_settings.bootstrap, data)) == [b"after", b"kept", b"kept"]
    loaded = KafkaStateStore(base, state, "s/").load()
    assert loaded == {"cursor/r/1": b'{"done":true}'}


def test_a_restart_aborts_what_both_producers_left_open(kafka_settings: KafkaSettings) -> None:
    data, state = make_topics(kafka_settings)
    base = client_config(kafka_settings)
    transactional_id = f"restart-{uuid.uuid4().hex}"
    crashed = SinkPair(base, transactional_id)
    crashed.start()
    crashed.sinks[0].write([Record(data, b"1", b"kept")])
    for n, sink in enumerate(crashed.sinks):  # one unit committing, one open: then it dies
        sink.begin()
        sink.produce([Record(data, b"x", f"lost-{n}".encode())])
        sink.produce(state_records(state, "s/", {"next": f"lost-{n}".encode()}))
        sink._producer.flush(10)  # on the broker, uncommitted
    restarted = SinkPair(base, transactional_id)
    restarted.start()
    assert KafkaStateStore(base, state, "s/").load() == {}
    restarted.sinks[1].write([Record(data, b"2", b"new")])
    restarted.close()
    assert sorted(read_committed(kafka_settings.bootstrap, data)) == [b"kept", b"new"]
    with pytest.raises(SinkError):  # the crashed process, were it alive, is fenced
        crashed.sinks[0].commit()
