"""The producer writes only into a cluster that answers and topics made as configured: no broker,
a missing topic, or one that keeps records otherwise (a state topic that deletes by age) stops it
with one line before anything is written."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.producer import emulator_spec, producer_settings
from tunestream.config import KafkaSettings, Settings
from tunestream.errors import TopicConflict, TopicError
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream.runtime.service import Producer
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration


def _run(settings: Settings, emulator: EmulatorHandle) -> None:
    asyncio.run(Producer(settings, spec=emulator_spec(emulator)).run(once=True))


def test_missing_topics_stop_the_producer_and_none_is_made(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator("producer")
    settings = producer_settings(kafka_settings.bootstrap, create_topics=False)
    names = [t.name for t in settings.kafka.topics.values()]
    admin = TopicAdmin(admin_client(settings.kafka))
    # all but the state topic, made as configured
    admin.create([t for k, t in settings.kafka.topics.items() if k != "source_state"])

    with pytest.raises(TopicError) as raised:
        _run(settings, emulator)

    state_topic = settings.kafka.topics["source_state"].name
    assert "topics missing: " in str(raised.value)
    assert state_topic in str(raised.value)
    assert "tunestream topics create" in str(raised.value)
    assert admin.describe([state_topic])[state_topic] is None, "the state topic was made"
    assert emulator.requests()["endpoints"] == {}, "the API was asked before the topics were"
    admin.delete(names)


def test_a_state_topic_that_deletes_by_age_stops_the_producer(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator("producer")
    settings = producer_settings(kafka_settings.bootstrap, create_topics=False)
    state = settings.kafka.topics["source_state"]
    admin = TopicAdmin(admin_client(settings.kafka))
    admin.create(
        [
            *(t for k, t in settings.kafka.topics.items() if k != "source_state"),
            state.model_copy(update={"cleanup_policy": "delete"}),
        ]
    )

    with pytest.raises(TopicConflict) as raised:
        _run(settings, emulator)

    assert f"{state.name} has delete, configured compact" in str(raised.value)
    assert emulator.requests()["endpoints"] == {}, "the API was asked before the topics were"
    admin.delete([t.name for t in settings.kafka.topics.values()])


def test_no_broker_gives_one_line_and_exit_1(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    (tmp_path / "tunestream.yaml").write_text(f"kafka:\n  bootstrap_servers: {address}\n")
    environ = {**os.environ, "SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "secret"}

    done = subprocess.run(
        [sys.executable, "-m", "tunestream", "produce", "--once"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environ,
        timeout=120,
    )

    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"tunestream: error: no Kafka broker answered at {address}")
