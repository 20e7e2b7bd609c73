"""What the supervisor decides and what it records: restarts with backoff, and when to give up.

A component that dies is started again after a delay that doubles with each death in a row (1 s,
2 s, 4 s … up to 60 s); a run that lasted ``stable_s`` ends the row. One that dies
``max_deaths`` times within ``window_s`` is failed: not started again until ``tunestream up``
starts it. The policy is pure (it is told the time); the supervisor keeps one :class:`Tracker`
per component and writes its :class:`Supervised` record to ``<name>.supervised.json`` beside the
component's pid file, for ``status`` and the dashboard to read.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from tunestream.config.base import Model

__all__ = ["RestartPolicy", "Supervised", "Tracker", "read_record", "write_record"]

State = Literal["running", "restarting", "failed"]


@dataclass(frozen=True)
class RestartPolicy:
    backoff_s: float = 1.0
    """The delay before the first restart of a row."""
    backoff_max_s: float = 60.0
    stable_s: float = 60.0
    """A run this long ends a row of deaths: the next delay is ``backoff_s`` again."""
    max_deaths: int = 5
    window_s: float = 300.0
    """``max_deaths`` deaths within this many seconds: failed."""

    def delay(self, in_a_row: int) -> float:
        """The delay before the restart that follows the ``in_a_row``-th death of a row."""
        return float(min(self.backoff_max_s, self.backoff_s * 2 ** (in_a_row - 1)))


class Tracker:
    """One component's runs and deaths, on a monotonic clock."""

    def __init__(self, policy: RestartPolicy, now: float) -> None:
        self.policy = policy
        self._started: float | None = now
        """When its current run began; None after a death, until it starts again."""
        self._in_a_row = 0
        self._deaths: deque[float] = deque()

    def started(self, now: float) -> None:
        self._started = now

    def died(self, now: float) -> float | None:
        """Seconds to wait before starting it again; None: it keeps dying, give up. A start that
        failed (no :meth:`started` since the last death) is a run of no length."""
        if self._started is not None and now - self._started >= self.policy.stable_s:
            self._in_a_row = 0
        self._started = None
        self._in_a_row += 1
        self._deaths.append(now)
        while self._deaths[0] <= now - self.policy.window_s:
            self._deaths.popleft()
        if len(self._deaths) >= self.policy.max_deaths:
            return None
        return self.policy.delay(self._in_a_row)


class Supervised(Model):
    """What the supervisor tells of one component."""

    state: State
    restarts: int = 0
    """How many times the supervisor started it again."""
    last_exit: str | None = None
    """How its last run ended: ``exit code 1``, ``killed by SIGKILL``, ``failed to start: …``."""
    last_exit_at: float | None = None
    """When (Unix time)."""


def _path(home: Path, name: str) -> Path:
    return home / f"{name}.supervised.json"


def write_record(home: Path, name: str, record: Supervised) -> None:
    """Replace the record at once: a reader never sees half of it."""
    path = _path(home, name)
    partial = path.with_suffix(".partial")
    partial.write_text(record.model_dump_json())
    os.replace(partial, path)


def read_record(home: Path, name: str) -> Supervised | None:
    """The component's record; None when no supervisor has written one."""
    with contextlib.suppress(OSError, ValidationError):
        return Supervised.model_validate_json(_path(home, name).read_text())
    return None
