from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import httpx
import pytest
import yaml

from tests.support.rest import (
    API,
    Seen,
    api_error,
    fast_rate,
    make_client,
    oauth,
    token_response,
)
from tunestream.http.client import Page, RestClient
from tunestream.http.exchange import Attempt
from tunestream.http.models import (
    NextUrlPaginatorConfig,
    OAuth2ClientCredentialsConfig,
    OffsetPaginatorConfig,
    RestClientConfig,
)
from tunestream.http.paginators import PageRequest
from tunestream.http.ratelimit import RateLimiter
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


ETAG = '"33a64df551425fcc55e4d42a148795d9f25f89d4"'


def test_extra_headers_go_with_the_first_page_only_and_every_page_carries_its_headers() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        page = int(request.url.params.get("page", "1"))
        following = f"{API}/things?page={page + 1}" if page < 2 else None
        headers = {"ETag": f'"v{page}"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"}
        return httpx.Response(200, json={"data": [page], "next": following}, headers=headers)

    async def scenario() -> list[Page]:
        async with make_client(handler) as api:
            pages = api.paginate(
                "things",
                paginator=NextUrlPaginatorConfig(),
                records_path="data",
                headers={"If-None-Match": '"v0"', "If-Modified-Since": "Tue, 20 Oct 2015"},
            )
            return [page async for page in pages]

    pages = run(scenario())
    first, second = (request for _, request in seen.requests)
    assert first.headers["If-None-Match"] == '"v0"'
    assert first.headers["If-Modified-Since"] == "Tue, 20 Oct 2015"
    assert "If-None-Match" not in second.headers and "If-Modified-Since" not in second.headers
    assert [page.headers["ETag"] for page in pages] == ['"v1"', '"v2"']
    assert [page.not_modified for page in pages] == [False, False]


def test_a_304_ends_the_walk_with_one_empty_page_and_counts_as_a_success() -> None:
    seen = Seen()
    answers = [api_error(429, "slow down"), httpx.Response(304, headers={"ETag": ETAG})]

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return answers.pop(0)

    limiter = RateLimiter(fast_rate(requests_per_second=100))

    async def scenario() -> list[Page]:
        async with make_client(handler, limiter=limiter) as api:
            pages = api.paginate(
                "things",
                {"q": "x"},
                paginator=OffsetPaginatorConfig(limit=10),
                records_path="items",
                headers={"If-None-Match": ETAG},
            )
            return [page async for page in pages]

    (page,) = run(scenario())
    assert (page.records, page.body, page.next_request, page.number) == ([], None, None, 0)
    assert page.not_modified is True
    assert page.headers["ETag"] == ETAG
    assert page.request == PageRequest("things", {"q": "x", "offset": 0, "limit": 10})
    assert [r.headers["If-None-Match"] for _, r in seen.requests] == [ETAG, ETAG]  # a retry
    assert limiter.rate == pytest.approx(50.1)  # halved by the 429, one success added


class SavedCredentials:
    def __init__(self) -> None:
        self.values: list[str] = []

    def load(self) -> str | None:
        return self.values[-1] if self.values else None

    async def save(self, value: str) -> None:
        self.values.append(value)


def test_a_client_from_config_keeps_rotated_credentials_in_its_store() -> None:
    config = RestClientConfig.model_validate(
        yaml.safe_load(
            """
            base_url: https://api.example.test/v1
            auth:
              type: oauth2_refresh_token
              token_url: https://auth.example.test/token
              client_id: abc
              refresh_token: first-grant
            """
        )
    )

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.test":
            body = {"access_token": "at", "refresh_token": "second-grant", "expires_in": 60}
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"ok": True})

    store = SavedCredentials()

    async def scenario() -> object:
        client = RestClient.from_config(
            config, transport=httpx.MockTransport(handler), credentials=store
        )
        async with client as api:
            return await api.get_json("me")

    assert run(scenario()) == {"ok": True}
    (saved,) = store.values
    assert json.loads(saved)["refresh_token"] == "second-grant"
