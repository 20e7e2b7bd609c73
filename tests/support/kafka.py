"""A throw-away broker's settings, and reading a topic back as a consumer sees it."""

from __future__ import annotations

import random
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

import orjson
from confluent_kafka import Consumer, TopicPartition

from tests.support.net import free_port
from tunestream.config import LocalBrokerSettings

__all__ = [
    "Message",
    "end_offset",
    "local_broker_settings",
    "local_cluster_settings",
    "read_topic",
    "wait_for_writes",
]


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


def local_cluster_settings(brokers: int = 3, **overrides: object) -> LocalBrokerSettings:
    """Settings for a throw-away local cluster: ``2 * brokers`` consecutive free ports (node i's
    client and controller ports side by side) below the ephemeral range, so that no client's
    outgoing connection takes one while a node starts or restarts; each node's heap small."""
    return local_broker_settings(
        **{"brokers": brokers, "heap": "384m", **_port_pair(brokers), **overrides}
    )


def _port_pair(brokers: int) -> dict[str, int]:
    ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    while True:
        first = rng.randrange(10_000, ephemeral - 2 * brokers)
        if all(_bindable(port) for port in range(first, first + 2 * brokers)):
            return {"port": first, "controller_port": first + 1}


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class Message:
    """One committed record: its key, raw value and headers."""

    key: str
    raw: bytes
    headers: dict[str, str]

    @property
    def value(self) -> Any:
        """The value parsed as JSON."""
        return orjson.loads(self.raw)


def read_topic(bootstrap: str, topic: str, *, committed: bool = True) -> list[Message]:
    """Every committed record of a topic (read_committed, to the end); every record on the
    broker, in open transactions too, when ``committed`` is false."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": uuid.uuid4().hex,
            "isolation.level": "read_committed" if committed else "read_uncommitted",
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


def end_offset(bootstrap: str, topic: str) -> int:
    """The sum of a topic's end offsets: grows with every write, committed or not."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
            for p in partitions
        )
    finally:
        consumer.close()


def wait_for_writes(process: Popen[Any], bootstrap: str, topic: str, since: int) -> None:
    """Returns once ``topic`` has grown past ``since`` (see :func:`end_offset`), or ``process``
    has ended: a kill after this lands in work, not in the process's start-up."""
    while process.poll() is None and end_offset(bootstrap, topic) <= since:
        time.sleep(0.1)
