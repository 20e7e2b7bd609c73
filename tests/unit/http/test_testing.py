from __future__ import annotations

import asyncio
import time

import pytest

from tunestream.http.testing import run_in_virtual_time

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


def test_virtual_time_jumps_to_the_next_timer_in_order() -> None:
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        woke.append((name, asyncio.get_running_loop().time()))

    async def scenario() -> float:
        await asyncio.gather(sleeper("day", 86_400), sleeper("hour", 3600), sleeper("now", 0))
        return asyncio.get_running_loop().time()

    started = time.monotonic()
    assert run_in_virtual_time(scenario()) == 86_400
    assert time.monotonic() - started < 1.0
    assert woke == [("now", 0), ("hour", 3600), ("day", 86_400)]
