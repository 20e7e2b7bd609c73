"""The bounded worker pool of a cycle: at most N requests at once, and a stop switch.

``stop`` lets no new job start; :class:`Stopped` (raised by ``check`` and by ``run``) carries
that to the cycle, which ends with its state saved. It is control flow inside the runtime and
never reaches a user, so it is no :class:`~tunestream.errors.TunestreamError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

__all__ = ["Job", "Pool", "Stopped"]

Job = Callable[[], Awaitable[object]]


class Stopped(Exception):
    """Raised once ``stop`` was called: no new request is started."""


class Pool:
    """Runs jobs ``size`` at a time until stopped."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.stopping = False

    def stop(self) -> None:
        """Start no new job; the ones in flight finish."""
        self.stopping = True

    def check(self) -> None:
        """Raise :class:`Stopped` once ``stop`` was called."""
        if self.stopping:
            raise Stopped

    async def run(self, jobs: Iterable[Job]) -> None:
        """Run the jobs, at most ``size`` at once. After a failure (or ``stop``) no new job
        starts; the ones in flight finish, and the first failure is raised."""
        pending = iter(jobs)
        failures: list[Exception] = []

        async def worker() -> None:
            for job in pending:
                if failures:
                    return
                try:
                    self.check()
                    await job()
                except Exception as exc:
                    failures.append(exc)
                    return

        await asyncio.gather(*(worker() for _ in range(self.size)))
        if failures:
            raise failures[0]
