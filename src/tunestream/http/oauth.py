"""The OAuth 2 auth kinds: ``oauth2_client_credentials`` (RFC 6749 §4.4) and
``oauth2_refresh_token`` (RFC 6749 §6).

They share one base, :class:`OAuth2Token`: the access token is cached, renewed
``refresh_skew_s`` before it expires and after a 401, and fetched by one request however many
requests need it at the same moment. The client authenticates at the token endpoint with an HTTP
Basic header or with form fields (``client_auth``, RFC 6749 §2.3.1). A token endpoint that
refuses — an RFC 6749 §5.2 error body (``{"error": "invalid_grant", …}``) with 400 or 401, or
with 200 as GitHub answers
(https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens)
— is one AuthError line naming the error.

Refresh tokens may rotate: a token response with a new ``refresh_token`` makes it the one the
next refresh sends, and it is saved to the :class:`~tunestream.http.auth.CredentialStore` (when
the client has one) *before* the new access token goes on any request, so a crash right after
loses nothing. What is saved is a JSON text: the current refresh token beside a short SHA-256
fingerprint of the configured one. On start the stored token wins — unless the configured one
changed since, so a user who pastes a new grant is not ignored.

No token, secret or refresh token goes into a log line or an error message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from tunestream.errors import AuthError
from tunestream.http.auth import Auth, CredentialStore, basic_authorization
from tunestream.http.clock import Clock, LoopClock
from tunestream.http.exchange import Exchange, Sender, api_error_message
from tunestream.http.models import (
    AUTH_KINDS,
    OAuth2ClientCredentialsConfig,
    OAuth2ConfigBase,
    OAuth2RefreshTokenConfig,
)
from tunestream.http.retry import Transient, describe_status

__all__ = ["TOKEN_ENDPOINT", "OAuth2ClientCredentials", "OAuth2RefreshToken", "OAuth2Token"]

log = logging.getLogger("tunestream.http")

TOKEN_ENDPOINT = "oauth2:token"
"""The endpoint name token requests are reported under to the observer."""


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # on the clock's time line: a little before it expires


_CLIENT_ERRORS = frozenset(
    {"invalid_client", "unauthorized_client", "incorrect_client_credentials"}
)
"""OAuth errors about the client, not the grant: RFC 6749 §5.2's, and GitHub's name for a wrong
client secret (https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors)."""


class OAuth2Token(Auth, ABC):
    """Base of the OAuth 2 kinds: access tokens from a token endpoint, cached, renewed
    ``refresh_skew_s`` before expiry or after a 401, and fetched by one request however many
    requests need a token at the same moment.

    A kind gives its grant's form fields (:meth:`_grant`), says what a refusal means
    (:meth:`_refused`) and may take more from a token response (:meth:`_accept`).
    """

    def __init__(
        self, config: OAuth2ConfigBase, *, secret: SecretStr | None, clock: Clock | None
    ) -> None:
        self._oauth = config
        self._secret = secret
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

    @abstractmethod
    def _grant(self) -> dict[str, str]:
        """The grant's form fields: ``grant_type`` and what it needs."""

    @abstractmethod
    def _refused(self, error: str | None, reason: str) -> str:
        """The one-line message for a refusal: ``error`` is the RFC 6749 §5.2 code, if any;
        ``reason`` the server's own words (or the status)."""

    async def _accept(self, body: dict[str, Any]) -> None:
        """Take what else a token response carries, before its access token is used."""

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
        config = self._oauth
        form = self._grant()
        if config.scope:
            form["scope"] = config.scope
        headers = {"Accept": "application/json"}
        if self._secret is None:  # a public client names itself (RFC 6749 §3.2.1)
            form["client_id"] = config.client_id
        elif config.client_auth == "basic":
            headers["Authorization"] = basic_authorization(
                config.client_id, self._secret.get_secret_value()
            )
        else:
            form["client_id"] = config.client_id
            form["client_secret"] = self._secret.get_secret_value()
        return httpx.Request("POST", config.token_url, headers=headers, data=form)

    async def _fetch(self, send: Sender) -> _Token:
        url = self._oauth.token_url
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
        error = _oauth_error(exchange)
        if status in (400, 401) or (error is not None and 200 <= status < 300):
            reason = api_error_message(exchange.body) if exchange.parsed else ""
            raise AuthError(
                self._refused(error, " ".join(reason.split()) or f"HTTP {status}"), url=url
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
        await self._accept(exchange.body)
        value, expires_in = token
        lifetime = expires_in if expires_in is not None else self._oauth.default_expires_in_s
        log.debug("%s: new access token, valid for %.0f s", self._provider, lifetime)
        skew = min(self._oauth.refresh_skew_s, lifetime / 2)  # a short-lived token is still used
        return _Token(value=value, refresh_at=started + lifetime - skew)


@AUTH_KINDS.register("oauth2_client_credentials", OAuth2ClientCredentialsConfig)
class OAuth2ClientCredentials(OAuth2Token):
    """Client-credentials tokens (RFC 6749 §4.4), with ``audience`` when configured."""

    def __init__(
        self,
        config: OAuth2ClientCredentialsConfig,
        *,
        clock: Clock | None = None,
        store: CredentialStore | None = None,
    ) -> None:
        super().__init__(config, secret=config.client_secret, clock=clock)
        self._config = config

    def _grant(self) -> dict[str, str]:
        form = {"grant_type": "client_credentials"}
        if self._config.audience is not None:
            form["audience"] = self._config.audience
        return form

    def _refused(self, error: str | None, reason: str) -> str:
        return (
            f"{self._provider} rejected the client credentials: {reason}; "
            "check client_id and client_secret"
        )


@AUTH_KINDS.register("oauth2_refresh_token", OAuth2RefreshTokenConfig)
class OAuth2RefreshToken(OAuth2Token):
    """Refresh-token grant (RFC 6749 §6): ``grant_type=refresh_token&refresh_token=…``; a
    rotated refresh token is used from then on and saved to ``store`` before anything else. A
    store that fails to save fails the request that needed the token; the new refresh token
    stays in use, and the next refresh (which rotates it again) saves again."""

    def __init__(
        self,
        config: OAuth2RefreshTokenConfig,
        *,
        clock: Clock | None = None,
        store: CredentialStore | None = None,
    ) -> None:
        super().__init__(config, secret=config.client_secret, clock=clock)
        self._config = config
        self._store = store
        self._configured = _fingerprint(config.refresh_token.get_secret_value())
        self._refresh_token: str | None = None  # the current one, once read

    def _grant(self) -> dict[str, str]:
        if self._refresh_token is None:
            configured = self._config.refresh_token.get_secret_value()
            self._refresh_token = self._stored() or configured
        return {"grant_type": "refresh_token", "refresh_token": self._refresh_token}

    def _stored(self) -> str | None:
        """The stored refresh token, if there is one saved for the configured one."""
        text = self._store.load() if self._store is not None else None
        if text is None:
            return None
        try:
            saved = json.loads(text)
        except ValueError:
            saved = None
        token = saved.get("refresh_token") if isinstance(saved, dict) else None
        if not isinstance(token, str) or not token:
            log.warning(
                "%s: the stored refresh token is unreadable; using refresh_token", self._provider
            )
            return None
        if saved.get("configured_sha256") != self._configured:
            log.info(
                "%s: refresh_token changed in the configuration since a rotated one was stored; "
                "using the configured one",
                self._provider,
            )
            return None
        return token

    async def _accept(self, body: dict[str, Any]) -> None:
        rotated = body.get("refresh_token")
        if not isinstance(rotated, str) or not rotated or rotated == self._refresh_token:
            return
        self._refresh_token = rotated
        if self._store is None:
            log.warning(
                "%s rotated the refresh token; without a credential store the new one is lost "
                "when this process stops",
                self._provider,
            )
            return
        saved = {"configured_sha256": self._configured, "refresh_token": rotated}
        await self._store.save(json.dumps(saved))
        log.info("%s rotated the refresh token; the new one is saved", self._provider)

    def _refused(self, error: str | None, reason: str) -> str:
        detail = f"{error}: {reason}" if error is not None and reason != error else reason
        if error in _CLIENT_ERRORS:
            return (
                f"{self._provider} rejected the client credentials ({detail}); "
                "check client_id and client_secret"
            )
        return (
            f"{self._provider} refused the refresh token ({detail}): it is no longer valid; "
            "authorize again and configure the new refresh_token"
        )


def _fingerprint(token: str) -> str:
    """A short SHA-256 fingerprint: tells whether the configured token changed, reveals nothing."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _oauth_error(exchange: Exchange) -> str | None:
    """The ``error`` code of an RFC 6749 §5.2 error body, if the response is one."""
    body = exchange.body if exchange.parsed else None
    error = body.get("error") if isinstance(body, dict) else None
    return error.strip() if isinstance(error, str) and error.strip() else None


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
