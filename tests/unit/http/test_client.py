from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest
import yaml

from tests.support.rest import API, Seen, make_client, oauth, token_response
from tunestream.http.client import RestClient
from tunestream.http.exchange import Attempt
from tunestream.http.models import OAuth2ClientCredentialsConfig, RestClientConfig
from tunestream.http.testing import run_in_virtual_time as run

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def test_the_observer_sees_every_attempt_with_its_outcome_and_duration() -> None:
    script: list[Callable[[httpx.Request], httpx.Response]] = [
        lambda r: httpx.Response(500),
        timeout,
        lambda r: httpx.Response(200, content=b"{"),
        lambda r: httpx.Response(200, json={"id": "a"}),
    ]

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.25)
        if request.url.path == "/api/token":
            return token_response("tok")
        return script.pop(0)(request)

    observed: list[Attempt] = []

    async def scenario() -> object:
        async with make_client(handler, auth=oauth(), observed=observed) as api:
            return await api.get_json("albums/a", endpoint="albums/{id}")

    assert run(scenario()) == {"id": "a"}
    assert [(a.endpoint, a.outcome, a.status) for a in observed] == [
        ("oauth2:token", "200", 200),
        ("albums/{id}", "500", 500),
        ("albums/{id}", "timeout", None),
        ("albums/{id}", "malformed_body", 200),
        ("albums/{id}", "200", 200),
    ]
    assert [a.duration_s for a in observed] == [0.25] * 5


def test_the_observer_sees_401s_and_the_endpoint_defaults_to_the_path() -> None:
    tokens = iter(["old", "new"])

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/token":
            return token_response(next(tokens))
        if request.headers["Authorization"] == "Bearer old":
            return httpx.Response(401, json={"error": {"status": 401, "message": "expired"}})
        return httpx.Response(200, json=[])

    observed: list[Attempt] = []

    async def scenario() -> None:
        async with make_client(handler, auth=oauth(), observed=observed) as api:
            await api.get_json("browse/new-releases?country=SE")

    run(scenario())
    assert [(a.endpoint, a.outcome) for a in observed] == [
        ("oauth2:token", "200"),
        ("browse/new-releases", "401"),
        ("oauth2:token", "200"),
        ("browse/new-releases", "200"),
    ]


def test_a_failing_observer_does_not_fail_the_request(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True})

    def observer(attempt: Attempt) -> None:
        raise RuntimeError("metrics backend down")

    async def scenario() -> object:
        client = RestClient(API, observer=observer, transport=httpx.MockTransport(handler))
        async with client as api:
            return await api.get_json("x")

    with caplog.at_level(logging.ERROR, logger="tunestream.http"):
        assert run(scenario()) == {"ok": True}
    assert "observer failed" in caplog.text


def test_retries_are_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    answers = [httpx.Response(502), httpx.Response(200, json={})]

    async def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    async def scenario() -> None:
        async with make_client(handler) as api:
            await api.get_json("x")

    with caplog.at_level(logging.INFO, logger="tunestream.http"):
        run(scenario())
    assert f"GET {API}/x: HTTP 502 (attempt 1 of 5); retrying in 0.50 s" in caplog.messages


SPOTIFY_YAML = """
base_url: https://api.spotify.com/v1
auth:
  type: oauth2_client_credentials
  token_url: https://accounts.spotify.com/api/token
  client_id: abc
  client_secret: xyz
  provider: Spotify
rate_limit: {requests_per_second: 5, max_concurrency: 4, retry_after_ceiling_s: 60}
retry: {attempts: 4, backoff_base_s: 0.5, backoff_max_s: 30}
timeout_s: 15
"""


def test_a_client_is_built_from_its_yaml_config() -> None:
    config = RestClientConfig.model_validate(yaml.safe_load(SPOTIFY_YAML))
    assert isinstance(config.auth, OAuth2ClientCredentialsConfig)
    assert config.auth.client_secret.get_secret_value() == "xyz"
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if request.url.host == "accounts.spotify.com":
            return token_response("t")
        return httpx.Response(200, json={"albums": {"items": [], "next": None}})

    async def scenario() -> tuple[object, float]:
        client = RestClient.from_config(config, transport=httpx.MockTransport(handler))
        async with client as api:
            return await api.get_json("browse/new-releases"), api.limiter.rate

    body, rate = run(scenario())
    assert body == {"albums": {"items": [], "next": None}}
    assert rate == 5
    assert [str(r.url) for _, r in seen.requests] == [
        "https://accounts.spotify.com/api/token",
        "https://api.spotify.com/v1/browse/new-releases",
    ]
    assert seen.requests[1][1].headers["Authorization"] == "Bearer t"
