"""Lists as GitHub serves them: pages walked by ``link``, filters, orders and limits, checked
against ``/_admin/truth``."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from tests.support.github import links

pytestmark = pytest.mark.integration

ISSUES = "/repos/octo-org/alpha/issues"


def _epoch(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def test_link_headers_reach_every_issue_of_the_truth_exactly_once(github, github_client):
    truth = github.truth()["repositories"]["octo-org/alpha"]["issues"]
    issues, responses = github_client(github).walk(ISSUES, state="all", per_page=7)
    assert len(responses) == -(-len(truth) // 7) > 3
    numbers = Counter(i["number"] for i in issues)
    assert set(numbers.values()) == {1}
    assert set(numbers) == {i["number"] for i in truth}
    assert issues == sorted(truth, key=lambda i: i["number"], reverse=True)  # created, desc
    first, last = links(responses[0]), links(responses[-1])
    assert set(first) == {"next", "last"} and set(last) == {"prev", "first"}
    assert first["last"].startswith(f"{github.api_url}/repositories/{700_000_001}/issues?")
    assert "state=all" in first["next"] and first["last"].endswith(f"page={len(responses)}")


def test_state_defaults_to_open_and_pull_requests_are_issues(github, github_client):
    truth = github.truth()["repositories"]["octo-org/alpha"]["issues"]
    client = github_client(github)
    opened, _ = client.walk(ISSUES, per_page=100)
    closed, _ = client.walk(ISSUES, state="closed", per_page=100)
    assert {i["number"] for i in opened} == {i["number"] for i in truth if i["state"] == "open"}
    assert {i["number"] for i in closed} == {i["number"] for i in truth if i["state"] == "closed"}
    assert any("pull_request" in i for i in opened + closed)


def test_since_keeps_issues_updated_at_or_after_it_including_the_same_second(github, github_client):
    truth = github.truth()["repositories"]["octo-org/alpha"]["issues"]
    stamps = sorted({i["updated_at"] for i in truth})
    boundary = stamps[len(stamps) // 2]
    client = github_client(github)
    at, _ = client.walk(ISSUES, state="all", since=boundary, per_page=100)
    expected = {i["number"] for i in truth if _epoch(i["updated_at"]) >= _epoch(boundary)}
    assert {i["number"] for i in at} == expected
    assert any(i["updated_at"] == boundary for i in at)  # exactly at since: included
    later = datetime.fromtimestamp(_epoch(boundary) + 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    after, _ = client.walk(ISSUES, state="all", since=later, per_page=100)
    assert {i["number"] for i in after} == expected - {
        i["number"] for i in truth if i["updated_at"] == boundary
    }


def test_sort_and_direction(github, github_client):
    client = github_client(github)
    updated, _ = client.walk(ISSUES, state="all", sort="updated", direction="asc", per_page=100)
    assert [i["updated_at"] for i in updated] == sorted(i["updated_at"] for i in updated)
    by_comments, _ = client.walk(ISSUES, state="all", sort="comments", per_page=100)
    counts = [i["comments"] for i in by_comments]
    assert counts == sorted(counts, reverse=True) and counts[0] > counts[-1]
    invalid = client.get(ISSUES, state="shut")
    assert invalid.status_code == 422 and invalid.json()["message"] == "Validation Failed"


def test_comments_ascending_by_id_over_several_pages_and_since(github, github_client):
    repo = github.truth()["repositories"]["octo-org/beta"]
    number, truth = max(repo["comments"].items(), key=lambda item: len(item[1]))
    assert len(truth) > 30  # more than a default page
    client = github_client(github)
    path = f"/repos/octo-org/beta/issues/{number}/comments"
    comments, responses = client.walk(path)
    assert len(responses) > 1 and comments == sorted(truth, key=lambda c: c["id"])
    middle = truth[len(truth) // 2]["updated_at"]
    recent, _ = client.walk(path, since=middle)
    assert recent == [c for c in comments if c["updated_at"] >= middle]
    assert client.get("/repos/octo-org/beta/issues/99999/comments").status_code == 404


def test_releases_newest_first_and_unknown_things_are_404(github, github_client):
    truth = github.truth()["repositories"]["octo-org/beta"]["releases"]
    client = github_client(github)
    releases, _ = client.walk("/repos/octo-org/beta/releases", per_page=5)
    assert releases == truth and len(releases) > 5
    stamps = [r["created_at"] for r in releases]
    assert stamps == sorted(stamps, reverse=True)
    missing = client.get("/repos/octo-org/nothing/releases")
    assert missing.status_code == 404 and missing.json()["message"] == "Not Found"
    issue = next(i for i in github.truth()["repositories"]["octo-org/beta"]["issues"]
                 if "pull_request" not in i)  # fmt: skip
    assert client.get(f"/repos/octo-org/beta/pulls/{issue['number']}").status_code == 404


def test_events_newest_first_at_most_300_and_a_poll_interval(github, github_client):
    truth = github.truth()["repositories"]["octo-org/alpha"]["events"]
    assert len(truth) > 300
    client = github_client(github)
    events, responses = client.walk("/repos/octo-org/alpha/events", per_page=100)
    assert events == truth[:300] and len(responses) == 3
    assert all(r.headers["x-poll-interval"] == "60" for r in responses)
    beyond = client.get("/repos/octo-org/alpha/events", per_page=100, page=4)
    assert beyond.status_code == 422
    assert beyond.json()["message"].startswith("In order to keep the API fast for everyone")


def test_owner_and_name_are_not_case_sensitive(github, github_client):
    client = github_client(github)
    lower = client.get(ISSUES, per_page=3)
    upper = client.get("/repos/Octo-Org/ALPHA/issues", per_page=3)
    assert lower.json() == upper.json()
