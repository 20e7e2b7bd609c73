"""Auth kinds behind a registry: ``none``, ``bearer``, ``api_key``, ``oauth2_client_credentials``.

A kind is a config model (``type: Literal["name"] = "name"``), a class with a constructor
``(config, *, clock=None)`` and the decorator ``@AUTH_KINDS.register("name", TheConfig)``, which
also makes ``type: name`` valid in a spec. The client calls :meth:`Auth.apply` before each attempt
and :meth:`Auth.on_unauthorized` after a 401; if that returns True the request is sent once more.

Secrets live in ``SecretStr`` config fields and leave them only to go into a request header or
parameter: never into a log line, an error message or an exception's ``url``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from tunestream.errors import AuthError
from tunestream.http.clock import Clock, LoopClock
from tunestream.http.exchange import Sender, api_error_message
from tunestream.http.models import (
    AUTH_KINDS,
    ApiKeyAuthConfig,
    AuthConfigBase,
    BearerAuthConfig,
    NoAuthConfig,
    OAuth2ClientCredentialsConfig,
)
from tunestream.http.retry import Transient, describe_status

__all__ = [
    "ApiKeyAuth",
    "Auth",
    "BearerAuth",
    "NoAuth",
    "OAuth2ClientCredentials",
    "build_auth",
]

log = logging.getLogger("tunestream.http")

TOKEN_ENDPOINT = "oauth2:token"
"""The endpoint name token requests are reported under to the observer."""


class Auth:
    """Base of every auth kind: adds credentials to a request; may renew them after a 401."""

    async def apply(self, request: httpx.Request, send: Sender) -> None:
        """Put the credentials on ``request`` (``send`` is there to fetch a token)."""

    async def on_unauthorized(self, request: httpx.Request) -> bool:
        """``request`` got a 401: True if renewed credentials are worth one more try."""
        return False

    def describe(self) -> str:
        """Who issued the credentials, for error messages."""
        return "the API"


def build_auth(config: AuthConfigBase, *, clock: Clock | None = None) -> Auth:
    """The auth named by ``config.type``; an unknown type is a ConfigError naming the known."""
    return AUTH_KINDS.build(config, clock=clock)


@AUTH_KINDS.register("none", NoAuthConfig)
class NoAuth(Auth):
    """No credentials."""

    def __init__(self, config: NoAuthConfig | None = None, *, clock: Clock | None = None) -> None:
        pass


@AUTH_KINDS.register("bearer", BearerAuthConfig)
class BearerAuth(Auth):
    """A static bearer token."""

    def __init__(self, config: BearerAuthConfig, *, clock: Clock | None = None) -> None:
        self._config = config

    async def apply(self, request: httpx.Request, send: Sender) -> None:
        request.headers["Authorization"] = f"Bearer {self._config.token.get_secret_value()}"


@AUTH_KINDS.register("api_key", ApiKeyAuthConfig)
class ApiKeyAuth(Auth):
    """A static key in a header or a query parameter."""

    def __init__(self, config: ApiKeyAuthConfig, *, clock: Clock | None = None) -> None:
        self._config = config

    async def apply(self, request: httpx.Request, send: Sender) -> None:
        name, value = self._config.name, self._config.value.get_secret_value()
        if self._config.location == "header":
            request.headers[name] = value
        else:
            request.url = request.url.copy_set_param(name, value)


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # on the clock's time line: a little before it expires


@AUTH_KINDS.register("oauth2_client_credentials", OAuth2ClientCredentialsConfig)
class OAuth2ClientCredentials(Auth):
    """Client-credentials tokens: cached, renewed ``refresh_skew_s`` before expiry or after a
    401, and fetched by one request however many requests need a token at the same moment."""

    def __init__(
        self, config: OAuth2ClientCredentialsConfig, *, clock: Clock | None = None
    ) -> None:
        self._config = config
        self._clock: Clock = clock or LoopClock()
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self._provider = config.provider or urlsplit(config.token_url).hostname or "the server"

    def describe(self) -> str:
        return self._provider

    async def apply(self, request: httpx.Request, send: Sender) -> None:
        token = await self._valid_token(send)
        request.headers["Authorization"] = f"Bearer {token}"

    async def on_unauthorized(self, request: httpx.Request) -> bool:
        token = self._token
        if token is not None and request.headers.get("Authorization") == f"Bearer {token.value}":
            log.info("%s refused the access token (401); fetching a new one", self._provider)
            self._token = None  # only the first 401 of this token drops it
        return True

    def _fresh(self) -> str | None:
        token = self._token
        if token is None or self._clock.now() >= token.refresh_at:
            return None
        return token.value

    async def _valid_token(self, send: Sender) -> str:
        value = self._fresh()
        if value is not None:
            return value
        async with self._lock:  # single flight: the first waiter fetches, the others reuse
            value = self._fresh()
            if value is None:
                self._token = await self._fetch(send)
                value = self._token.value
            return value

    def _token_request(self) -> httpx.Request:
        config = self._config
        pair = f"{config.client_id}:{config.client_secret.get_secret_value()}".encode()
        form = {"grant_type": "client_credentials"}
        if config.scope:
            form["scope"] = config.scope
        return httpx.Request(
            "POST",
            config.token_url,
            headers={
                "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
                "Accept": "application/json",
            },
            data=form,
        )

    async def _fetch(self, send: Sender) -> _Token:
        url = self._config.token_url
        started = self._clock.now()
        try:
            exchange = await send(self._token_request(), endpoint=TOKEN_ENDPOINT)
        except Transient as exc:
            raise Transient(
                f"token endpoint {exc.kind}",
                AuthError(
                    f"could not get an access token from {self._provider}: {exc.kind}", url=url
                ),
            ) from exc
        status = exchange.status
        if status in (400, 401):
            reason = api_error_message(exchange.body) if exchange.parsed else ""
            raise AuthError(
                f"{self._provider} rejected the client credentials: "
                f"{reason or f'HTTP {status}'}; check client_id and client_secret",
                url=url,
            )
        if status == 429 or status >= 500:
            raise Transient(
                f"token endpoint HTTP {status}",
                AuthError(
                    f"could not get an access token from {self._provider}: "
                    f"{describe_status(exchange)}",
                    url=url,
                ),
            )
        token = _parse_token(exchange.body) if exchange.parsed and 200 <= status < 300 else None
        if token is None:
            raise AuthError(
                f"{self._provider}'s token endpoint gave no usable access token "
                f"({describe_status(exchange)})",
                url=url,
            )
        value, expires_in = token
        lifetime = expires_in if expires_in is not None else self._config.default_expires_in_s
        log.debug("%s: new access token, valid for %.0f s", self._provider, lifetime)
        skew = min(self._config.refresh_skew_s, lifetime / 2)  # a short-lived token is still used
        return _Token(value=value, refresh_at=started + lifetime - skew)


def _parse_token(body: Any) -> tuple[str, float | None] | None:
    if not isinstance(body, dict):
        return None
    value = body.get("access_token")
    if not isinstance(value, str) or not value:
        return None
    expires_in = body.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return value, None
    return value, float(expires_in)
