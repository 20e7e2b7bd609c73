"""``tunestream state show`` and ``state reset``: the state described, rewinds computed."""

from __future__ import annotations

import orjson
import pytest

from tunestream.errors import ConfigError
from tunestream.runtime.rewind import describe, rewind

pytestmark = pytest.mark.unit

NOW = 1_000_000.0
URL = "https://api.example.test/repos/a/issues/1/comments"


def loaded() -> dict[str, bytes]:
    def raw(value: object) -> bytes:
        return orjson.dumps(value)

    return {
        "cycle": raw({"id": "c7", "mode": "default", "started_at": NOW - 600, "finished_at": None}),
        "cursor/issues/repo=a": raw(
            {
                "vars": {"repo": "a"},
                "terms": [],
                "done": True,
                "read_at": NOW - 300,
                "since": "2026-12-03T10:00:00Z",
            }
        ),
        "cursor/events/repo=a": raw(
            {"vars": {"repo": "a"}, "terms": [], "done": True, "etag": '"e1"', "read_at": NOW - 60}
        ),
        f"cursor/issue_comments/{URL}": raw({"since": "2026-12-03T09:00:00Z"}),
        "todo/issue_comments/g1": raw({"context": {"repo": "a"}, "items": [URL, URL + "2"]}),
        "seen/issues/I_1@2026-12-03T10:00:00Z": raw(NOW - 300),
        "seen/events/e1": raw(NOW - 60),
        "auth/refresh_token": b'{"token": "ghr_secret"}',
    }


def test_the_state_is_described_line_by_line_without_the_token() -> None:
    lines = describe(loaded(), now=NOW)
    text = "\n".join(lines)
    assert lines[0] == "cycle c7 (default): started 10 min ago, running (a restart resumes it)"
    assert "issues [repo=a]: read 5 min ago, since 2026-12-03T10:00:00Z" in lines
    assert 'events [repo=a]: read 60 s ago, ETag "e1"' in lines
    assert "issue_comments: 1 item(s) with a cursor, newest since 2026-12-03T09:00:00Z" in lines
    assert "issue_comments: 2 item(s) queued" in lines
    assert "issues: 1 emitted item(s) remembered" in lines
    assert "auth: a rotated refresh token is kept (********)" in lines
    assert "ghr_secret" not in text


def test_a_reset_without_a_cursor_drops_the_resources_cursors_and_keeps_the_rest() -> None:
    changes = rewind(loaded(), resources=["issues", "issue_comments"])
    assert changes == {
        "cursor/issues/repo=a": None,
        f"cursor/issue_comments/{URL}": None,
    }


def test_a_reset_to_a_cursor_reads_from_it_next_and_replay_forgets_what_was_emitted() -> None:
    changes = rewind(
        loaded(),
        resources=["issues", "issue_comments"],
        cursor="2026-01-01T00:00:00Z",
        replay=True,
    )
    part = orjson.loads(changes["cursor/issues/repo=a"] or b"")
    assert part == {
        "vars": {"repo": "a"},
        "terms": [],
        "done": False,
        "since": "2026-01-01T00:00:00Z",
    }
    assert orjson.loads(changes[f"cursor/issue_comments/{URL}"] or b"") == {
        "since": "2026-01-01T00:00:00Z"
    }
    assert changes["seen/issues/I_1@2026-12-03T10:00:00Z"] is None
    assert "seen/events/e1" not in changes and "auth/refresh_token" not in changes


def test_a_split_tree_has_no_cursor_to_set() -> None:
    tree = {
        "cursor/search/all": orjson.dumps({"vars": {}, "terms": [], "done": True, "split": True})
    }
    with pytest.raises(ConfigError, match="split query tree"):
        rewind(tree, resources=["search"], cursor="x")
