"""What the running system exposes: every process of ``up`` listens on the loopback only, and no
secret — the SASL password of its configuration, the Spotify client's secret, an access token the
emulator issued — is in anything it writes, serves or prints, nor in what a failed start prints.

The system's Spotify client is the demo one ``up`` gives the emulator and the producer. The
emulator does not tell which tokens it issued: they are looked for by their form, ``BQ`` and 120
URL-safe characters (``tunestream_emulator.access``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.kafka import read_topic
from tests.support.net import free_port
from tests.support.sockets import descendants, listeners, table
from tests.support.system import (
    DATA_TIMEOUT_S,
    SASL_PASSWORD,
    SystemUnderTest,
    wait_for,
)
from tunestream.config import KafkaSettings
from tunestream.kafka.client import admin_client

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

LOOPBACK = {"127.0.0.1", "::1"}
CLIENT_SECRET = "tunestream-demo-secret"
REJECTED_SECRET = "a-client-secret-the-emulator-rejects"
TOKEN = re.compile(rb"BQ[A-Za-z0-9_-]{100,}")
SPARK_UI_PAGES = ("jobs/", "SQL/", "StreamingQuery/", "environment/")
DASHBOARD_PAGES = ("", "api/health", "api/producer", "api/kafka", "api/tables")


class Leaks:
    """Where a secret was found."""

    def __init__(self, *secrets: str) -> None:
        self.secrets = secrets
        self.found: list[str] = []

    def check(self, where: str, blob: bytes) -> None:
        held = [secret for secret in self.secrets if secret.encode() in blob]
        held += ["an access token"] if TOKEN.search(blob) else []
        self.found.extend(f"{where}: {secret}" for secret in held)

    def check_files(self, folder: Path) -> int:
        """Every file under ``folder``; how many were read."""
        read = 0
        for path in sorted(folder.rglob("*")):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):  # a temporary file
                self.check(str(path.relative_to(folder)), path.read_bytes())
                read += 1
        return read


def settings_of(system: SystemUnderTest) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(system.config.read_text())
    return config


def test_every_process_of_the_system_listens_on_the_loopback_only(
    system: SystemUnderTest,
) -> None:
    found = {name: listeners(descendants([pid])) for name, pid in system.pids().items()}
    print(f"\nlistening sockets of the system:\n{table(found)}")
    config = settings_of(system)
    expected = {
        "kafka": {config["kafka"]["local"]["port"], config["kafka"]["local"]["controller_port"]},
        "emulator": {config["system"]["emulator"]["port"]},
        "producer": {system.metrics_port},
        "spark": {int(config["spark"]["conf"]["spark.ui.port"])},
        "dashboard": {config["dashboard"]["port"]},
    }
    for name, ports in expected.items():
        held = {s.port for s in found[name]}
        assert ports <= held, f"{name} does not listen on {ports}:\n{table(found)}"
    exposed = {name: [s for s in of if s.host not in LOOPBACK] for name, of in found.items()}
    assert not any(exposed.values()), f"listening beyond the loopback:\n{table(exposed)}"


def test_no_secret_in_what_the_system_writes_serves_or_prints(system: SystemUnderTest) -> None:
    kafka = KafkaSettings.model_validate(settings_of(system)["kafka"])

    def albums() -> dict[str, Any] | None:
        return {"albums": True} if read_topic(kafka.bootstrap, "spotify.albums") else None

    wait_for("albums in Kafka", albums, DATA_TIMEOUT_S)
    issued = httpx.get(f"{system.emulator_url}/_admin/requests", timeout=30).json()["endpoints"]
    assert issued["POST /api/token"].get("200", 0) > 0  # a token to look for
    leaks = Leaks(SASL_PASSWORD, CLIENT_SECRET)
    assert leaks.check_files(system.data_dir) > 0

    topics = [t for t in admin_client(kafka).list_topics(timeout=30).topics if t[0] != "_"]
    records = 0
    for topic in topics:
        for message in read_topic(kafka.bootstrap, topic):
            blob = b"\0".join(
                [message.key.encode(), message.raw or b"", repr(message.headers).encode()]
            )
            leaks.check(f"topic {topic} key {message.key}", blob)
            records += 1
    assert records > 0

    spark_ui = f"http://127.0.0.1:{settings_of(system)['spark']['conf']['spark.ui.port']}/"
    urls = [f"http://127.0.0.1:{system.metrics_port}/metrics"]
    urls += [f"{system.dashboard_url}{page}" for page in DASHBOARD_PAGES]
    urls += [f"{spark_ui}{page}" for page in SPARK_UI_PAGES]
    for url in urls:
        response = httpx.get(url, timeout=30, follow_redirects=True)
        assert response.status_code == 200, url
        leaks.check(url, response.content)

    for args in (("status",), ("--debug", "status"), ("config", "show"), ("--debug", "up")):
        done = system.run(*args, timeout_s=120)
        assert done.returncode == 0, done.stderr
        leaks.check(f"tunestream {' '.join(args)}", (done.stdout + done.stderr).encode())
        if "show" in args:
            assert "sasl_password: '********'" in done.stdout

    for pid in descendants(system.pids().values()):
        with contextlib.suppress(FileNotFoundError):
            leaks.check(f"command line of {pid}", Path(f"/proc/{pid}/cmdline").read_bytes())
    assert leaks.found == []


def test_a_failed_start_names_no_secret(system: SystemUnderTest, tmp_path: Path) -> None:
    """A SASL cluster where nothing listens; then the system's broker, reached, and Spotify
    credentials the emulator rejects: each fails with one line, or a traceback with --debug."""
    broker = settings_of(system)["kafka"]["local"]["port"]
    clusters = {
        "no Kafka broker answered": {
            "bootstrap_servers": f"127.0.0.1:{free_port()}",
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "PLAIN",
            "sasl_username": "tunestream",
            "sasl_password": SASL_PASSWORD,
        },
        "Spotify rejected the client credentials": {"bootstrap_servers": f"127.0.0.1:{broker}"},
    }
    env = {
        **system.environment(),
        "SPOTIFY_API_URL": f"{system.emulator_url}/v1",
        "SPOTIFY_ACCOUNTS_URL": system.emulator_url,
        "SPOTIFY_CLIENT_ID": "tunestream-demo",
        "SPOTIFY_CLIENT_SECRET": REJECTED_SECRET,
    }
    runs = {}
    for n, (expected, kafka) in enumerate(clusters.items()):
        for debug in ((), ("--debug",)):
            config = tmp_path / f"failing-{n}{''.join(debug)}.yaml"
            settings = {
                # each run its own lock and transactional id
                "data_dir": str(tmp_path / "data" / config.stem),
                "kafka": kafka,
                "source": {"spec": "spotify", "name": f"rejected{n}{len(debug)}"},
                "producer": {"metrics_port": None},
            }
            config.write_text(yaml.safe_dump(settings))
            runs[expected, debug] = subprocess.Popen(
                dataclasses.replace(system, config=config).command(*debug, "produce", "--once"),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
    leaks = Leaks(SASL_PASSWORD, REJECTED_SECRET)
    for (expected, debug), process in runs.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 1, stderr
        if debug:
            assert "Traceback (most recent call last)" in stderr
        else:
            assert len(stderr.splitlines()) == 1, stderr
            assert stderr.startswith("tunestream: error: ")
        assert expected in stderr.splitlines()[-1]
        leaks.check(f"produce --once {' '.join(debug)} ({expected})", (stdout + stderr).encode())
    leaks.check_files(tmp_path / "data")  # if the producer wrote anything
    assert leaks.found == []
