"""The supervisor: keeps what ``tunestream up`` started alive.

Every second it looks at each component and the local broker. One that has ended is reported
with how it ended (its exit status, read before anything reaps it: components the supervisor
started are its children) and started again as ``up`` starts it, after the policy's delay
(:mod:`tunestream.system.supervision`); one that keeps dying is left failed while the others run
on, until ``tunestream up`` starts it again. A restart waits, as ``up`` does, until the component
is ready. It runs inside ``up --foreground`` and, for ``up`` in the background, as the detached
process ``tunestream supervise`` (:func:`launch`); either records its pid in ``supervisor.pid``,
so that ``down`` stops it before anything else.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NoReturn

from tunestream.errors import TunestreamError
from tunestream.pids import exit_of
from tunestream.system.components import Component
from tunestream.system.process import DetachedProcess
from tunestream.system.stack import SUPERVISOR, Echo, System
from tunestream.system.supervision import RestartPolicy, Supervised, Tracker, write_record

__all__ = ["SUPERVISING", "Supervisor", "launch", "stamped"]

SUPERVISING = "supervising:"
"""How the line begins that the supervisor logs once everything is up."""
_SUPERVISE = Component(SUPERVISOR, ("supervise",), None)
_TICK_S = 1.0
_LAUNCH_POLL_S = 0.5
_EXIT_WAIT_S = 5.0
"""How long the status of a child that has just ended may take: until its last thread ends."""
_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")
"""The local time :func:`stamped` begins a line with, as the log lines' own (``asctime``)."""


@dataclass
class _Watch:
    name: str
    start: Callable[[], object]
    """Starts it, ready, unless it runs; a TunestreamError when it cannot."""
    pid: Callable[[], int | None]
    """Its pid while it runs."""
    clean: Callable[[], object]
    """Once it has ended: ends what it left running (a JVM) and forgets its pid."""
    tracker: Tracker
    record: Supervised
    seen: int | None
    """The pid it last ran with."""
    restart_at: float = 0.0


class Supervisor:
    """Watches the components of ``system`` and restarts those that end."""

    def __init__(
        self,
        system: System,
        echo: Echo,
        policy: RestartPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.system = system
        self.echo = echo
        self.policy = policy or RestartPolicy()
        self.clock = clock
        self.watches: list[_Watch] = []
        broker = system.broker()
        if broker is not None:
            self._watch("kafka", broker.start, lambda: broker.status().pid, broker.stop)
        for component in system.components:
            process = system.process(component.name)
            self._watch(
                component.name,
                partial(system.start, component, echo),
                partial(_running_pid, process),
                partial(process.stop, component.stop_signal, 0.0),
            )

    def _watch(
        self,
        name: str,
        start: Callable[[], object],
        pid: Callable[[], int | None],
        clean: Callable[[], object],
    ) -> None:
        watch = _Watch(
            name,
            start,
            pid,
            clean,
            Tracker(self.policy, self.clock()),
            Supervised(state="running"),
            pid(),
        )
        self.watches.append(watch)
        self._save(watch)

    def run(self) -> NoReturn:
        """Until interrupted (KeyboardInterrupt)."""
        self.echo(f"{SUPERVISING} {', '.join(w.name for w in self.watches)}")
        while True:
            self.tick()
            time.sleep(_TICK_S)

    def tick(self) -> None:
        """One look at every component, and what follows for each. Nothing reaps a component
        before the supervisor has read how it ended (:mod:`tunestream.pids`)."""
        for watch in self.watches:
            if watch.record.state == "running":
                self._check(watch)
            elif watch.record.state == "restarting" and self.clock() >= watch.restart_at:
                self._restart(watch)
            elif watch.record.state == "failed" and (pid := watch.pid()) is not None:
                self.echo(f"{watch.name}: running again (pid {pid}), supervised again")
                watch.tracker = Tracker(self.policy, self.clock())
                watch.seen = pid
                self._set(watch, state="running")

    def _check(self, watch: _Watch) -> None:
        pid = watch.pid()
        if pid is not None:
            watch.seen = pid
            return
        how = exit_of(watch.seen, _EXIT_WAIT_S) if watch.seen is not None else None
        self._died(watch, how or "ended (not started by this supervisor: no exit status)")

    def _restart(self, watch: _Watch) -> None:
        """Counted before it starts: it runs (and ``status`` says so) before it is ready."""
        self._set(watch, restarts=watch.record.restarts + 1)
        try:
            watch.start()
        except TunestreamError as exc:
            self._died(watch, f"failed to start: {str(exc).splitlines()[0]}")
            return
        watch.tracker.started(self.clock())
        watch.seen = watch.pid()
        self._set(watch, state="running")
        self.echo(f"{watch.name}: restarted ({watch.record.restarts} so far)")

    def _died(self, watch: _Watch, how: str) -> None:
        delay = watch.tracker.died(self.clock())
        watch.seen = None
        try:
            watch.clean()
        except TunestreamError as exc:  # what it left survived SIGKILL: say so, go on
            self.echo(f"{watch.name}: {exc}")
        if delay is None:
            policy = self.policy
            self._set(watch, state="failed", last_exit=how, last_exit_at=time.time())
            self.echo(
                f"{watch.name}: {how}; failed: ended {policy.max_deaths} times within "
                f"{policy.window_s:g} s, not restarted (`tunestream up` starts it again)"
            )
            return
        watch.restart_at = self.clock() + delay
        self._set(watch, state="restarting", last_exit=how, last_exit_at=time.time())
        self.echo(f"{watch.name}: {how}; restarting in {delay:g} s")

    def _set(self, watch: _Watch, **changes: object) -> None:
        watch.record = watch.record.model_copy(update=changes)
        self._save(watch)

    def _save(self, watch: _Watch) -> None:
        write_record(self.system.home, watch.name, watch.record)


def _running_pid(process: DetachedProcess) -> int | None:
    record = process.running()
    return None if record is None else record.pid


def stamped(echo: Echo) -> Echo:
    """``echo`` for a log file read later (``supervisor.log``): each line begins with the local
    time, as the logging lines in it do."""

    def echo_stamped(line: str) -> None:
        now = time.time()
        clock = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        echo(f"{clock},{int(now % 1 * 1000):03d} {line}")

    return echo_stamped


def launch(system: System, echo: Echo) -> bool:
    """``up`` in the background: start ``tunestream supervise`` detached (it starts the system
    and stays to supervise it) and pass on what it says, without its time, until everything is
    up; False when it ended before (what it said, its error too, has been passed on)."""
    process = system.process(SUPERVISOR)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    record, offset = process.start(_SUPERVISE.argv(system.config_file), env)
    while True:
        ended = exit_of(record.pid) is not None
        lines, offset = process.log_lines(offset)
        for line in (_STAMP.sub("", stamped_line, count=1) for stamped_line in lines):
            if line.startswith(SUPERVISING):
                return True
            echo(line)
        if ended:
            return False
        time.sleep(_LAUNCH_POLL_S)
