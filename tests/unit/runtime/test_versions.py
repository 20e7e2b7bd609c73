"""Versions of incremental lists: compared as times, numbers or text; sent back less the lag."""

from __future__ import annotations

import pytest

from tunestream.runtime.versions import higher, since_param, version_of
from tunestream.spec.models import Incremental

pytestmark = pytest.mark.unit


def incremental(**given: object) -> Incremental:
    return Incremental.model_validate({"cursor_path": "meta.at", "param": "since", **given})


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2026-12-03T10:00:00Z", "2026-12-03T09:59:59Z", "2026-12-03T10:00:00Z"),
        # the same moment in another zone is not later: times, not text, are compared
        ("2026-12-03T10:00:00Z", "2026-12-03T11:00:00+01:00", "2026-12-03T10:00:00Z"),
        ("2026-12-03T10:00:00Z", "2026-12-03T11:30:00+01:00", "2026-12-03T11:30:00+01:00"),
        ("9", "10", "10"),  # numbers, not text ("9" > "10" as text)
        ("abc", "abd", "abd"),
        (None, "5", "5"),
        ("5", None, "5"),
    ],
)
def test_the_higher_version(a: str | None, b: str | None, expected: str) -> None:
    assert higher(a, b) == expected


def test_a_records_version_is_read_at_its_path_as_text() -> None:
    assert version_of(incremental().cursor_path, {"meta": {"at": 17}}) == "17"
    assert version_of(incremental().cursor_path, {"meta": {"at": "2026-12-03T10:00:00Z"}}) == (
        "2026-12-03T10:00:00Z"
    )
    assert version_of(incremental().cursor_path, {"meta": {}}) is None
    assert version_of(incremental().cursor_path, {"meta": {"at": True}}) is None


def test_what_is_sent_is_the_last_version_less_the_lag_in_its_own_format() -> None:
    assert since_param(incremental(), None) is None
    assert since_param(incremental(initial="2026-01-01T00:00:00Z"), None) == "2026-01-01T00:00:00Z"
    assert since_param(incremental(), "2026-12-03T10:00:00Z") == "2026-12-03T10:00:00Z"
    assert since_param(incremental(lag=90), "2026-12-03T10:00:00Z") == "2026-12-03T09:58:30Z"
    assert since_param(incremental(lag=5), "1000") == "995"
    assert since_param(incremental(lag=0.5), "10.0") == "9.5"
