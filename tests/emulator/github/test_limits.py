"""The primary (hourly) rate limit and the secondary limits (per minute, in flight)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.github import CLOCK_START

pytestmark = pytest.mark.integration

ISSUES = "/repos/octo-org/alpha/issues"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def test_the_hourly_budget_runs_out_and_resets(start_github, github_client):
    handle = start_github()
    handle.set_limits(rate_limit_per_hour=3, max_concurrent=None, max_per_minute=None)
    client = github_client(handle)
    answers = [client.get(ISSUES) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 403]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    user_id = limited.json()["message"].removeprefix("API rate limit exceeded for user ID ")
    assert user_id.rstrip(".").isdigit()
    assert limited.headers["x-ratelimit-used"] == "3"  # refused requests use no budget
    assert limited.headers["x-ratelimit-resource"] == "core"
    began = handle.admin("GET", "clock")["now_epoch"]
    assert began >= int(CLOCK_START.timestamp())
    assert int(limited.headers["x-ratelimit-reset"]) == began + 3600
    handle.advance(3601)
    again = client.get(ISSUES)
    assert again.status_code == 200 and again.headers["x-ratelimit-remaining"] == "2"
    assert handle.stats()["rate_limited"] == {"primary": 1, "secondary": 0}


def test_without_a_token_the_limit_is_per_address_and_the_status_can_be_429(
    start_github, github_client
):
    handle = start_github()
    handle.set_limits(unauthenticated_rate_limit_per_hour=1, limited_status=429)
    anonymous = github_client(handle, token=None)
    assert anonymous.get(ISSUES).status_code == 200
    limited = anonymous.get(ISSUES)
    assert limited.status_code == 429 and limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.json()["message"].startswith("API rate limit exceeded for 127.0.0.1.")
    assert github_client(handle).get(ISSUES).status_code == 200  # a token has its own budget


def test_requests_per_minute(start_github, github_client):
    handle = start_github()
    handle.set_limits(max_per_minute=2, max_concurrent=None)
    client = github_client(handle)
    assert [client.get(ISSUES).status_code for _ in range(2)] == [200, 200]
    limited = client.get(ISSUES)
    assert limited.status_code == 403 and limited.json()["message"] == SECONDARY
    assert limited.headers["retry-after"] == "60"
    handle.advance(30)
    assert 30 <= int(client.get(ISSUES).headers["retry-after"]) <= 31  # what is left of it
    handle.advance(31)
    assert client.get(ISSUES).status_code == 200
    assert handle.stats()["rate_limited"] == {"primary": 0, "secondary": 2}


def test_requests_in_flight(start_github):
    handle = start_github(latency_ms=300)
    handle.set_limits(max_concurrent=2, max_per_minute=None)
    token = handle.settings.tokens[0].token

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
            return await asyncio.gather(
                *(client.get(f"{handle.api_url}{ISSUES}") for _ in range(5))
            )

    statuses = sorted(r.status_code for r in asyncio.run(burst()))
    assert statuses == [200, 200, 403, 403, 403]
    assert (
        httpx.get(
            f"{handle.api_url}{ISSUES}", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )  # the places were given back
