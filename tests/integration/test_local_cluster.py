"""The local 3-broker cluster: every topic replicated three times with ``min.insync.replicas`` 2,
the internal ones too; a broker stopped and restarted, or the whole cluster, loses nothing."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer

from tests.support.cluster import await_in_sync, leaders
from tests.support.kafka import read_topic
from tunestream.config import KafkaSettings
from tunestream.kafka.broker import LocalBroker
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin

# Three JVMs on shared CPUs: starts and restarts take minutes when the machine is busy.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

INTERNAL = ("__consumer_offsets", "__transaction_state")


def _cluster_settings(cluster: LocalBroker, **topics: object) -> KafkaSettings:
    """Settings that use the cluster as tunestream's own local cluster, with fresh topic names."""
    suffix = uuid.uuid4().hex[:8]
    named = {key: {"name": f"{key}.{suffix}"} for key in ("dead_letter", "source_state")}
    return KafkaSettings(local=cluster.settings, topics={**named, **topics})


def _write(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """The values in one transaction, acks from every in-sync replica."""
    producer = Producer(
        {"bootstrap.servers": bootstrap, "transactional.id": f"cluster-{uuid.uuid4().hex}"}
    )
    producer.init_transactions(120)
    producer.begin_transaction()
    for value in values:
        producer.produce(topic, value=value, key=value)
    producer.commit_transaction(120)


def _topic(cluster: LocalBroker) -> str:
    kafka = _cluster_settings(cluster)
    topic = kafka.topics["dead_letter"]
    TopicAdmin(admin_client(kafka)).create([topic])
    return topic.name


def _values(bootstrap: str, topic: str) -> list[bytes]:
    return sorted(message.raw for message in read_topic(bootstrap, topic))


def test_every_topic_and_the_internal_ones_keep_three_copies(kafka_cluster: LocalBroker) -> None:
    kafka = _cluster_settings(kafka_cluster, source_plan={"replication_factor": 1})
    assert kafka.bootstrap == kafka_cluster.bootstrap
    assert len(kafka.bootstrap.split(",")) == 3
    admin = TopicAdmin(admin_client(kafka))
    created = [kafka.topics[k] for k in ("dead_letter", "source_state", "source_plan")]
    admin.create(created)
    # a transaction and a consumer group make the internal topics
    _write(kafka.bootstrap, created[0].name, [b"made"])
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": uuid.uuid4().hex})
    consumer.subscribe([created[0].name])
    deadline = time.monotonic() + 120
    while None in admin.describe(INTERNAL).values() and time.monotonic() < deadline:
        consumer.poll(1)
    consumer.close()

    states = admin.describe([*(t.name for t in created), *INTERNAL])
    found = {
        name: (state.replication_factor, state.configs.get("min.insync.replicas"))
        for name, state in states.items()
        if state is not None
    }
    assert found == {
        created[0].name: (3, "2"),
        created[1].name: (3, "2"),
        created[2].name: (1, "1"),  # its own replication factor wins
        "__consumer_offsets": (3, "2"),
        "__transaction_state": (3, "2"),
    }
    metadata = admin_client(kafka).list_topics(timeout=30)
    assert sorted(metadata.brokers) == [1, 2, 3]


def test_a_leader_stopped_and_restarted_with_its_data_loses_nothing(
    kafka_cluster: LocalBroker,
) -> None:
    bootstrap = kafka_cluster.bootstrap
    topic = _topic(kafka_cluster)
    before = [f"before-{i:03}".encode() for i in range(200)]
    _write(bootstrap, topic, before)
    (leader,) = leaders(bootstrap, [topic])
    try:
        assert kafka_cluster.node(leader).stop(kafka_cluster.settings.stop_grace_s)
        assert not kafka_cluster.status().running
        during = [f"during-{i:03}".encode() for i in range(200)]
        _write(bootstrap, topic, during)  # two in-sync replicas left: enough
    finally:
        kafka_cluster.start_node(leader)
    await_in_sync(bootstrap, 300)  # the restarted broker caught up: in sync again
    assert _values(bootstrap, topic) == sorted(before + during)


def test_the_whole_cluster_stopped_and_started_loses_nothing(kafka_cluster: LocalBroker) -> None:
    bootstrap = kafka_cluster.bootstrap
    topic = _topic(kafka_cluster)
    values = [f"v-{i:04}".encode() for i in range(500)]
    _write(bootstrap, topic, values)
    assert kafka_cluster.stop() is True
    assert kafka_cluster.status().pids == (None, None, None)
    assert kafka_cluster.start() is True
    await_in_sync(bootstrap, 300)
    assert _values(bootstrap, topic) == sorted(values)
