"""Every object the GitHub stand-in sends validates against GitHub's published schemas.

``tests/fixtures/github/openapi-subset.yaml`` (see the README beside it) is OpenAPI 3.0:
``nullable`` becomes ``anyOf [.., null]``. Issues, pull requests among them, comments of the
issue with the most, a pull request, releases and a page of each event type are checked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support.openapi import json_schema

pytestmark = pytest.mark.integration

SCHEMA = Path(__file__).resolve().parents[2] / "fixtures/github/openapi-subset.yaml"
PAYLOADS = {
    "IssuesEvent": "issues-event",
    "IssueCommentEvent": "issue-comment-event",
    "PullRequestEvent": "pull-request-event",
    "ReleaseEvent": "release-event",
}


@cache
def _components() -> dict[str, Any]:
    return {"components": json_schema(yaml.safe_load(SCHEMA.read_text())["components"])}


def errors(schema: str, body: Any) -> list[str]:
    pointer = f"#/components/schemas/{schema}"
    validator = Draft202012Validator({**_components(), "$ref": pointer})
    found = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in found[:5]]


def test_the_subset_validates_and_is_not_vacuous():
    Draft202012Validator.check_schema(_components())
    assert errors("issue", {"id": 1}) != []  # the required fields are enforced
    assert errors("simple-user", {"login": "x", "id": "not a number"}) != []


def test_issues_and_pull_requests_in_the_issue_list(github, github_client):
    issues, _ = github_client(github).walk(
        "/repos/octo-org/alpha/issues", state="all", per_page=100
    )
    assert any("pull_request" in i for i in issues) and any("pull_request" not in i for i in issues)
    assert any(i["state"] == "closed" for i in issues) and any(i["labels"] for i in issues)
    for issue in issues:
        assert errors("issue", issue) == [], issue["number"]


def test_comments_pull_request_and_releases(github, github_client):
    client = github_client(github)
    issues, _ = client.walk("/repos/octo-org/beta/issues", state="all", per_page=100)
    busiest = max(issues, key=lambda i: i["comments"])
    comments, _ = client.walk(f"/repos/octo-org/beta/issues/{busiest['number']}/comments")
    assert len(comments) == busiest["comments"] > 0
    assert all(errors("issue-comment", c) == [] for c in comments)
    merged = next(i for i in issues if (i.get("pull_request") or {}).get("merged_at"))
    pull = client.get(f"/repos/octo-org/beta/pulls/{merged['number']}").json()
    assert pull["merged"] is True and pull["number"] == merged["number"]
    assert errors("pull-request", pull) == []
    releases, _ = client.walk("/repos/octo-org/beta/releases")
    assert releases and all(errors("release", r) == [] for r in releases)


def test_events_and_their_payloads(github, github_client):
    events, _ = github_client(github).walk("/repos/octo-org/alpha/events", per_page=100)
    assert {e["type"] for e in events} == set(PAYLOADS)
    for event in events:
        assert errors("event", event) == [], event["id"]
        assert errors(PAYLOADS[event["type"]], event["payload"]) == [], event["id"]
