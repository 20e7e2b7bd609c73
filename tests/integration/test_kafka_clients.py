"""Producing and consuming through the real broker with plain confluent-kafka clients."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer

from tunestream.config import KafkaSettings, TopicSettings
from tunestream.kafka.client import admin_client, client_config
from tunestream.kafka.topics import TopicAdmin

pytestmark = pytest.mark.integration


def consume_all(bootstrap: str, topic: str, expected: int, timeout_s: float = 30.0) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "fetch.message.max.bytes": 32 * 1024 * 1024,
        }
    )
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(values) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            values.append(message.value())
    finally:
        consumer.close()
    return values


def test_produce_and_consume_through_the_real_broker(kafka_settings: KafkaSettings) -> None:
    topic = f"t.roundtrip.{uuid.uuid4().hex[:8]}"
    TopicAdmin(admin_client(kafka_settings)).create([TopicSettings(name=topic, partitions=2)])
    producer = Producer({**client_config(kafka_settings), "enable.idempotence": True})
    sent = [f"record-{i}".encode() for i in range(200)]
    for i, value in enumerate(sent):
        producer.produce(topic, key=str(i % 7).encode(), value=value)
    assert producer.flush(30) == 0
    received = consume_all(kafka_settings.bootstrap, topic, len(sent))
    assert sorted(received) == sorted(sent)


def test_large_values_pass_where_the_topic_allows_them(kafka_settings: KafkaSettings) -> None:
    """Audio analysis documents exceed Kafka's 1 MB default; the configured topic takes them."""
    topic = f"t.large.{uuid.uuid4().hex[:8]}"
    TopicAdmin(admin_client(kafka_settings)).create(
        [TopicSettings(name=topic, max_message_bytes=16 * 1024 * 1024, compression_type="zstd")]
    )
    producer = Producer({**client_config(kafka_settings), "message.max.bytes": 16 * 1024 * 1024})
    value = os.urandom(3 * 1024 * 1024)  # incompressible: still 3 MiB on the wire
    producer.produce(topic, value=value)
    assert producer.flush(30) == 0
    assert consume_all(kafka_settings.bootstrap, topic, 1) == [value]
