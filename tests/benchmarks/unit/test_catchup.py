"""The catch-up bench: a day's backlog in the mix, and the headroom read off a measured curve."""

from __future__ import annotations

import pytest

from tunestream_benchmarks.catchup import Point, day_records, headroom, records_per_album

pytestmark = pytest.mark.unit


def _point(records: int, job_s: float) -> Point:
    return Point(False, records, 1.0, 1.0, 1.0, job_s, 0.0)


def test_a_day_is_the_mix_of_its_albums() -> None:
    assert records_per_album(False) == 15  # an album, 6 tracks with features, 2 artists
    assert records_per_album(True) == 21
    assert day_records(100_000, False) == 250_000
    assert day_records(1_000_000, True) == 3_500_000


def test_headroom_between_two_backlogs_is_read_off_the_line_between_them() -> None:
    curve = [_point(100_000, 100.0), _point(300_000, 200.0), _point(1_000_000, 500.0)]
    h = headroom(curve, 100_000, False)  # 250,000 records: 3/4 of the way from 100k to 300k
    assert h.seconds == pytest.approx(175.0)
    assert h.rate == pytest.approx(250_000 / 175)
    assert h.ratio == pytest.approx(86_400 / 175)


def test_past_the_curve_the_largest_backlog_is_a_lower_bound_only_while_the_rate_rises() -> None:
    rising = [_point(100_000, 100.0), _point(1_000_000, 500.0)]
    h = headroom(rising, 1_000_000, False)
    assert h.seconds is None and h.measured == (100_000, 1_000_000)
    assert h.rate == pytest.approx(2_000.0)
    assert h.ratio == pytest.approx(2_000 / (2_500_000 / 86_400))
    falling = [_point(100_000, 10.0), _point(1_000_000, 500.0)]
    assert headroom(falling, 1_000_000, False).ratio is None
    assert headroom([_point(300_000, 100.0)], 100_000, False).ratio is None  # below the curve
