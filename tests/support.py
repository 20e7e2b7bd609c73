"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import Consumer, TopicPartition

from tunestream.config import LocalBrokerSettings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def local_broker_settings(**overrides: object) -> LocalBrokerSettings:
    """Settings for a throw-away local broker on free ports, sized for a test machine."""
    values: dict[str, object] = {
        "port": free_port(),
        "controller_port": free_port(),
        "heap": "512m",
        "stop_grace_s": 20.0,
    }
    values.update(overrides)
    return LocalBrokerSettings.model_validate(values)


@dataclass(frozen=True)
class Message:
    key: str
    raw: bytes
    headers: dict[str, str]

    @property
    def value(self) -> Any:
        """The value parsed as JSON."""
        return orjson.loads(self.raw)


def read_topic(bootstrap: str, topic: str) -> list[Message]:
    """Every committed record of a topic (read_committed, to the end)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": uuid.uuid4().hex,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "fetch.message.max.bytes": 32 * 1024 * 1024,
        }
    )
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    remaining, messages = set(partitions), []
    try:
        while remaining:
            message = consumer.poll(30)
            assert message is not None, f"timed out reading {topic}"
            error = message.error()
            if error is not None:
                assert error.code() == error._PARTITION_EOF, error
                remaining.discard(message.partition())
                continue
            headers = {k: v.decode() for k, v in (message.headers() or [])}
            messages.append(Message(message.key().decode(), message.value(), headers))
    finally:
        consumer.close()
    return messages
