"""Shared fixtures: one real Kafka broker for the whole test session, on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import local_broker_settings
from tunestream.config import KafkaSettings
from tunestream.kafka.broker import LocalBroker


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real single-node KRaft broker, started once and stopped after the session."""
    broker = LocalBroker(local_broker_settings(), tmp_path_factory.mktemp("kafka-session"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def kafka_settings(kafka_broker: LocalBroker) -> KafkaSettings:
    """Kafka settings that point tunestream at the session broker as an existing cluster."""
    return KafkaSettings(bootstrap_servers=kafka_broker.bootstrap)
