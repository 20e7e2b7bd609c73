"""Shared pieces of the REST-client tests: a mock API, a client on it, the virtual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from tunestream.http.auth import Auth
from tunestream.http.client import RestClient
from tunestream.http.exchange import Attempt
from tunestream.http.models import (
    OAuth2ClientCredentialsConfig,
    RateLimitConfig,
    ResponseAction,
    RetryConfig,
)
from tunestream.http.oauth import OAuth2ClientCredentials
from tunestream.http.ratelimit import RateLimiter
from tunestream.http.retry import RetryPolicy

__all__ = [
    "API",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "TOKEN_URL",
    "Seen",
    "api_error",
    "fast_rate",
    "make_client",
    "now",
    "oauth",
    "oauth_config",
    "token_response",
]

API = "https://api.example.test/v1"
TOKEN_URL = "https://accounts.example.test/api/token"
CLIENT_ID = "the-client-id"
CLIENT_SECRET = "s3cr3t-value-never-shown"

Handler = Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]


def now() -> float:
    """The running loop's (virtual) time."""
    return asyncio.get_running_loop().time()


@dataclass
class Seen:
    """Requests the mock API received, with the virtual time of each."""

    requests: list[tuple[float, httpx.Request]] = field(default_factory=list)

    def add(self, request: httpx.Request) -> None:
        self.requests.append((now(), request))

    def to(self, path: str) -> list[tuple[float, httpx.Request]]:
        return [(t, r) for t, r in self.requests if r.url.path == path]


def oauth_config(**overrides: object) -> OAuth2ClientCredentialsConfig:
    values: dict[str, object] = {
        "token_url": TOKEN_URL,
        "client_id": CLIENT_ID,
        "client_secret": SecretStr(CLIENT_SECRET),
        "provider": "Spotify",
    }
    values.update(overrides)
    return OAuth2ClientCredentialsConfig.model_validate(values)


def fast_rate(**overrides: object) -> RateLimitConfig:
    """A budget that never gets in the way unless a test asks it to."""
    values: dict[str, object] = {"requests_per_second": 1000.0, "max_concurrency": 100}
    values.update(overrides)
    return RateLimitConfig.model_validate(values)


def make_client(
    handler: Handler,
    *,
    auth: Auth | None = None,
    rate: RateLimitConfig | None = None,
    limiter: RateLimiter | None = None,
    retry: RetryConfig | None = None,
    observed: list[Attempt] | None = None,
    jitter: float = 1.0,
    actions: Sequence[ResponseAction] = (),
) -> RestClient:
    """A client on a mock transport; backoff jitter fixed (1.0 = the full capped delay)."""
    return RestClient(
        API,
        auth=auth,
        limiter=limiter or RateLimiter(rate or fast_rate()),
        retry_policy=RetryPolicy(retry or RetryConfig(), rng=lambda: jitter),
        observer=observed.append if observed is not None else None,
        transport=httpx.MockTransport(handler),
        response_actions=actions,
    )


def oauth(**overrides: object) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(oauth_config(**overrides))


def token_response(value: str, expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": value, "token_type": "Bearer", "expires_in": expires_in}
    )


def api_error(status: int, message: str, **extra: object) -> httpx.Response:
    return httpx.Response(status, json={"error": {"status": status, "message": message, **extra}})
