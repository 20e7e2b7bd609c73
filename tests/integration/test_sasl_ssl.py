"""A SASL_SSL cluster (SCRAM-SHA-512 over TLS, host names verified) reached by configuration
alone, as a user runs tunestream: a config file naming the cluster, the password in the
environment.

One run of each component against the listener of :mod:`tests.support.sasl`: ``topics create``,
one producer cycle against a small emulator catalog (with ``--debug``), one Spark run into the
tables, and the dashboard's API, which reads Kafka for its sizes and album covers. What arrived
is compared with the emulator's truth, read back through the broker's PLAINTEXT listener (an
observer, not the clients under test). The password is then looked for in every output, file,
record and answer of the run. And the three ways a secured cluster is most often misconfigured —
a wrong password, a CA that did not sign the broker's certificate, a CA file that is not there —
are each one line and a non-zero exit, the Spark job's too; the dashboard says why it has no
Kafka panel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.kafka import read_topic
from tests.support.net import free_port
from tests.support.producer import emulator_environ
from tests.support.sasl import SaslSslCluster
from tests.support.spark import TEST_SPARK
from tests.support.system import wait_for
from tests.support.truth import assert_each_once, new_releases_truth
from tunestream.config import KafkaSettings, load_settings
from tunestream.dashboard.app import Dashboard
from tunestream.kafka.broker import LocalBroker
from tunestream.tables.query import connect
from tunestream_emulator import EmulatorHandle

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]

MARKET = "SE"
ENTITIES = ("albums", "tracks", "audio_features", "artists")


def _write_config(folder: Path, cluster: SaslSslCluster, **kafka: Any) -> Path:
    dashboard_port = free_port()
    config = folder / "tunestream.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(folder / "data"),
                "kafka": cluster.kafka(**kafka),
                "sources": [
                    {
                        "spec": "spotify",
                        "variables": {"markets": [MARKET]},
                        "skip": ["audio_analysis"],
                    }
                ],
                "producer": {"metrics_port": None},
                "spark": {**TEST_SPARK, "features_timeout_s": 0},
                "dashboard": {"port": dashboard_port, "refresh_s": 1},
            }
        )
    )
    return config


def _environment(**variables: str) -> dict[str, str]:
    """Ours, less Spotify and tunestream settings, plus ``variables``."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("TUNESTREAM_", "SPOTIFY_"))}
    return {**kept, **variables}


def _tunestream(
    config: Path, env: dict[str, str], *args: str, timeout_s: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunestream", "-c", str(config), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=config.parent,
        timeout=timeout_s,
        check=False,
    )


@pytest.mark.parametrize(
    ("case", "command", "exit_code", "said"),
    [
        ("wrong password", "topics create", 1, "SASL authentication error: Authentication failed"),
        # the Spark job: before its JVM starts
        ("wrong password", "spark run --once", 1, "SASL authentication error"),
        ("untrusted CA", "spark run --once", 1, "certificate verify failed"),
        ("untrusted CA", "produce --once", 1, "certificate verify failed"),
        ("missing CA", "topics create", 2, "kafka.ssl_ca_location: no such file"),
    ],
)
def test_a_refused_or_missing_credential_is_one_line_and_a_non_zero_exit(
    sasl_ssl_cluster: tuple[LocalBroker, SaslSslCluster],
    tmp_path: Path,
    case: str,
    command: str,
    exit_code: int,
    said: str,
) -> None:
    _, cluster = sasl_ssl_cluster
    wrong = f"not-{cluster.password}"
    kafka = {
        "wrong password": {},
        "untrusted CA": {"ssl_ca_location": str(cluster.stranger_ca_file)},
        "missing CA": {"ssl_ca_location": str(tmp_path / "absent-ca.pem")},
    }[case]
    config = _write_config(tmp_path, cluster, **kafka)
    password = wrong if case == "wrong password" else cluster.password
    env = _environment(
        **cluster.environment(password), SPOTIFY_CLIENT_ID="id", SPOTIFY_CLIENT_SECRET="secret"
    )

    done = _tunestream(config, env, *command.split(), timeout_s=120)

    assert done.returncode == exit_code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tunestream: error: "), lines[0]
    assert said in lines[0]
    assert password not in done.stdout + done.stderr


def test_the_dashboard_says_why_a_cluster_refused_it(
    sasl_ssl_cluster: tuple[LocalBroker, SaslSslCluster],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, cluster = sasl_ssl_cluster
    wrong = f"not-{cluster.password}"
    for name, value in cluster.environment(wrong).items():
        monkeypatch.setenv(name, value)
    panel = Dashboard(load_settings(_write_config(tmp_path, cluster))).kafka()
    assert panel["state"] == "unavailable", panel  # not "waiting": waiting will not help
    assert "SASL authentication error" in panel["reason"], panel
    assert wrong not in json.dumps(panel)


def test_producer_spark_and_dashboard_reach_a_sasl_ssl_cluster_by_configuration_alone(
    sasl_ssl_cluster: tuple[LocalBroker, SaslSslCluster],
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    broker, cluster = sasl_ssl_cluster
    emulator = start_emulator("producer", markets=[MARKET], new_releases_size=4)
    truth = new_releases_truth(emulator, [MARKET])
    assert truth.albums and truth.tracks
    config = _write_config(tmp_path, cluster)
    env = _environment(**cluster.environment(), **emulator_environ(emulator))
    said: list[str] = []

    created = _tunestream(config, env, "topics", "create")
    said += [created.stdout, created.stderr]
    assert created.returncode == 0, created.stderr
    assert created.stdout.count(": created") == len(KafkaSettings().topics), created.stdout

    produced = _tunestream(config, env, "--debug", "produce", "--once")
    said += [produced.stdout, produced.stderr]
    assert produced.returncode == 0, produced.stderr[-3000:]
    observer = KafkaSettings(bootstrap_servers=broker.bootstrap)  # the PLAINTEXT listener
    assert_each_once(observer, truth.expected(*ENTITIES))

    ran = _tunestream(config, env, "spark", "run", "--once", timeout_s=900)
    said += [ran.stdout, ran.stderr]
    assert ran.returncode == 0, ran.stderr[-3000:]
    tables = connect(tmp_path / "data" / "tables")
    assert {r[0] for r in tables.sql("SELECT album_id FROM albums").fetchall()} == truth.albums
    assert {r[0] for r in tables.sql("SELECT track_id FROM tracks").fetchall()} == truth.tracks
    assert {r[0] for r in tables.sql("SELECT artist_id FROM artists").fetchall()} == truth.artists
    assert tables.sql("SELECT count(*) FROM quarantine").fetchall() == [(0,)]

    panels = _dashboard_panels(config, env, said)
    topics = {row["key"]: row for row in panels["kafka"]["topics"]}
    assert topics["albums"]["exists"] and topics["albums"]["partitions"] == 4
    assert topics["albums"]["records"] >= len(truth.albums)
    assert topics["albums"]["spark_lag"] == 0
    releases = panels["tables"]["releases"]
    assert {r["album_id"] for r in releases} == truth.albums
    # covers come from the albums topic, read by the dashboard's own consumer
    assert all(r["cover"] and r["cover"].startswith("https://") for r in releases), releases

    _assert_secret_kept(cluster.password, said, [tmp_path, broker.home], observer)


def _dashboard_panels(config: Path, env: dict[str, str], said: list[str]) -> dict[str, Any]:
    """The dashboard's Kafka and tables panels once both are drawn; its output joins ``said``."""
    port = yaml.safe_load(config.read_text())["dashboard"]["port"]
    process = subprocess.Popen(
        [sys.executable, "-m", "tunestream", "-c", str(config), "dashboard"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def drawn() -> dict[str, Any] | None:
        try:
            found = {
                name: httpx.get(f"http://127.0.0.1:{port}/api/{name}", timeout=30).json()
                for name in ("kafka", "tables")
            }
        except httpx.HTTPError:
            return None
        ready = all(panel["state"] == "ok" for panel in found.values())
        return found if ready and found["kafka"]["spark"] is not None else None

    try:
        panels = wait_for("the dashboard's Kafka and tables panels", drawn, 180)
    finally:
        process.terminate()
        out, err = process.communicate(timeout=60)
        said += [out, err]
    said.append(json.dumps(panels))
    return panels


def _assert_secret_kept(
    password: str, said: list[str], folders: list[Path], observer: KafkaSettings
) -> None:
    """The password is in no output, no file under ``folders`` (data, tables, checkpoints, the
    broker's logs) and no record of any topic."""
    assert not [text for text in said if password in text], "the password was printed"
    secret = password.encode()
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    assert files
    assert not [p for p in files if secret in p.read_bytes()], "the password is in a file"
    for topic in observer.topics.values():
        for message in read_topic(observer.bootstrap, topic.name):
            assert secret not in message.raw, f"the password is in a record of {topic.name}"
            assert password not in message.key + json.dumps(message.headers)
