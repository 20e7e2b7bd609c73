"""The local broker's lifecycle, through the CLI a user runs and through the library."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tests.support.kafka import local_broker_settings
from tests.support.net import free_port
from tunestream.errors import JarsMissingError, PortInUseError
from tunestream.kafka.broker import LocalBroker

pytestmark = pytest.mark.integration


def java_processes_using(path: Path) -> list[int]:
    """Pids of live processes whose command line mentions the path."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(path).encode() in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for value in values:
        producer.produce(topic, value=value)
    assert producer.flush(30) == 0


def consume(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": uuid.uuid4().hex,
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    values: list[bytes] = []
    try:
        for _ in range(120):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                values.append(message.value())
            if len(values) >= expected:
                break
    finally:
        consumer.close()
    return values


def test_cli_start_serves_an_ordinary_client_and_stop_leaves_no_process(tmp_path: Path) -> None:
    port, cport = free_port(), free_port()
    env = {
        **os.environ,
        "TUNESTREAM_DATA_DIR": str(tmp_path / "data"),
        "TUNESTREAM_KAFKA__LOCAL__PORT": str(port),
        "TUNESTREAM_KAFKA__LOCAL__CONTROLLER_PORT": str(cport),
        "TUNESTREAM_KAFKA__LOCAL__HEAP": "512m",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tunestream", "kafka", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=180,
        )

    try:
        started = cli("start")
        assert started.returncode == 0, started.stderr
        match = re.search(r"bootstrap servers: (\S+)", started.stdout)
        assert match is not None, started.stdout
        bootstrap = match.group(1)
        assert bootstrap == f"127.0.0.1:{port}"

        # An ordinary client, not tunestream's code, on the printed address.
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([NewTopic("plain", num_partitions=1)])["plain"].result(30)
        produce(bootstrap, "plain", [b"a", b"b", b"c"])
        assert consume(bootstrap, "plain", 3) == [b"a", b"b", b"c"]

        again = cli("start")
        assert again.returncode == 0, again.stderr
        assert "already running" in again.stdout

        status = cli("status")
        assert status.returncode == 0
        assert "running" in status.stdout

        logs = cli("logs", "-n", "5")
        assert logs.returncode == 0
        assert len(logs.stdout.strip().splitlines()) == 5
    finally:
        stopped = cli("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped" in stopped.stdout
    assert java_processes_using(tmp_path / "data") == []
    after = cli("status")
    assert after.returncode == 3
    assert "not running" in after.stdout


def test_records_survive_a_restart(tmp_path: Path) -> None:
    broker = LocalBroker(local_broker_settings(), tmp_path)
    topic = "survivor"
    values = [f"v{i}".encode() for i in range(50)]
    try:
        assert broker.start() is True
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(topic, num_partitions=1)])[topic].result(30)
        produce(broker.bootstrap, topic, values)
        assert broker.stop() is True
        assert broker.status().running is False
        assert broker.start() is True
        assert consume(broker.bootstrap, topic, len(values)) == values
    finally:
        broker.stop()
    assert java_processes_using(broker.home) == []


def test_a_taken_port_is_reported_clearly(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        broker = LocalBroker(local_broker_settings(port=taken), tmp_path)
        with pytest.raises(PortInUseError, match=f"port {taken} on 127.0.0.1 is already in use"):
            broker.start()
    assert broker.status().running is False


def test_missing_jars_say_how_to_get_them(tmp_path: Path) -> None:
    broker = LocalBroker(local_broker_settings(jars_dir=tmp_path / "nojars"), tmp_path)
    with pytest.raises(JarsMissingError, match="make jars"):
        broker.start()
