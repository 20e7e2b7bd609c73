"""Every key of incremental lists, sublists, conditional requests, shaping, edges, paginators,
auth kinds and response actions: a wrong value is one line naming its path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tunestream.errors import ConfigError
from tunestream.spec.loader import load_spec

pytestmark = pytest.mark.unit

VALID: dict[str, Any] = {
    "name": "tracker",
    "client": {
        "base_url": "https://api.example.test",
        "auth": {"type": "basic", "username": "u", "password": "p"},
        "response_actions": [
            {"status_code": "4xx", "body": "error.code == `4`", "action": "retry"}
        ],
    },
    "variables": {"repos": ["a"]},
    "modes": {"all": ["issues"]},
    "resources": {
        "issues": {
            "kind": "list",
            "request": {"path": "/repos/{repo}/issues"},
            "for_each": {"repo": "repos"},
            "paginator": {"type": "link_header"},
            "incremental": {"cursor_path": "updated_at", "param": "since", "lag": 5},
            "conditional": True,
            "poll_interval_header": "X-Poll-Interval",
            "emit": "issues",
            "dedupe": {"remember_days": 30},
            "shape": {"key": "node_id", "filter": "state == 'open'", "keep": ["id"]},
        },
        "comments": {
            "kind": "sublist",
            "from": [{"resource": "issues", "select": "comments_url", "when": "comments > `0`"}],
            "request": {"path": "{id}"},
            "paginator": {"type": "header_cursor", "cursor_header": "X-Next"},
            "incremental": {"cursor_path": "updated_at", "param": "since"},
            "emit": "comments",
            "dedupe": {"remember_days": 30},
        },
        "pulls": {
            "kind": "lookup",
            "from": [{"resource": "issues", "select": "pull_request.url"}],
            "single": {"path": "{id}"},
            "emit": "pulls",
            "dedupe": {"version": "updated_at"},
        },
    },
}

CASES = [
    # (path to change, new value (None: remove the key), path the message names)
    ("resources.issues.incremental.param", None, "resources.issues.list.incremental.param"),
    ("resources.issues.incremental.lag", -1, "resources.issues.list.incremental.lag"),
    ("resources.issues.incremental.cursor_path", "a..b", "resources.issues.list.incremental"),
    ("resources.issues.incremental.since", "x", "resources.issues.list.incremental.since"),
    ("resources.issues.conditional", "often", "resources.issues.list.conditional"),
    ("resources.issues.poll_interval_header", "", "resources.issues.list.poll_interval_header"),
    ("resources.issues.shape.filter", "state ==", "resources.issues.list.shape.filter"),
    ("resources.issues.shape.drop", ["x"], "resources.issues.list.shape"),
    ("resources.issues.shape.colour", "red", "resources.issues.list.shape.colour"),
    ("resources.comments.request.path", "/comments", "resources.comments.sublist"),
    ("resources.comments.from.0.when", "comments >", "resources.comments.sublist.from.0.when"),
    ("resources.comments.paginator.cursor_header", None, "resources.comments.sublist.paginator"),
    ("resources.comments.dedupe", None, "resources.comments.sublist"),
    ("resources.pulls.dedupe.version", "", "resources.pulls.lookup.dedupe.version"),
    ("resources.issues.paginator.next", "x", "resources.issues.list.paginator"),
    ("client.auth.password", None, "client.auth"),
    ("client.response_actions.0.status_code", "6xx", "client.response_actions.0"),
    ("client.response_actions.0.body", "error.code ==", "client.response_actions.0"),
    ("client.response_actions.0.action", "explode", "client.response_actions.0.action"),
]


def _changed(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node: Any = data
    for step in parents:
        node = node[int(step)] if isinstance(node, list) else node[step]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


def _load(data: dict[str, Any], folder: Path) -> None:
    spec = folder / "tracker.yaml"
    spec.write_text(yaml.safe_dump(data))
    load_spec(str(spec), environ={})


def test_the_spec_with_every_new_key_is_valid(tmp_path: Path) -> None:
    _load(VALID, tmp_path)


@pytest.mark.parametrize(("path", "value", "named"), CASES, ids=[c[0] for c in CASES])
def test_a_wrong_value_is_one_line_naming_its_path(
    path: str, value: Any, named: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(_changed(path, value), tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert named in message, message
