from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from typing import Any
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
from tunestream.http.auth import ApiKeyAuth, BasicAuth, BearerAuth, NoAuth, build_auth
from tunestream.http.models import (
    ApiKeyAuthConfig,
    BasicAuthConfig,
    BearerAuthConfig,
    NoAuthConfig,
    OAuth2RefreshTokenConfig,
    RetryConfig,
)
from tunestream.http.oauth import OAuth2RefreshToken
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
        build_auth(BasicAuthConfig(username="ana", password=SecretStr("pä ss"))),
    ]
    assert [type(kind) for kind in kinds] == [
        NoAuth,
        BearerAuth,
        ApiKeyAuth,
        ApiKeyAuth,
        BasicAuth,
    ]

    async def scenario() -> None:
        for kind in kinds:
            async with make_client(handler, auth=kind) as api:
                await api.get_json("me", {"q": "x"})

    run(scenario())
    none, bearer, header, query, basic = (request for _, request in seen.requests)
    assert "Authorization" not in none.headers
    assert bearer.headers["Authorization"] == "Bearer bt"
    assert header.headers["X-Key"] == "hk"
    assert dict(query.url.params) == {"q": "x", "api_key": "qk"}
    assert basic.headers["Authorization"] == "Basic YW5hOnDDpCBzcw=="  # ana:pä ss, UTF-8


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


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


def test_client_credentials_can_go_in_the_form_with_an_audience() -> None:
    server = TokenServer()

    async def scenario() -> None:
        auth = oauth(client_auth="body", audience="https://api.example.test/", scope="read")
        async with make_client(server, auth=auth) as api:
            await api.get_json("me")

    run(scenario())
    (_, token_request), *_ = server.seen.to(TOKEN_PATH)
    assert "Authorization" not in token_request.headers
    assert form(token_request) == {
        "grant_type": ["client_credentials"],
        "audience": ["https://api.example.test/"],
        "scope": ["read"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
    }


# ---------------------------------------------------------------------- refresh-token grant

INITIAL = "initial-refresh-token-r0"
REFRESH_PATH = "/oauth/token"
REFRESH_URL = f"https://auth.example.test{REFRESH_PATH}"


class MemoryStore:
    """A credential store in memory: what was saved, and when (virtual time)."""

    def __init__(self, value: str | None = None) -> None:
        self.value = value
        self.saved: list[tuple[float, str]] = []

    def load(self) -> str | None:
        return self.value

    async def save(self, value: str) -> None:
        await asyncio.sleep(0.5)  # a durable write takes a while
        self.value = value
        self.saved.append((asyncio.get_running_loop().time(), value))


def rotated(number: int) -> str:
    return f"rt-{number}-secret"


class RotatingServer:
    """A token endpoint that answers each refresh token with an access token and a new refresh
    token (the initial → a1 and rt-1-secret, rt-1-secret → a2 and rt-2-secret …); a used
    refresh token no longer works."""

    def __init__(self, *, rotate: bool = True) -> None:
        self.seen = Seen()
        self.rotate = rotate
        self.valid = {INITIAL}
        self.issued = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.add(request)
        if request.url.path != REFRESH_PATH:
            return httpx.Response(200, json={"auth": request.headers["Authorization"]})
        presented = form(request)["refresh_token"][0]
        if presented not in self.valid:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.issued += 1
        body: dict[str, Any] = {"access_token": f"a{self.issued}", "expires_in": 3600}
        if self.rotate:
            self.valid = {rotated(self.issued)}
            body["refresh_token"] = rotated(self.issued)
        return httpx.Response(200, json=body)

    def refresh_tokens_sent(self) -> list[str]:
        return [form(r)["refresh_token"][0] for _, r in self.seen.to(REFRESH_PATH)]

    def api_calls(self) -> list[tuple[float, str]]:
        return [
            (t, r.headers["Authorization"])
            for t, r in self.seen.requests
            if r.url.path != REFRESH_PATH
        ]


def refresh_config(**overrides: object) -> OAuth2RefreshTokenConfig:
    values: dict[str, object] = {
        "token_url": REFRESH_URL,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": INITIAL,
        "provider": "Example",
    }
    values.update(overrides)
    return OAuth2RefreshTokenConfig.model_validate(values)


def refreshing(store: MemoryStore | None = None, **overrides: object) -> OAuth2RefreshToken:
    auth = build_auth(refresh_config(**overrides), store=store)
    assert isinstance(auth, OAuth2RefreshToken)
    return auth


def test_a_refresh_token_is_exchanged_for_an_access_token_then_cached() -> None:
    server = RotatingServer(rotate=False)

    async def scenario() -> None:
        async with make_client(server, auth=refreshing(scope="read")) as api:
            for _ in range(3):
                await api.get_json("me")

    run(scenario())
    (_, token_request), *_ = server.seen.to(REFRESH_PATH)
    assert token_request.method == "POST"
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert form(token_request) == {
        "grant_type": ["refresh_token"],
        "refresh_token": [INITIAL],
        "scope": ["read"],
    }
    assert [auth for _, auth in server.api_calls()] == ["Bearer a1"] * 3


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"client_auth": "body"}, {"client_id": [CLIENT_ID], "client_secret": [CLIENT_SECRET]}),
        ({"client_secret": None}, {"client_id": [CLIENT_ID]}),  # a public client
    ],
    ids=["body", "public"],
)
def test_the_client_may_authenticate_in_the_form_or_not_at_all(
    overrides: dict[str, object], fields: dict[str, list[str]]
) -> None:
    server = RotatingServer(rotate=False)

    async def scenario() -> None:
        async with make_client(server, auth=refreshing(**overrides)) as api:
            await api.get_json("me")

    run(scenario())
    (_, token_request), *_ = server.seen.to(REFRESH_PATH)
    assert "Authorization" not in token_request.headers
    assert form(token_request) == {
        "grant_type": ["refresh_token"],
        "refresh_token": [INITIAL],
        **fields,
    }


def test_a_rotated_refresh_token_is_used_next_and_saved_before_the_new_access_token() -> None:
    server = RotatingServer()
    store = MemoryStore()

    async def scenario() -> None:
        async with make_client(server, auth=refreshing(store)) as api:
            await api.get_json("me")
            await asyncio.sleep(3600)  # the access token expires
            await api.get_json("me")

    run(scenario())
    assert server.refresh_tokens_sent() == [INITIAL, rotated(1)]
    assert [auth for _, auth in server.api_calls()] == ["Bearer a1", "Bearer a2"]
    fingerprint = hashlib.sha256(INITIAL.encode()).hexdigest()[:16]
    assert [json.loads(value) for _, value in store.saved] == [
        {"configured_sha256": fingerprint, "refresh_token": rotated(1)},
        {"configured_sha256": fingerprint, "refresh_token": rotated(2)},
    ]
    (first_saved, _), (second_saved, _) = store.saved
    (first_used, _), (second_used, _) = server.api_calls()
    assert first_saved <= first_used and second_saved <= second_used
    assert first_used == 0.5  # the API request waited for the save


def test_a_rotated_refresh_token_survives_a_restart() -> None:
    server = RotatingServer()
    store = MemoryStore()

    async def one_process() -> None:
        async with make_client(server, auth=refreshing(store)) as api:
            await api.get_json("me")

    run(one_process())
    run(one_process())  # a new process: the same configuration, the same store
    assert server.refresh_tokens_sent() == [INITIAL, rotated(1)]
    assert [auth for _, auth in server.api_calls()] == ["Bearer a1", "Bearer a2"]


def test_a_newly_configured_refresh_token_wins_over_the_stored_one() -> None:
    fingerprint = hashlib.sha256(b"an-older-grant").hexdigest()[:16]
    saved = {"configured_sha256": fingerprint, "refresh_token": "rt-of-the-older-grant"}
    store = MemoryStore(json.dumps(saved))
    server = RotatingServer()

    async def scenario() -> None:
        async with make_client(server, auth=refreshing(store)) as api:
            await api.get_json("me")

    run(scenario())
    assert server.refresh_tokens_sent() == [INITIAL]


def test_an_unreadable_stored_value_falls_back_to_the_configured_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = RotatingServer()

    async def scenario() -> None:
        async with make_client(server, auth=refreshing(MemoryStore("not json"))) as api:
            await api.get_json("me")

    with caplog.at_level(logging.WARNING, logger="tunestream.http"):
        run(scenario())
    assert server.refresh_tokens_sent() == [INITIAL]
    assert "stored refresh token is unreadable" in caplog.text


def test_a_401_renews_the_access_token_with_the_current_refresh_token() -> None:
    server = RotatingServer()
    answers = iter([httpx.Response(401, json={"message": "Bad credentials"})])

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != REFRESH_PATH:
            server.seen.add(request)
            return next(answers, httpx.Response(200, json={"ok": True}))
        return await server(request)

    async def scenario() -> object:
        async with make_client(handler, auth=refreshing(MemoryStore())) as api:
            return await api.get_json("me")

    assert run(scenario()) == {"ok": True}
    assert server.refresh_tokens_sent() == [INITIAL, rotated(1)]
    assert [auth for _, auth in server.api_calls()] == ["Bearer a1", "Bearer a2"]


@pytest.mark.parametrize(
    ("status", "body", "detail"),
    [
        (400, {"error": "invalid_grant"}, "invalid_grant"),
        (
            401,
            {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            "invalid_grant: Token has been expired or revoked.",
        ),
        (  # GitHub answers with 200
            200,
            {
                "error": "bad_refresh_token",
                "error_description": "The refresh token passed is incorrect or expired.",
                "error_uri": "https://docs.github.com/apps/managing-oauth-apps",
            },
            "bad_refresh_token: The refresh token passed is incorrect or expired.",
        ),
    ],
    ids=["400", "401", "github-200"],
)
def test_a_refused_refresh_token_is_one_line_naming_the_error(
    status: int, body: dict[str, str], detail: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return httpx.Response(status, json=body)

    async def scenario() -> None:
        async with make_client(handler, auth=refreshing()) as api:
            await api.get_json("me")

    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as caught:
        run(scenario())
    assert str(caught.value) == (
        f"Example refused the refresh token ({detail}): it is no longer valid; "
        "authorize again and configure the new refresh_token"
    )
    assert caught.value.url == REFRESH_URL
    assert len(seen.requests) == 1  # not retried
    for text in (str(caught.value), caplog.text):
        assert INITIAL not in text and CLIENT_SECRET not in text


def test_refused_client_credentials_are_named_as_such_by_the_refresh_kind() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    async def scenario() -> None:
        async with make_client(handler, auth=refreshing()) as api:
            await api.get_json("me")

    with pytest.raises(AuthError) as caught:
        run(scenario())
    assert str(caught.value) == (
        "Example rejected the client credentials (invalid_client); "
        "check client_id and client_secret"
    )


def test_rotated_tokens_stay_out_of_logs(caplog: pytest.LogCaptureFixture) -> None:
    server = RotatingServer()

    async def scenario() -> None:
        for store in (MemoryStore(), None):  # with a store, and without one
            async with make_client(server, auth=refreshing(store)) as api:
                await api.get_json("me")
            server.valid = {INITIAL}

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    assert "rotated the refresh token; the new one is saved" in caplog.text
    assert "without a credential store the new one is lost" in caplog.text
    for secret in (INITIAL, rotated(1), rotated(2), CLIENT_SECRET):
        assert secret not in caplog.text
