"""Several sources in one process: each runs until it returns; one failing stops the others
cleanly first, and its error names it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from tunestream.config import SourceSettings
from tunestream.errors import ClusterUnreachable, ConfigError, SourceFailed, StateError
from tunestream.runtime.report import CycleReport
from tunestream.runtime.service import run_together

pytestmark = pytest.mark.unit


@dataclass
class FakeProducer:
    """What run_together uses of a Producer: ``source``, ``run`` and ``stop``."""

    name: str
    fails_with: Exception | None = None
    stopped: bool = False
    finished: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.source = SourceSettings.model_validate({"name": self.name})
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self.stopped = True
        self._stop.set()

    async def run(self, *, once: bool = False) -> CycleReport | None:
        await asyncio.sleep(0)
        if self.fails_with is not None:
            raise self.fails_with
        if not once:
            await self._stop.wait()
        self.finished.append("committed")  # what a stopped producer does before it returns
        return CycleReport(f"{self.name}-cycle", "full", resumed=False, completed=once)


def test_each_source_runs_one_cycle_with_once() -> None:
    producers = [FakeProducer("spotify"), FakeProducer("github")]
    reports = asyncio.run(run_together(producers, once=True))  # type: ignore[arg-type]
    assert {name: r.cycle_id for name, r in reports.items() if r} == {
        "spotify": "spotify-cycle",
        "github": "github-cycle",
    }
    assert not any(p.stopped for p in producers)


def test_a_failing_source_stops_the_others_cleanly_and_is_named() -> None:
    healthy = FakeProducer("spotify")
    failing = FakeProducer("github", fails_with=StateError("state record x is unreadable"))

    with pytest.raises(SourceFailed) as caught:  # not a TimeoutError: spotify stopped
        asyncio.run(asyncio.wait_for(run_together([healthy, failing]), 5))  # type: ignore[list-item]

    assert str(caught.value) == "source github: state record x is unreadable"
    assert caught.value.exit_code == StateError.exit_code
    assert isinstance(caught.value.error, StateError)
    assert healthy.stopped and healthy.finished == ["committed"]


def test_the_exit_code_is_the_failures() -> None:
    failing = FakeProducer("github", fails_with=ConfigError("bad"))
    with pytest.raises(SourceFailed) as caught:
        together = run_together([FakeProducer("spotify"), failing])  # type: ignore[list-item]
        asyncio.run(asyncio.wait_for(together, 5))
    assert caught.value.exit_code == 2


def test_a_single_source_fails_with_its_own_error() -> None:
    failing = FakeProducer("spotify", fails_with=StateError("state record x is unreadable"))
    with pytest.raises(StateError) as caught:
        asyncio.run(run_together([failing]))  # type: ignore[list-item]
    assert str(caught.value) == "state record x is unreadable"


def test_no_cluster_is_every_source_s_failure_told_once_unnamed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cause = "no Kafka broker answered at 127.0.0.1:1 within 15 s"
    failing = [FakeProducer(n, fails_with=ClusterUnreachable(cause)) for n in ("a", "b", "c")]
    with pytest.raises(ClusterUnreachable) as caught:
        asyncio.run(run_together(failing))  # type: ignore[arg-type]
    assert str(caught.value) == cause
    assert [r.message for r in caplog.records if "failed too" in r.message] == []


def test_another_source_failing_for_another_cause_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = FakeProducer("a", fails_with=StateError("state record x is unreadable"))
    second = FakeProducer("b", fails_with=ConfigError("bad"))
    with pytest.raises(SourceFailed) as caught:
        asyncio.run(run_together([first, second]))  # type: ignore[list-item]
    told = [r.message for r in caplog.records if "failed too" in r.message]
    other = {"a": "b failed too: bad", "b": "a failed too: state record x is unreadable"}
    assert told == [other[caught.value.source]]
