"""Auth kinds behind a registry: ``none``, ``bearer``, ``api_key`` and ``basic`` here;
``oauth2_client_credentials`` and ``oauth2_refresh_token`` in :mod:`tunestream.http.oauth`.

A kind is a config model (``type: Literal["name"] = "name"``), a class with a constructor
``(config, *, clock=None, store=None)`` and the decorator ``@AUTH_KINDS.register("name",
TheConfig)``, which also makes ``type: name`` valid in a spec. The client calls
:meth:`Auth.apply` before each attempt and :meth:`Auth.on_unauthorized` after a 401; if that
returns True the request is sent once more. ``store``, a :class:`CredentialStore`, is where a
kind keeps what must outlive the process (a rotated refresh token).

Secrets live in ``SecretStr`` config fields (and, rotated, in the store) and leave them only to go
into a request: never into a log line, an error message or an exception's ``url``.
"""

from __future__ import annotations

import base64
from typing import Protocol

import httpx

from tunestream.http.clock import Clock
from tunestream.http.exchange import Sender
from tunestream.http.models import (
    AUTH_KINDS,
    ApiKeyAuthConfig,
    AuthConfigBase,
    BasicAuthConfig,
    BearerAuthConfig,
    NoAuthConfig,
)

__all__ = [
    "ApiKeyAuth",
    "Auth",
    "BasicAuth",
    "BearerAuth",
    "CredentialStore",
    "NoAuth",
    "basic_authorization",
    "build_auth",
]


class CredentialStore(Protocol):
    """Where a credential that changes (a rotated refresh token) outlives the process."""

    def load(self) -> str | None:
        """The value saved last, or None."""
        ...

    async def save(self, value: str) -> None:
        """Keep ``value`` durably; return only once it is kept."""
        ...


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


def build_auth(
    config: AuthConfigBase, *, clock: Clock | None = None, store: CredentialStore | None = None
) -> Auth:
    """The auth named by ``config.type``; an unknown type is a ConfigError naming the known.
    ``store`` keeps what a kind learns that must outlive the process (a rotated refresh token).
    """
    return AUTH_KINDS.build(config, clock=clock, store=store)


@AUTH_KINDS.register("none", NoAuthConfig)
class NoAuth(Auth):
    """No credentials."""

    def __init__(
        self,
        config: NoAuthConfig | None = None,
        *,
        clock: Clock | None = None,
        store: CredentialStore | None = None,
    ) -> None:
        pass


@AUTH_KINDS.register("bearer", BearerAuthConfig)
class BearerAuth(Auth):
    """A static bearer token."""

    def __init__(
        self,
        config: BearerAuthConfig,
        *,
        clock: Clock | None = None,
        store: CredentialStore | None = None,
    ) -> None:
        self._config = config

    async def apply(self, request: httpx.Request, send: Sender) -> None:
        request.headers["Authorization"] = f"Bearer {self._config.token.get_secret_value()}"


@AUTH_KINDS.register("api_key", ApiKeyAuthConfig)
class ApiKeyAuth(Auth):
    """A static key in a header or a query parameter."""

    def __init__(
        self,
        config: ApiKeyAuthConfig,
        *,
        clock: Clock | None = None,
        store: CredentialStore | None = None,
    ) -> None:
        self._config = config

    async def apply(self, request: httpx.Request, send: Sender) -> None:
        name, value = self._config.name, self._config.value.get_secret_value()
        if self._config.location == "header":
            request.headers[name] = value
        else:
            request.url = request.url.copy_set_param(name, value)


@AUTH_KINDS.register("basic", BasicAuthConfig)
class BasicAuth(Auth):
    """HTTP Basic: a username and a password on every request."""

    def __init__(
        self,
        config: BasicAuthConfig,
        *,
        clock: Clock | None = None,
        store: CredentialStore | None = None,
    ) -> None:
        self._config = config

    async def apply(self, request: httpx.Request, send: Sender) -> None:
        password = self._config.password.get_secret_value()
        request.headers["Authorization"] = basic_authorization(self._config.username, password)


def basic_authorization(user: str, password: str) -> str:
    """An ``Authorization`` value for HTTP Basic (RFC 7617): ``user:password`` in base64."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
