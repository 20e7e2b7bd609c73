"""The write-path ratio of ``tunestream bench ingest``: per round first, then the median."""

from __future__ import annotations

import pytest

from tunestream_benchmarks.ingest import WriteResult

pytestmark = pytest.mark.unit


def test_the_ratio_is_the_median_of_the_rounds_not_of_the_medians() -> None:
    # (plain, exactly-once) seconds; the slow plain round ran while the machine was busy
    result = WriteResult(
        records=100, transactions=10, megabytes=1.0, pairs=[(1.0, 2.0), (3.0, 4.0), (2.0, 2.5)]
    )
    assert result.ratios == [0.5, 0.75, 0.8]
    assert result.ratio == 0.75
    assert result.plain_s == 2.0
    assert result.exactly_once_s == 2.5
