"""The components ``tunestream up`` runs as background processes, and how to tell each is ready.

Each is a command of its own, run by the Python that runs ``up``: the Spotify emulator's
(``python -m tunestream_emulator``, a distribution of its own that the pipeline never imports) and
``tunestream`` ones (``produce``, one process for every configured source; ``spark run``;
``dashboard``), these with the same configuration file as ``up``; all with its environment. The
producer reads the emulator's URLs and demo client from its environment, and cycles its Spotify
sources faster (``produce --emulator``).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from tunestream.config import Settings
from tunestream.extras import DASHBOARD, EMULATOR, SPARK, Requirement
from tunestream.system.process import DetachedProcess

__all__ = [
    "EMULATED_SPEC",
    "EMULATOR_MODULE",
    "SPARK_READY_LINE",
    "STAND_INS",
    "Component",
    "HttpReady",
    "LogReady",
    "Readiness",
    "against_emulator",
    "components",
    "uses_emulator",
]

SPARK_READY_LINE = "Spark job running on"
"""What ``tunestream spark run`` logs once its streaming query has started."""
EMULATED_SPEC = "spotify"
"""The spec whose API the emulator stands in for; when it runs, it serves the APIs of the specs
that fill Spotify's gaps too (:data:`STAND_INS`)."""
STAND_INS = {
    "reccobeats": ("RECCOBEATS_API_URL", "/reccobeats/v1"),
    "deezer": ("DEEZER_API_URL", "/deezer"),
    "musicbrainz": ("MUSICBRAINZ_API_URL", "/musicbrainz/ws/2"),
}
"""Spec → the variable of its base URL and the emulator's path serving its API."""
EMULATOR_MODULE = "tunestream_emulator"
"""Run as ``python -m``: the interpreter of ``up``, whether or not its scripts are on the PATH."""
DEMO_CLIENT_ID = "tunestream-demo"
DEMO_CLIENT_SECRET = "tunestream-demo-secret"  # a local emulator's, not a Spotify secret


class Readiness(Protocol):
    def __call__(self, process: DetachedProcess, log_offset: int) -> bool:
        """True once the component serves; ``log_offset`` is where this run's log begins."""
        ...


@dataclass(frozen=True)
class HttpReady:
    """Ready when ``url`` answers with a status below 500."""

    url: str

    def __call__(self, process: DetachedProcess, log_offset: int) -> bool:
        try:
            return httpx.get(self.url, timeout=2.0).status_code < 500
        except httpx.HTTPError:
            return False


@dataclass(frozen=True)
class LogReady:
    """Ready when this run's log has a line containing ``marker``."""

    marker: str

    def __call__(self, process: DetachedProcess, log_offset: int) -> bool:
        return any(self.marker in line for line in process.log_tail(10_000, log_offset))


@dataclass(frozen=True)
class Component:
    """One background process of the system."""

    name: str
    command: tuple[str, ...]
    """The arguments after ``python -m <module>``: for tunestream, a subcommand and its options."""
    ready: Readiness | None
    """None: ready once started (nothing to ask)."""
    stop_signal: signal.Signals = signal.SIGTERM
    port: int | None = None
    port_key: str = ""
    """The setting that moves ``port``, for the error when it is taken."""
    url: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    """Added to the environment ``up`` runs in."""
    module: str = "tunestream"
    """The Python module run; only ``tunestream`` is given ``up``'s configuration file."""
    needs: Requirement | None = None
    """What must be installed for it to run; checked by ``up`` before it starts anything."""

    def argv(self, config_file: Path | None) -> list[str]:
        options: list[str] = []
        if config_file is not None and self.module == "tunestream":
            options = ["--config", str(config_file.absolute())]
        return [sys.executable, "-m", self.module, *options, *self.command]


def uses_emulator(settings: Settings) -> bool:
    """Sources of the Spotify spec without Spotify credentials in the environment run on the
    emulator."""
    credentials = os.environ.get("SPOTIFY_CLIENT_ID") and os.environ.get("SPOTIFY_CLIENT_SECRET")
    spotify = any(source.spec == EMULATED_SPEC for source in settings.sources)
    return spotify and not credentials


def against_emulator(settings: Settings) -> Settings:
    """The settings of the producer ``up`` runs against the emulator (``produce --emulator``):
    the sources of the APIs it stands in for cycle every ``system.emulator.interval_s``, the
    others as configured."""
    interval = settings.system.emulator.interval_s
    sources = [
        source.model_copy(update={"interval_s": interval})
        if source.spec == EMULATED_SPEC or source.spec in STAND_INS
        else source
        for source in settings.sources
    ]
    return settings.model_copy(update={"sources": sources})


def components(settings: Settings, *, emulator: bool | None = None) -> list[Component]:
    """In start order: the emulator (``emulator``; default: when :func:`uses_emulator`), the
    producer, the Spark job, the dashboard."""
    found: list[Component] = []
    producer_env: dict[str, str] = {}
    if uses_emulator(settings) if emulator is None else emulator:
        run = settings.system.emulator
        base = f"http://127.0.0.1:{run.port}"
        options = ["--port", str(run.port), "--speed", f"{run.speed:g}"]
        if run.settings_file is not None:
            options += ["--settings", str(run.settings_file.absolute())]
        found.append(
            Component(
                "emulator",
                tuple(options),
                HttpReady(f"{base}/_admin/health"),
                port=run.port,
                port_key="system.emulator.port",
                url=base,
                # the client in its environment: a command line is any local user's to read, and
                # the pid file keeps it
                env={
                    "TUNESTREAM_EMULATOR_CLIENTS": f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}:extended"
                },
                module=EMULATOR_MODULE,
                needs=EMULATOR,
            )
        )
        producer_env = {
            "SPOTIFY_API_URL": f"{base}/v1",
            "SPOTIFY_ACCOUNTS_URL": base,
            "SPOTIFY_CLIENT_ID": DEMO_CLIENT_ID,
            "SPOTIFY_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "MUSICBRAINZ_CONTACT": base,  # the stand-in's: a User-Agent names a contact
            **{variable: f"{base}{path}" for variable, path in STAND_INS.values()},
        }
    metrics_port = settings.producer.metrics_port
    found.append(
        Component(
            "producer",
            ("produce", "--emulator") if producer_env else ("produce",),
            HttpReady(f"http://127.0.0.1:{metrics_port}/metrics")
            if metrics_port is not None
            else None,
            port=metrics_port,
            port_key="producer.metrics_port",
            url=f"http://127.0.0.1:{metrics_port}/metrics" if metrics_port is not None else "",
            env=producer_env,
        )
    )
    # SIGINT reaches only the job's Python side (PySpark starts its JVM ignoring SIGINT): it stops
    # the query between batches and then the session, which ends the JVM.
    found.append(
        Component("spark", ("spark", "run"), LogReady(SPARK_READY_LINE), signal.SIGINT, needs=SPARK)
    )
    dashboard = f"http://127.0.0.1:{settings.dashboard.port}"
    found.append(
        Component(
            "dashboard",
            ("dashboard",),
            HttpReady(f"{dashboard}/api/health"),
            port=settings.dashboard.port,
            port_key="dashboard.port",
            url=f"{dashboard}/",
            needs=DASHBOARD,
        )
    )
    return found
