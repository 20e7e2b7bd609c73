"""``tunestream up | down | status``: the whole system, each part only if not already running.

In order: the local Kafka broker (when no ``kafka.bootstrap_servers`` is set), the topics, the
Spotify emulator (when no Spotify credentials are set), the producer, the Spark job and the
dashboard. Their pid files and logs are in ``<data_dir>/system`` (the broker keeps its own in
``<data_dir>/kafka``). ``down`` stops them in the reverse order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from tunestream.config import Settings
from tunestream.errors import ComponentError, TopicConflict
from tunestream.kafka.broker import LocalBroker
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import Outcome, TopicAdmin
from tunestream.net import ensure_free
from tunestream.system.components import Component, components
from tunestream.system.process import DetachedProcess

__all__ = ["ComponentStatus", "System"]

Echo = Callable[[str], None]
_TAIL_LINES = 15


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    running: bool
    pid: int | None
    where: str
    """Its address (URL, bootstrap servers), or why it is not used."""


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

    def _broker(self) -> LocalBroker | None:
        kafka = self.settings.kafka
        return LocalBroker(kafka.local, self.settings.data_dir) if kafka.uses_local_broker else None

    def _process(self, name: str) -> DetachedProcess:
        return DetachedProcess(name, self.home)

    # -- up ------------------------------------------------------------------------------------

    def up(self, echo: Echo) -> None:
        """Start what is not running, in order, each ready before the next starts."""
        for component in self.components:
            if component.needs is not None:
                component.needs.check(f"tunestream up ({component.name})")
        broker = self._broker()
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
        outcomes = TopicAdmin(admin_client(self.settings.kafka)).create(
            list(self.settings.kafka.topics.values())
        )
        conflicts = [o for o in outcomes if o.outcome is Outcome.CONFLICT]
        if conflicts:
            detail = "; ".join(f"{o.topic.name} {', '.join(o.differences)}" for o in conflicts)
            raise TopicConflict(f"topics exist with other settings than configured: {detail}")
        created = sum(o.outcome is Outcome.CREATED for o in outcomes)
        echo(f"topics: {created} created, {len(outcomes) - created} already there")

    def start(self, component: Component, echo: Echo) -> None:
        """Start one component unless it runs, and wait until it is ready."""
        process = self._process(component.name)
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
        """Stop every component, the last started first; the broker last."""
        grace = self.settings.system.stop_grace_s
        for component in reversed(self._all_components()):
            stopped = self._process(component.name).stop(component.stop_signal, grace)
            echo(f"{component.name}: {'stopped' if stopped else 'not running'}")
        broker = self._broker()
        if broker is not None:
            echo(f"kafka: {'stopped' if broker.stop() else 'not running'}")

    def _all_components(self) -> list[Component]:
        """The configured components, plus any other one a pid file is left of (the emulator of
        an ``up`` without credentials, stopped after credentials were set)."""
        known = {c.name for c in self.components}
        extra = [
            c
            for c in components(self.settings, emulator=True)
            if c.name not in known and self._process(c.name).record() is not None
        ]
        return extra + self.components

    # -- status --------------------------------------------------------------------------------

    def status(self) -> list[ComponentStatus]:
        states = []
        broker = self._broker()
        if broker is not None:
            state = broker.status()
            states.append(ComponentStatus("kafka", state.running, state.pid, state.bootstrap))
        else:
            where = f"external cluster at {self.settings.kafka.bootstrap}"
            states.append(ComponentStatus("kafka", True, None, where))
        for component in self._all_components():
            record = self._process(component.name).running()
            states.append(
                ComponentStatus(
                    component.name,
                    record is not None,
                    record.pid if record else None,
                    component.url,
                )
            )
        return states
