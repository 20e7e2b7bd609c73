"""The one place the REST client reads time and sleeps.

Everything that waits (rate pacing, Retry-After pauses, retry backoff, token expiry) goes through a
:class:`Clock`. The default :class:`LoopClock` reads the running event loop's clock, so running on
a virtual-time loop (:func:`tunestream.http.testing.run_in_virtual_time`) makes every wait instant
and exact; a custom clock can be injected instead.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["Clock", "LoopClock"]


class Clock(Protocol):
    """Monotonic seconds and an asynchronous sleep on the same time line."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The running event loop's clock (monotonic) and :func:`asyncio.sleep`."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
