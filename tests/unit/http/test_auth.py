from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from tests.support.rest import (
    API,
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_URL,
    Seen,
    api_error,
    make_client,
    oauth,
    oauth_config,
    token_response,
)
from tunestream.errors import AuthError, FetchError
from tunestream.http.auth import ApiKeyAuth, BearerAuth, NoAuth, build_auth
from tunestream.http.models import (
    ApiKeyAuthConfig,
    BearerAuthConfig,
    NoAuthConfig,
    RetryConfig,
)
from tunestream.http.testing import run_in_virtual_time as run

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

TOKEN_PATH = "/api/token"


class TokenServer:
    """A token endpoint handing out tok-1, tok-2 …; the API accepts only ``valid`` tokens."""

    def __init__(self, *, token_delay_s: float = 0.0, expires_in: int = 3600) -> None:
        self.seen = Seen()
        self.issued = 0
        self.token_delay_s = token_delay_s
        self.expires_in = expires_in
        self.valid: set[str] | None = None  # None: every issued token is valid
        self.api_delay_s: dict[str, float] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.add(request)
        if request.url.path == TOKEN_PATH:
            await asyncio.sleep(self.token_delay_s)
            self.issued += 1
            return token_response(f"tok-{self.issued}", self.expires_in)
        await asyncio.sleep(self.api_delay_s.get(request.url.params.get("i", ""), 0.0))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.valid is not None and token not in self.valid:
            return api_error(401, "The access token expired")
        return httpx.Response(200, json={"token": token})

    def tokens_requested(self) -> int:
        return len(self.seen.to(TOKEN_PATH))

    def api_tokens(self) -> list[str]:
        return [
            r.headers["Authorization"] for _, r in self.seen.requests if r.url.path != TOKEN_PATH
        ]


def test_the_token_is_fetched_with_basic_credentials_then_cached() -> None:
    server = TokenServer()

    async def scenario() -> None:
        async with make_client(server, auth=oauth()) as api:
            for _ in range(3):
                assert await api.get_json("me") == {"token": "tok-1"}

    run(scenario())
    assert server.tokens_requested() == 1
    (_, token_request), *_ = server.seen.to(TOKEN_PATH)
    assert token_request.method == "POST"
    assert str(token_request.url) == TOKEN_URL
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert parse_qs(token_request.content.decode()) == {"grant_type": ["client_credentials"]}
    assert server.api_tokens() == ["Bearer tok-1"] * 3


def test_the_token_is_renewed_shortly_before_it_expires() -> None:
    server = TokenServer(expires_in=3600)

    async def scenario() -> list[str]:
        async with make_client(server, auth=oauth(refresh_skew_s=60)) as api:
            first = await api.get_json("me")
            await asyncio.sleep(3539)  # 61 s left: still good
            second = await api.get_json("me")
            await asyncio.sleep(2)  # 59 s left: inside the skew
            third = await api.get_json("me")
            return [first["token"], second["token"], third["token"]]

    assert run(scenario()) == ["tok-1", "tok-1", "tok-2"]
    assert server.tokens_requested() == 2


def test_a_token_shorter_lived_than_the_skew_is_still_reused() -> None:
    server = TokenServer(expires_in=30)

    async def scenario() -> list[str]:
        async with make_client(server, auth=oauth(refresh_skew_s=60)) as api:
            tokens = [(await api.get_json("me"))["token"]]
            await asyncio.sleep(14)  # renewed at half its life
            tokens.append((await api.get_json("me"))["token"])
            await asyncio.sleep(2)
            tokens.append((await api.get_json("me"))["token"])
            return tokens

    assert run(scenario()) == ["tok-1", "tok-1", "tok-2"]


def test_a_401_renews_the_token_once_and_sends_the_request_again() -> None:
    server = TokenServer()
    server.valid = {"tok-2"}

    async def scenario() -> object:
        async with make_client(server, auth=oauth()) as api:
            return await api.get_json("me")

    assert run(scenario()) == {"token": "tok-2"}
    assert server.tokens_requested() == 2
    assert server.api_tokens() == ["Bearer tok-1", "Bearer tok-2"]


def test_a_401_after_renewing_is_an_auth_error_without_more_tries() -> None:
    server = TokenServer()
    server.valid = set()

    async def scenario() -> None:
        async with make_client(server, auth=oauth()) as api:
            await api.get_json("me")

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert server.tokens_requested() == 2
    assert len(server.api_tokens()) == 2
    message = str(caught.value)
    assert "\n" not in message and CLIENT_SECRET not in message
    assert "Spotify refused the credentials" in message and "HTTP 401" in message


def test_twenty_concurrent_requests_share_one_token_request() -> None:
    server = TokenServer(token_delay_s=0.2)

    async def scenario() -> list[object]:
        async with make_client(server, auth=oauth()) as api:
            return list(await asyncio.gather(*(api.get_json("me") for _ in range(20))))

    assert run(scenario()) == [{"token": "tok-1"}] * 20
    assert server.tokens_requested() == 1


def test_twenty_concurrent_401s_share_one_renewal() -> None:
    server = TokenServer(token_delay_s=0.2)
    server.valid = {"tok-2"}
    # All 20 go out with tok-1; their 401s arrive spread over a second, most of them after tok-2
    # was issued: only a 401 for the current token may drop it.
    server.api_delay_s = {str(i): 0.1 + 0.05 * i for i in range(20)}

    async def scenario() -> list[object]:
        async with make_client(server, auth=oauth()) as api:
            calls = (api.get_json("me", {"i": str(i)}) for i in range(20))
            return list(await asyncio.gather(*calls))

    assert run(scenario()) == [{"token": "tok-2"}] * 20
    assert server.tokens_requested() == 2
    assert server.api_tokens() == ["Bearer tok-1"] * 20 + ["Bearer tok-2"] * 20


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            {"error": "invalid_client", "error_description": "Invalid client secret"},
            "Invalid client secret",
        ),
        ({"error": "invalid_client"}, "invalid_client"),
        (None, "HTTP 400"),
    ],
)
def test_refused_credentials_are_one_clear_line(body: object, reason: str) -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if body is None:
            return httpx.Response(400, content=b"")
        return httpx.Response(400, json=body)

    async def scenario() -> None:
        async with make_client(handler, auth=oauth()) as api:
            await api.get_json("me")

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert str(caught.value) == (
        f"Spotify rejected the client credentials: {reason}; check client_id and client_secret"
    )
    assert caught.value.url == TOKEN_URL
    assert len(seen.requests) == 1  # neither retried nor followed by an API request


def test_the_provider_defaults_to_the_token_hosts_name() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    async def scenario() -> None:
        async with make_client(handler, auth=oauth(provider=None)) as api:
            await api.get_json("me")

    with pytest.raises(AuthError, match=r"^accounts\.example\.test rejected"):
        run(scenario())


def test_a_failing_token_endpoint_is_retried() -> None:
    answers = [httpx.Response(503), token_response("tok-1")]
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if request.url.path == TOKEN_PATH:
            return answers.pop(0)
        return httpx.Response(200, json={"ok": True})

    async def scenario() -> object:
        async with make_client(handler, auth=oauth()) as api:
            return await api.get_json("me")

    assert run(scenario()) == {"ok": True}
    assert len(seen.to(TOKEN_PATH)) == 2


def test_a_token_endpoint_that_stays_down_ends_in_an_auth_error() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def scenario() -> None:
        async with make_client(handler, auth=oauth()) as api:
            await api.get_json("me")

    with pytest.raises(AuthError, match=r"^could not get an access token from Spotify"):
        run(scenario())


def test_static_kinds_put_their_credentials_on_the_request() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return httpx.Response(200, json={})

    kinds = [
        build_auth(NoAuthConfig()),
        build_auth(BearerAuthConfig(token=SecretStr("bt"))),
        build_auth(ApiKeyAuthConfig(name="X-Key", value=SecretStr("hk"))),
        build_auth(ApiKeyAuthConfig(name="api_key", value=SecretStr("qk"), location="query")),
    ]
    assert [type(kind) for kind in kinds] == [NoAuth, BearerAuth, ApiKeyAuth, ApiKeyAuth]

    async def scenario() -> None:
        for kind in kinds:
            async with make_client(handler, auth=kind) as api:
                await api.get_json("me", {"q": "x"})

    run(scenario())
    none, bearer, header, query = (request for _, request in seen.requests)
    assert "Authorization" not in none.headers
    assert bearer.headers["Authorization"] == "Bearer bt"
    assert header.headers["X-Key"] == "hk"
    assert dict(query.url.params) == {"q": "x", "api_key": "qk"}


@pytest.mark.parametrize("failure", ["status", "timeout"])
def test_a_query_api_key_stays_out_of_error_messages(failure: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.params["api_key"] == "very-secret-key"
        if failure == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        return api_error(404, "not found")

    auth = build_auth(
        ApiKeyAuthConfig(name="api_key", value=SecretStr("very-secret-key"), location="query")
    )

    async def scenario() -> None:
        async with make_client(handler, auth=auth, retry=RetryConfig(attempts=1)) as api:
            await api.get_json("tracks/1", {"market": "SE"})

    with pytest.raises(FetchError) as caught:
        run(scenario())
    assert "very-secret-key" not in str(caught.value)
    assert f"GET {API}/tracks/1?market=SE" in str(caught.value)
    assert caught.value.url == f"{API}/tracks/1?market=SE"


def test_secrets_do_not_show_in_the_config_repr_or_dump() -> None:
    config = oauth_config()
    assert CLIENT_SECRET not in repr(config)
    assert CLIENT_SECRET not in config.model_dump_json()
