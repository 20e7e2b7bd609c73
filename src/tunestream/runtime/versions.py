"""Versions of records for incremental lists: read, compared, and turned into the next request.

A version is what a record holds at the list's ``incremental.cursor_path``: an ISO-8601 time
(``2026-12-03T10:00:00Z``), a number, or any other string. Two versions compare as times when
both parse as times, as numbers when both are numbers, else as text. Versions are kept as the
text the API gave, so the value sent back has the API's own format.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tunestream.http.jsonpath import lookup
from tunestream.spec.models import Incremental

__all__ = ["higher", "since_param", "version_of"]


def version_of(path: str, record: Any) -> str | None:
    """The record's version at ``path``, as text; None when it has none."""
    value = lookup(record, path)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def higher(a: str | None, b: str | None) -> str | None:
    """The later of two versions (None counts as none)."""
    if a is None or b is None:
        return b if a is None else a
    return b if _order(b) > _order(a) else a


def since_param(incremental: Incremental, since: str | None) -> str | None:
    """The value to send: the last version less the lag, or the initial value."""
    if since is None:
        return incremental.initial
    if not incremental.lag:
        return since
    moment = _time(since)
    if moment is not None:
        shown = (moment - timedelta(seconds=incremental.lag)).isoformat()
        return shown.replace("+00:00", "Z") if since.endswith("Z") else shown
    number = _number(since)
    if number is not None:
        earlier = number - incremental.lag
        return str(int(earlier)) if earlier.is_integer() and "." not in since else str(earlier)
    return since


def _order(value: str) -> tuple[int, Any]:
    moment = _time(value)
    if moment is not None:
        return (2, moment.timestamp())
    number = _number(value)
    if number is not None:
        return (1, number)
    return (0, value)


def _time(value: str) -> datetime | None:
    if len(value) < 10 or value[4:5] != "-":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None
