"""``tunestream up | down | status``: the whole system, each part only if not already running.

In order: the local Kafka broker (when no ``kafka.bootstrap_servers`` is set), the topics (those
``kafka.topics`` names and every source's), the Spotify emulator (when no Spotify credentials are
set), the producer (one process running every source), the Spark job and the dashboard. Their pid
files and logs are in ``<data_dir>/system`` (the broker keeps its own in ``<data_dir>/kafka``), with
the supervisor's (:mod:`tunestream.system.supervisor`) and its record of each component.
``down`` stops the supervisor first, then the components in the reverse order. ``status`` says
what the supervisor recorded (restarts, how the last run ended) and how each source's last cycle
ended, as the producer's metrics tell.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx

from tunestream.config import Settings
from tunestream.errors import ComponentError, TopicConflict
from tunestream.kafka.broker import LocalBroker
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import Outcome, TopicAdmin
from tunestream.net import ensure_free
from tunestream.runtime.metrics import Sample, scrape
from tunestream.runtime.service import configured_topics
from tunestream.system.components import Component, components
from tunestream.system.process import DetachedProcess
from tunestream.system.supervision import read_record

__all__ = ["SUPERVISOR", "ComponentStatus", "Echo", "SourceStatus", "System"]

Echo = Callable[[str], None]
SUPERVISOR = "supervisor"
"""The name of the supervisor's pid file and log."""
_TAIL_LINES = 15


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    pid: int | None
    where: str
    """Its address (URL, bootstrap servers), or why it is not used."""
    supervised: str | None = None
    """What the supervisor says: running, restarting or failed; None: not supervised."""
    restarts: int = 0
    last_exit: str | None = None
    """How its last run ended (``killed by SIGKILL``), as the supervisor saw."""
    last_exit_at: float | None = None


@dataclass(frozen=True)
class SourceStatus:
    name: str
    last_cycle: str | None
    """How its last cycle ended (completed, interrupted); None: none ended, or not known."""
    last_success: float | None
    """When its last cycle completed (Unix time)."""


class System:
    """The system described by one configuration."""

    def __init__(self, settings: Settings, config_file: Path | None = None) -> None:
        self.settings = settings
        self.config_file = config_file
        self.home = settings.data_dir.absolute() / "system"
        self.components = components(settings)

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.dashboard.port}/"

    def broker(self) -> LocalBroker | None:
        kafka = self.settings.kafka
        return LocalBroker(kafka.local, self.settings.data_dir) if kafka.uses_local_broker else None

    def process(self, name: str) -> DetachedProcess:
        return DetachedProcess(name, self.home)

    # -- up ------------------------------------------------------------------------------------

    def up(self, echo: Echo) -> None:
        """Start what is not running, in order, each ready before the next starts."""
        for component in self.components:
            if component.needs is not None:
                component.needs.check(f"tunestream up ({component.name})")
        broker = self.broker()
        if broker is not None:
            started = broker.start()
            pid = broker.status().pid
            echo(
                f"kafka: {'started' if started else 'already running'} (pid {pid}) on "
                f"{broker.bootstrap}"
            )
        self._create_topics(echo)
        for component in self.components:
            self.start(component, echo)

    def _create_topics(self, echo: Echo) -> None:
        """Every topic of the configuration, the sources' specs read with the environment the
        producer gets (the emulator's, when it runs)."""
        producer = next(c for c in self.components if c.name == "producer")
        topics = configured_topics(self.settings, {**os.environ, **producer.env})
        outcomes = TopicAdmin(admin_client(self.settings.kafka)).create(topics)
        conflicts = [o for o in outcomes if o.outcome is Outcome.CONFLICT]
        if conflicts:
            detail = "; ".join(f"{o.topic.name} {', '.join(o.differences)}" for o in conflicts)
            raise TopicConflict(f"topics exist with other settings than configured: {detail}")
        created = sum(o.outcome is Outcome.CREATED for o in outcomes)
        echo(f"topics: {created} created, {len(outcomes) - created} already there")

    def start(self, component: Component, echo: Echo) -> None:
        """Start one component unless it runs, and wait until it is ready."""
        process = self.process(component.name)
        running = process.running()
        if running is not None:
            echo(f"{component.name}: already running (pid {running.pid})")
            return
        if component.port is not None:
            ensure_free(
                component.port,
                setting=component.port_key,
                error=lambda problem: ComponentError(f"{component.name}: {problem}"),
            )
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **component.env}
        record, offset = process.start(component.argv(self.config_file), env)
        timeout = self.settings.system.start_timeout_s
        deadline = time.monotonic() + timeout
        while component.ready is not None and not component.ready(process, offset):
            if process.running() is None:
                self._fail(component, process, offset, "exited during start-up")
            if time.monotonic() > deadline:
                self._fail(component, process, offset, f"was not ready within {timeout:g} s")
            time.sleep(0.5)
        if process.running() is None:
            self._fail(component, process, offset, "exited during start-up")
        where = f" on {component.url}" if component.url else ""
        echo(f"{component.name}: started (pid {record.pid}){where}; log {process.log_file}")

    def _fail(
        self, component: Component, process: DetachedProcess, offset: int, what: str
    ) -> NoReturn:
        """Stop what is left of the component and raise: what happened, and its log's end."""
        process.stop(component.stop_signal, 5.0)
        lines = process.log_tail(_TAIL_LINES, offset) or ["(empty)"]
        tail = "\n".join(f"  {line}" for line in lines)
        raise ComponentError(
            f"{component.name} {what}; its log is {process.log_file}, ending:\n{tail}"
        )

    # -- down ----------------------------------------------------------------------------------

    def down(self, echo: Echo) -> None:
        """Stop the supervisor, then every component, the last started first; the broker last."""
        grace = self.settings.system.stop_grace_s
        supervisor = self.process(SUPERVISOR)
        record = supervisor.running()
        if record is not None and record.pid != os.getpid():
            # ``up --foreground`` stops everything itself on SIGTERM: give it the time it takes
            supervisor.end(grace * (len(self.components) + 2))
            echo("supervisor: stopped")
        for component in reversed(self._all_components()):
            stopped = self.process(component.name).stop(component.stop_signal, grace)
            echo(f"{component.name}: {'stopped' if stopped else 'not running'}")
        broker = self.broker()
        if broker is not None:
            echo(f"kafka: {'stopped' if broker.stop() else 'not running'}")
        supervisor.pid_file.unlink(missing_ok=True)
        for record_file in self.home.glob("*.supervised.json"):
            record_file.unlink()

    def _all_components(self) -> list[Component]:
        """The configured components, plus any other one a pid file is left of (the emulator of
        an ``up`` without credentials, stopped after credentials were set)."""
        known = {c.name for c in self.components}
        extra = [
            c
            for c in components(self.settings, emulator=True)
            if c.name not in known and self.process(c.name).record() is not None
        ]
        return extra + self.components

    # -- status --------------------------------------------------------------------------------

    def status(self) -> list[ComponentStatus]:
        """The supervisor (running or not), the broker and each component."""
        supervisor = self.process(SUPERVISOR).running()
        supervised = supervisor is not None
        pid = supervisor.pid if supervisor is not None else None
        states = [ComponentStatus(SUPERVISOR, supervised, pid, "")]
        broker = self.broker()
        if broker is not None:
            state = broker.status()
            states.append(
                self._state("kafka", state.running, state.pid, state.bootstrap, supervised)
            )
        else:
            where = f"external cluster at {self.settings.kafka.bootstrap}"
            states.append(ComponentStatus("kafka", True, None, where))
        for component in self._all_components():
            record = self.process(component.name).running()
            states.append(
                self._state(
                    component.name,
                    record is not None,
                    record.pid if record else None,
                    component.url,
                    supervised,
                )
            )
        return states

    def _state(
        self, name: str, running: bool, pid: int | None, where: str, supervised: bool
    ) -> ComponentStatus:
        """With the supervisor's record of it, while one runs (else the record is stale)."""
        found = read_record(self.home, name) if supervised else None
        if found is None:
            return ComponentStatus(name, running, pid, where)
        return ComponentStatus(
            name,
            running,
            pid,
            where,
            found.state,
            found.restarts,
            found.last_exit,
            found.last_exit_at,
        )

    def sources(self) -> list[SourceStatus]:
        """Each configured source, with how its last cycle ended where the running producer's
        metrics say (none: the producer is not running, or its metrics are off)."""
        port = self.settings.producer.metrics_port
        found: dict[str, Sample] = {}
        if port is not None and self.process("producer").running() is not None:
            # not serving (yet), or someone else's port: nothing to say
            with contextlib.suppress(httpx.HTTPError, ValueError):
                found = scrape(f"http://127.0.0.1:{port}/metrics", time.time()).sources
        states = []
        for source in self.settings.sources:
            sample = found.get(source.name)
            states.append(
                SourceStatus(source.name, None, None)
                if sample is None
                else SourceStatus(source.name, sample.last_cycle, sample.last_success)
            )
        return states
