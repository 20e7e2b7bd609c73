"""Faults on demand: a script consumed one step per request, then random draws by rate."""

from __future__ import annotations

import random
from collections import deque

from tunestream_emulator.settings import FaultKind, FaultSettings

__all__ = ["FaultInjector"]

_ERRORS: dict[int, FaultKind] = {500: "500", 502: "502", 503: "503"}


class FaultInjector:
    def __init__(self, settings: FaultSettings) -> None:
        self.configure(settings)

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._script: deque[FaultKind] = deque(settings.script)
        self._rng = random.Random(settings.seed)

    @property
    def latency_s(self) -> float:
        return self.settings.latency_ms / 1000

    def next(self) -> FaultKind:
        """The fault for the next /v1 request ("ok" for none)."""
        if self._script:
            return self._script.popleft()
        s = self.settings
        draws: tuple[tuple[float, FaultKind], ...] = (
            (s.reset_rate, "reset"),
            (s.timeout_rate, "timeout"),
            (s.truncate_rate, "truncate"),
            (s.malformed_rate, "malformed"),
        )
        for rate, kind in draws:
            if rate and self._rng.random() < rate:
                return kind
        if s.error_rate and self._rng.random() < s.error_rate:
            return _ERRORS[self._rng.choice(s.error_statuses)]
        return "ok"

    def remaining_script(self) -> list[FaultKind]:
        return list(self._script)
