"""The bounded worker pool: at most N at once; after a failure or a stop no new job starts."""

from __future__ import annotations

import asyncio

import pytest

from tunestream.http.testing import run_in_virtual_time
from tunestream.runtime.pool import Job, Pool, Stopped

pytestmark = pytest.mark.unit


class Jobs:
    """Jobs that take ``seconds[i]`` of virtual time each; logs (time, event, job)."""

    def __init__(self, seconds: list[float], fail: dict[int, Exception] | None = None) -> None:
        self.seconds = seconds
        self.fail = fail or {}
        self.log: list[tuple[float, str, int]] = []
        self.running = 0
        self.peak = 0

    def all(self) -> list[Job]:
        return [self.job(i) for i in range(len(self.seconds))]

    def job(self, i: int) -> Job:
        async def run() -> None:
            loop = asyncio.get_running_loop()
            self.log.append((loop.time(), "start", i))
            self.running += 1
            self.peak = max(self.peak, self.running)
            await asyncio.sleep(self.seconds[i])
            self.running -= 1
            self.log.append((loop.time(), "end", i))
            if i in self.fail:
                raise self.fail[i]

        return run


def test_at_most_size_jobs_run_at_once() -> None:
    jobs = Jobs([1, 1, 1, 1, 1])
    run_in_virtual_time(Pool(2).run(jobs.all()))
    assert jobs.peak == 2
    assert [(t, i) for t, event, i in jobs.log if event == "start"] == [
        (0, 0),
        (0, 1),
        (1, 2),
        (1, 3),
        (2, 4),
    ]


def test_after_a_failure_no_job_starts_the_running_ones_finish_and_the_first_is_raised() -> None:
    first, second = ValueError("first"), ValueError("second")
    jobs = Jobs([3, 1, 2, 1, 1, 1], fail={1: first, 2: second})

    async def main() -> None:
        with pytest.raises(ValueError) as raised:
            await Pool(3).run(jobs.all())
        assert raised.value is first

    run_in_virtual_time(main())
    assert jobs.log == [
        (0, "start", 0),
        (0, "start", 1),
        (0, "start", 2),
        (1, "end", 1),
        (2, "end", 2),
        (3, "end", 0),
    ]


def test_after_stop_no_job_starts_and_the_pool_raises_stopped() -> None:
    pool = Pool(2)
    jobs = Jobs([1, 2, 1, 1])

    async def main() -> None:
        async def stop_at_half() -> None:
            await asyncio.sleep(0.5)
            pool.stop()

        stopper = asyncio.create_task(stop_at_half())
        with pytest.raises(Stopped):
            await pool.run(jobs.all())
        await stopper

    run_in_virtual_time(main())
    assert jobs.log == [(0, "start", 0), (0, "start", 1), (1, "end", 0), (2, "end", 1)]


def test_check_raises_only_once_stopped() -> None:
    pool = Pool(1)
    pool.check()
    pool.stop()
    with pytest.raises(Stopped):
        pool.check()


def test_no_jobs_is_nothing_to_do() -> None:
    run_in_virtual_time(Pool(4).run([]))
