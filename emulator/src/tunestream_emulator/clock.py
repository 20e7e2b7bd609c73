"""Two clocks: the release clock (scaled by ``speed``) and the service clock (real time).

The release clock decides which albums exist; it starts at ``clock_start`` and runs ``speed``
times faster than real time. The service clock times tokens and rate-limit windows; it runs at
real speed so that a fast replay does not shrink a 30-second window to milliseconds. Both can be
moved forward from the admin API (``advance``), which is how tests expire tokens or empty
rate windows without sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Clock", "ClockState"]


@dataclass(frozen=True)
class ClockState:
    now: datetime
    epoch_seconds: float
    speed: float
    paused: bool
    service_seconds: float


class Clock:
    def __init__(
        self, start: datetime, speed: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._monotonic = monotonic
        self._start = start
        self.reset(speed)

    def reset(self, speed: float) -> None:
        """Back to the start reading, running at ``speed``."""
        self._base_release = self._start.timestamp()
        self._base_real = self._monotonic()
        self._speed = speed
        self._paused = False
        self._skew = 0.0

    def release_time(self) -> float:
        """The release clock, as Unix seconds."""
        if self._paused:
            return self._base_release
        return self._base_release + (self._monotonic() - self._base_real) * self._speed

    def service_time(self) -> float:
        """Monotonic seconds plus whatever ``advance`` added: for tokens and rate windows."""
        return self._monotonic() + self._skew

    def _rebase(self) -> None:
        self._base_release = self.release_time()
        self._base_real = self._monotonic()

    def advance(self, seconds: float) -> None:
        """Move both clocks forward (the release clock by ``seconds`` of release time)."""
        self._rebase()
        self._base_release += seconds
        self._skew += seconds

    def set_release_time(self, epoch_seconds: float) -> None:
        self._rebase()
        self._base_release = epoch_seconds

    def set_speed(self, speed: float) -> None:
        self._rebase()
        self._speed = speed

    def set_paused(self, paused: bool) -> None:
        self._rebase()
        self._paused = paused

    def state(self) -> ClockState:
        now = self.release_time()
        return ClockState(
            now=datetime.fromtimestamp(now, UTC),
            epoch_seconds=now,
            speed=self._speed,
            paused=self._paused,
            service_seconds=self.service_time(),
        )
