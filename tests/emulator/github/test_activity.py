"""The ground truth changes with the clock, deterministically, and by admin mutations; every
change bumps its issue's ``updated_at`` and is written to the event feed."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.github import CLOCK_START, github_settings
from tunestream_emulator.github import start_github_in_thread

pytestmark = pytest.mark.integration

ALPHA = "octo-org/alpha"


def _by_number(truth: dict) -> dict[int, dict]:
    return {i["number"]: i for i in truth["repositories"][ALPHA]["issues"]}


def test_advancing_generates_activity_and_events(start_github):
    handle = start_github()
    before = handle.truth()
    now = before["now"]
    after = handle.advance(6 * 3600)
    assert after["now_epoch"] >= before["now_epoch"] + 6 * 3600
    later = handle.truth()
    events = later["repositories"][ALPHA]["events"]
    new = [e for e in events if e["created_at"] > now]
    assert len(new) >= 5 and {e["type"] for e in new} <= {
        "IssuesEvent",
        "IssueCommentEvent",
        "PullRequestEvent",
        "ReleaseEvent",
    }
    old, current = _by_number(before), _by_number(later)
    bumped = [n for n in old if current[n]["updated_at"] > old[n]["updated_at"]]
    assert bumped  # existing issues were commented on, edited, labelled or closed
    for number in bumped:
        touching = [
            e
            for e in new
            if (e["payload"].get("issue") or {}).get("number") == number
            or e["payload"].get("number") == number
        ]
        assert max(e["created_at"] for e in touching) == current[number]["updated_at"]


def test_several_changes_can_share_a_second(github):
    events = github.truth()["repositories"][ALPHA]["events"]
    seconds = Counter(e["created_at"] for e in events)
    assert max(seconds.values()) > 1


def test_an_admin_edit_bumps_updated_at_and_is_an_event(start_github, github_client):
    handle = start_github()
    handle.advance(5)
    issue = next(i for i in _by_number(handle.truth()).values() if "pull_request" not in i)
    edited = handle.edit_issue(ALPHA, issue["number"], title="Retitled by a test")
    assert edited["title"] == "Retitled by a test"
    assert edited["updated_at"] > issue["updated_at"]
    event = handle.truth()["repositories"][ALPHA]["events"][0]
    assert event["type"] == "IssuesEvent" and event["payload"]["action"] == "edited"
    assert event["payload"]["changes"] == {"title": {"from": issue["title"]}}
    assert event["created_at"] == edited["updated_at"]
    served = github_client(handle).get(f"/repos/{ALPHA}/issues", state="all", sort="updated")
    assert served.json()[0]["number"] == issue["number"]


def test_an_admin_comment_bumps_its_issue(start_github, github_client):
    handle = start_github()
    handle.advance(5)
    issue = _by_number(handle.truth())[1]
    comment = handle.comment(ALPHA, 1, body="Seen here too.", login="tester")
    assert comment["body"] == "Seen here too." and comment["user"]["login"] == "tester"
    now = _by_number(handle.truth())[1]
    assert now["comments"] == issue["comments"] + 1
    assert now["updated_at"] == comment["created_at"] > issue["updated_at"]
    event = handle.truth()["repositories"][ALPHA]["events"][0]
    assert event["type"] == "IssueCommentEvent"
    assert event["payload"]["comment"]["id"] == comment["id"]
    comments, _ = github_client(handle).walk(f"/repos/{ALPHA}/issues/1/comments")
    assert comments[-1]["id"] == comment["id"]


def test_the_same_seed_gives_the_same_truth_and_another_seed_another():
    def history(seed: int) -> dict:
        """Every event before the clock's start (what follows depends on when it paused)."""
        settings = github_settings(
            seed=seed, history_days=2, public_base_url="https://api.github.com"
        )  # links equal whatever the port
        with start_github_in_thread(settings) as handle:
            handle.pause()
            repositories = handle.truth()["repositories"]
        start = CLOCK_START.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            name: [(e["type"], e["created_at"], e["payload"]) for e in repo["events"]
                   if e["created_at"] < start]
            for name, repo in repositories.items()
        }  # fmt: skip

    first, again, other = history(5), history(5), history(6)
    assert first == again and first != other
    assert all(len(events) > 20 for events in first.values())
