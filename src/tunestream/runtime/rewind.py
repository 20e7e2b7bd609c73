"""Reading a source's state as a person would, and rewinding it (replay and backfill).

:func:`describe` turns the state records of one source (as :class:`KafkaStateStore` loads them)
into lines: the cycle, each list's parts with their ``since``, ``ETag`` and when they were read,
the sublists' per-item cursors, the work still queued, what is remembered for de-duplication,
and whether a refresh token is kept (never its value).

:func:`rewind` computes the state writes that rewind a source, or one resource of it, the way
Kafka's offsets API (KIP-875) rewinds a connector: without ``--cursor`` a resource's cursors go
(its next read starts from ``incremental.initial``, its query tree is rebuilt, its validators are
forgotten); with ``--cursor VALUE`` every cursor of an incremental resource reads from VALUE next.
What was emitted stays remembered, so a rewind fetches again but writes only what is missing
(a backfill) — unless ``replay``, which forgets that too, so everything read is written again.
The work already queued stays: it is real work. The refresh token is never touched.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Mapping

import orjson

from tunestream.errors import ConfigError, StateError
from tunestream.runtime.cursor import Cursor
from tunestream.state.credentials import CREDENTIAL_KEY

__all__ = ["describe", "rewind"]

_SHOWN_PARTS = 20
"""A list with more parts than this (a search's query tree) is summed up, not listed."""


def describe(loaded: Mapping[str, bytes], *, now: float | None = None) -> list[str]:
    """The state, readably: one line per fact."""
    clock = time.time() if now is None else now
    values = {key: _value(key, raw) for key, raw in loaded.items() if key != CREDENTIAL_KEY}
    lines: list[str] = []
    cycle = values.get("cycle")
    if isinstance(cycle, dict):
        status = (
            f"finished {_ago(clock, cycle['finished_at'])}"
            if cycle.get("finished_at") is not None
            else "running (a restart resumes it)"
        )
        lines.append(
            f"cycle {cycle['id']} ({cycle['mode']}): started "
            f"{_ago(clock, cycle['started_at'])}, {status}"
        )
    else:
        lines.append("cycle: none yet")
    cursors: dict[str, dict[str, dict[str, object]]] = defaultdict(dict)
    todo: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for key, value in values.items():
        kind, _, rest = key.partition("/")
        resource, _, item = rest.partition("/")
        if kind == "cursor" and isinstance(value, dict):
            cursors[resource][item] = value
        elif kind == "todo" and isinstance(value, dict):
            items = value.get("items")
            todo[resource] += len(items) if isinstance(items, list) else len(value)
        elif kind == "seen":
            seen[resource] += 1
    for resource in sorted(cursors):
        lines += _cursor_lines(resource, cursors[resource], clock)
    for resource in sorted(todo):
        lines.append(f"{resource}: {todo[resource]:,} item(s) queued")
    for resource in sorted(seen):
        lines.append(f"{resource}: {seen[resource]:,} emitted item(s) remembered")
    if CREDENTIAL_KEY in loaded:
        lines.append("auth: a rotated refresh token is kept (********)")
    return lines


def rewind(
    loaded: Mapping[str, bytes],
    *,
    resources: list[str],
    cursor: str | None = None,
    replay: bool = False,
) -> dict[str, bytes | None]:
    """The state writes (None deletes a key) that rewind ``resources``."""
    changes: dict[str, bytes | None] = {}
    chosen = set(resources)
    for key, raw in loaded.items():
        kind, _, rest = key.partition("/")
        resource = rest.partition("/")[0]
        if resource not in chosen:
            continue
        if (kind == "seen" and replay) or (kind == "cursor" and cursor is None):
            changes[key] = None
        elif kind == "cursor":
            value = _value(key, raw)
            if not isinstance(value, dict):
                raise StateError(f"state record {key!r} is not a cursor")
            if "vars" in value:  # a list's part: read again from the start, from VALUE
                part = Cursor.load(value)
                if part.split:
                    raise ConfigError(
                        f"--cursor: {resource} is a split query tree, not an incremental list; "
                        "rewind it without --cursor"
                    )
                value = {**Cursor(part.vars, part.terms, total=part.total).dump(), "since": cursor}
            else:  # a sublist item's
                value = {**value, "since": cursor}
            changes[key] = orjson.dumps(value)
    return changes


def _cursor_lines(
    resource: str, parts: Mapping[str, Mapping[str, object]], now: float
) -> list[str]:
    if all("vars" not in value for value in parts.values()):  # a sublist's per-item cursors
        since = sorted(str(v["since"]) for v in parts.values() if v.get("since") is not None)
        newest = f", newest since {since[-1]}" if since else ""
        return [f"{resource}: {len(parts):,} item(s) with a cursor{newest}"]
    loaded = {part: Cursor.load(value) for part, value in parts.items()}
    leaves = {part: c for part, c in loaded.items() if not c.split}
    if len(leaves) > _SHOWN_PARTS:
        read = [c.read_at for c in leaves.values() if c.read_at is not None]
        stalest = f", stalest read {_ago(now, min(read))}" if read else ""
        return [f"{resource}: {len(leaves):,} parts ({len(loaded) - len(leaves):,} split){stalest}"]
    lines = []
    for part in sorted(leaves):
        c = leaves[part]
        facts = [f"read {_ago(now, c.read_at)}" if c.read_at is not None else "never read"]
        if not c.done:
            facts.append("being read" if c.request is not None else "due")
        if c.since is not None:
            facts.append(f"since {c.since}")
        if c.etag is not None:
            facts.append(f"ETag {c.etag}")
        if c.last_modified is not None:
            facts.append(f"Last-Modified {c.last_modified}")
        if c.poll_after is not None and c.poll_after > now:
            facts.append(f"not before {c.poll_after - now:.0f} s from now")
        lines.append(f"{resource} [{part}]: {', '.join(facts)}")
    return lines


def _value(key: str, raw: bytes) -> object:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StateError(f"state record {key!r} is not JSON ({exc})") from exc


def _ago(now: float, at: object) -> str:
    seconds = now - float(str(at))
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"
