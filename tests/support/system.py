"""The system under test: ``tunestream up`` on free ports, a temporary data dir, the emulator.

The configuration is the embedded default but for what keeps the run short on a small machine:
free ports, three markets of a small emulator catalog, no audio analysis (its documents are
large), and a Spark job on two cores that does not wait for features. It sets, besides, a SASL
password that the PLAINTEXT broker never asks for (:data:`SASL_PASSWORD`), so that a test can
look for it in everything the system writes and serves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.emulator import CATALOGS, MARKETS
from tests.support.net import free_port

__all__ = [
    "DATA_TIMEOUT_S",
    "MARKETS",
    "RESTART_TIMEOUT_S",
    "SASL_PASSWORD",
    "UP_TIMEOUT_S",
    "SystemUnderTest",
    "kill_and_await_restart",
    "status_rows",
    "wait_for",
    "write_system_config",
]

UP_TIMEOUT_S = 420.0
DATA_TIMEOUT_S = 300.0
SASL_PASSWORD = "sasl-password-of-the-system-run"
RESTART_TIMEOUT_S = 300.0
STATUS_COLUMNS = ("component", "state", "pid", "where", "restarts", "last exit")


@dataclass(frozen=True)
class SystemUnderTest:
    config: Path
    data_dir: Path
    dashboard_url: str
    emulator_url: str
    metrics_port: int

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tunestream", "-c", str(self.config), *args]

    @staticmethod
    def environment() -> dict[str, str]:
        """Ours, less Spotify credentials (so: the emulator) and tunestream settings."""
        return {
            k: v for k, v in os.environ.items() if not k.startswith(("TUNESTREAM_", "SPOTIFY_"))
        }

    def run(self, *args: str, timeout_s: float = UP_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
        """``tunestream -c <config> ARGS``, to its end."""
        return subprocess.run(
            self.command(*args),
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """``tunestream -c <config> ARGS`` in the background, its output in pipes."""
        return subprocess.Popen(
            self.command(*args),
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def url_of_dashboard(self) -> str | None:
        """The dashboard's URL once it answers, else None."""
        try:
            httpx.get(f"{self.dashboard_url}api/health", timeout=2).raise_for_status()
        except httpx.HTTPError:
            return None
        return self.dashboard_url

    def up(self) -> subprocess.CompletedProcess[str]:
        done = self.run("up")
        assert done.returncode == 0, f"up failed:\n{done.stdout}\n{done.stderr}"
        return done

    def pids(self) -> dict[str, int]:
        """The pid of every component and of the supervisor, from the pid files `up` wrote."""
        found = {"kafka": int((self.data_dir / "kafka" / "broker.pid").read_text())}
        for pid_file in (self.data_dir / "system").glob("*.pid"):
            found[pid_file.stem] = json.loads(pid_file.read_text())["pid"]
        return found

    def api(self, panel: str) -> dict[str, Any]:
        response = httpx.get(f"{self.dashboard_url}api/{panel}", timeout=30)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def truth_albums(self) -> dict[str, dict[str, Any]]:
        """Every album the emulator has released, by id."""
        found: dict[str, dict[str, Any]] = {}
        while True:
            page = httpx.get(
                f"{self.emulator_url}/_admin/truth/albums",
                params={"offset": len(found), "limit": 10_000},
                timeout=30,
            ).json()
            found.update({item["id"]: item for item in page["items"]})
            if not page["items"] or len(found) >= page["total"]:
                return found


def wait_for(
    what: str, check: Callable[[], dict[str, Any] | None], timeout_s: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"no {what} within {timeout_s:g} s"
        time.sleep(2.0)


def status_rows(system: SystemUnderTest) -> dict[str, dict[str, str]]:
    """`tunestream status`'s component table: name → column → cell (a wrapped cell joined)."""
    done = system.run("status", timeout_s=60)
    rows: dict[str, dict[str, str]] = {}
    for line in done.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if len(cells) != len(STATUS_COLUMNS) or cells[0] == "component":
            continue
        if cells[0]:
            name = cells[0]
            rows[name] = dict(zip(STATUS_COLUMNS, cells, strict=True))
        elif rows:  # a wrapped line: more of the last row's cells
            for column, cell in zip(STATUS_COLUMNS, cells, strict=True):
                rows[name][column] = f"{rows[name][column]} {cell}".strip()
    return rows


def kill_and_await_restart(system: SystemUnderTest, name: str) -> dict[str, str]:
    """SIGKILL the component once it runs (it may be restarting after an earlier kill of what it
    needs); its status row once it runs again, its last exit the kill."""

    def running() -> dict[str, str] | None:
        row = status_rows(system).get(name)
        return row if row is not None and row["state"] == "running" else None

    pid = int(wait_for(f"{name} running", running, RESTART_TIMEOUT_S)["pid"])
    os.kill(pid, signal.SIGKILL)

    def restarted() -> dict[str, str] | None:
        row = running()
        if row is None or row["pid"] == str(pid):
            return None
        return row if row["last exit"].startswith("killed by SIGKILL") else None

    row = wait_for(f"{name} restarted", restarted, RESTART_TIMEOUT_S)
    assert int(row["restarts"]) >= 1, row
    return row


def write_system_config(folder: Path) -> SystemUnderTest:
    emulator_port, metrics_port, dashboard_port = free_port(), free_port(), free_port()
    emulator_settings = folder / "emulator.yaml"
    emulator_settings.write_text(yaml.safe_dump({**CATALOGS["producer"], "history_days": 3}))
    data_dir = folder / "data"
    config = folder / "tunestream.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(data_dir),
                "kafka": {
                    "local": {"port": free_port(), "controller_port": free_port(), "heap": "512m"},
                    "sasl_mechanism": "PLAIN",
                    "sasl_username": "tunestream",
                    "sasl_password": SASL_PASSWORD,
                },
                # Spotify and the three sources that fill its gaps, as configured by default
                "sources": [
                    {
                        "spec": "spotify",
                        "variables": {"markets": MARKETS},
                        "skip": ["audio_analysis"],
                    },
                    {"spec": "reccobeats"},
                    {"spec": "deezer", "mode": "by-isrc"},
                    {"spec": "musicbrainz"},
                ],
                "producer": {"metrics_port": metrics_port},
                "spark": {
                    "master": "local[2]",
                    "shuffle_partitions": 1,
                    "driver_memory": "1g",
                    "trigger_interval_s": 5,
                    "tables_trigger_interval_s": 5,
                    "features_timeout_s": 0,
                    "conf": {"spark.ui.port": str(free_port())},
                },
                "dashboard": {"port": dashboard_port, "refresh_s": 2},
                "system": {
                    "stop_grace_s": 30,
                    "emulator": {"port": emulator_port, "settings_file": str(emulator_settings)},
                },
            }
        )
    )
    return SystemUnderTest(
        config,
        data_dir,
        f"http://127.0.0.1:{dashboard_port}/",
        f"http://127.0.0.1:{emulator_port}",
        metrics_port,
    )
