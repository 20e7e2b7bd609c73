"""ETag and Last-Modified: a still-matching validator is a 304 with an empty body, which uses
no rate-limit budget when the request carries a token."""

from __future__ import annotations

from email.utils import formatdate, parsedate_to_datetime

import pytest

pytestmark = pytest.mark.integration

ISSUES = "/repos/octo-org/alpha/issues"


def _remaining(response):
    return int(response.headers["x-ratelimit-remaining"])


def test_a_matching_etag_is_a_free_304(start_github, github_client):
    handle = start_github()
    client = github_client(handle)
    first = client.get(ISSUES, per_page=5)
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('W/"')
    again = client.get(ISSUES, per_page=5, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert _remaining(again) == _remaining(first)  # not counted
    assert again.headers["x-ratelimit-used"] == first.headers["x-ratelimit-used"] == "1"
    other_page = client.get(ISSUES, per_page=5, page=2, headers={"If-None-Match": etag})
    assert other_page.status_code == 200 and _remaining(other_page) == _remaining(first) - 1
    stats = handle.stats()
    assert stats["not_modified"] == 1 and stats["requests"] == {"200": 2, "304": 1}


def test_a_change_makes_the_etag_stale(start_github, github_client):
    handle = start_github()
    client = github_client(handle)
    first = client.get(ISSUES, state="all", sort="updated", per_page=5)
    newest = first.json()[0]
    handle.edit_issue("octo-org/alpha", newest["number"], title="A new title")
    changed = client.get(
        ISSUES,
        state="all",
        sort="updated",
        per_page=5,
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert changed.json()[0]["title"] == "A new title"


def test_without_a_token_a_304_still_counts(start_github, github_client):
    handle = start_github()
    anonymous = github_client(handle, token=None)
    first = anonymous.get(ISSUES)
    assert first.headers["x-ratelimit-limit"] == "60" and _remaining(first) == 59
    again = anonymous.get(ISSUES, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and _remaining(again) == 58


def test_a_pull_request_has_last_modified_and_honours_if_modified_since(github, github_client):
    truth = github.truth()["repositories"]["octo-org/beta"]["issues"]
    number = next(i["number"] for i in truth if "pull_request" in i)
    client = github_client(github)
    path = f"/repos/octo-org/beta/pulls/{number}"
    first = client.get(path)
    modified = parsedate_to_datetime(first.headers["last-modified"])
    assert modified.strftime("%Y-%m-%dT%H:%M:%SZ") == first.json()["updated_at"]
    same = client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert same.status_code == 304 and _remaining(same) == _remaining(first)
    earlier = formatdate(modified.timestamp() - 1, usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
