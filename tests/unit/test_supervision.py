"""The supervisor's policy on a clock of our own: backoff, the end of a row, giving up."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunestream.system.supervision import (
    RestartPolicy,
    Supervised,
    Tracker,
    read_record,
    write_record,
)

pytestmark = pytest.mark.unit


def test_quick_deaths_double_the_delay_and_the_fifth_within_the_window_fails() -> None:
    tracker = Tracker(RestartPolicy(), now=0.0)
    delays = []
    now = 0.0
    for _ in range(5):
        now += 0.5  # dies half a second after each start
        delays.append(tracker.died(now))
        tracker.started(now + (delays[-1] or 0.0))
        now += delays[-1] or 0.0
    assert delays == [1.0, 2.0, 4.0, 8.0, None]


def test_the_delay_stops_growing_at_its_maximum() -> None:
    tracker = Tracker(RestartPolicy(max_deaths=100, window_s=10_000.0), now=0.0)
    delays = [tracker.died(float(n)) for n in range(1, 10)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_a_stable_run_ends_the_row() -> None:
    tracker = Tracker(RestartPolicy(), now=0.0)
    assert tracker.died(1.0) == 1.0
    tracker.started(2.0)
    assert tracker.died(3.0) == 2.0
    tracker.started(5.0)
    assert tracker.died(65.0) == 1.0  # ran 60 s: the row starts again


def test_starts_that_fail_long_after_the_last_run_keep_doubling() -> None:
    tracker = Tracker(RestartPolicy(), now=0.0)
    assert tracker.died(100.0) == 1.0  # after a stable run
    assert [tracker.died(100.0 + n) for n in (2.0, 5.0, 10.0)] == [2.0, 4.0, 8.0]  # no start


def test_deaths_spread_wider_than_the_window_never_fail() -> None:
    tracker = Tracker(RestartPolicy(), now=0.0)
    for n in range(1, 30):
        assert tracker.died(100.0 * n) == 1.0
        tracker.started(100.0 * n + 1.0)


def test_stable_runs_that_end_too_often_fail_all_the_same() -> None:
    tracker = Tracker(RestartPolicy(), now=0.0)
    outcomes = []
    for n in range(1, 6):
        outcomes.append(tracker.died(65.0 * n))
        tracker.started(65.0 * n + 1.0)
    assert outcomes == [1.0, 1.0, 1.0, 1.0, None]  # the fifth within 300 s


def test_a_record_is_read_back_and_a_missing_or_broken_one_is_none(tmp_path: Path) -> None:
    record = Supervised(
        state="restarting", restarts=2, last_exit="killed by SIGKILL", last_exit_at=1.5e9
    )
    write_record(tmp_path, "producer", record)
    assert read_record(tmp_path, "producer") == record
    assert read_record(tmp_path, "spark") is None
    (tmp_path / "spark.supervised.json").write_text('{"state": "sleeping"}')
    assert read_record(tmp_path, "spark") is None
    assert not list(tmp_path.glob("*.partial"))
