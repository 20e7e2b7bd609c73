"""Who may call what: client credentials, access tokens, rate windows and quotas.

Tokens and windows are timed by the service clock (see :mod:`tunestream_emulator.clock`).
"""

from __future__ import annotations

import math
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Literal

from tunestream_emulator.errors import ApiError, TokenError
from tunestream_emulator.settings import ClientSettings, EmulatorSettings

__all__ = ["AccessControl", "EndpointGroup"]

WINDOW_SECONDS = 30.0

#: ``batch``: new-releases and the multi-id endpoints; ``audio``: audio features and analysis;
#: ``open``: what every app may call.
EndpointGroup = Literal["open", "batch", "audio"]


@dataclass
class _Quota:
    period_start: float
    used: int = 0


class AccessControl:
    """Client credentials → tokens; tokens → clients; per-client windows and quotas."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.settings = settings
        self.clients = {c.client_id: c for c in settings.clients}
        self.reset()

    def reset(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        self._windows: dict[str, deque[float]] = {}
        self._quotas: dict[str, _Quota] = {}

    def client(self, client_id: str | None, secret: str | None) -> ClientSettings:
        """The app these credentials belong to, or the OAuth error Spotify gives."""
        if client_id is None:
            raise TokenError("invalid_client")
        client = self.clients.get(client_id)
        if client is None:
            raise TokenError("invalid_client", "Invalid client")
        if secret != client.client_secret:
            raise TokenError("invalid_client", "Invalid client secret")
        return client

    def issue(self, client: ClientSettings, now: float) -> dict[str, object]:
        token = "BQ" + secrets.token_urlsafe(90)
        self._tokens[token] = (client.client_id, now + self.settings.token_lifetime_s)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.settings.token_lifetime_s,
        }

    def authenticate(self, authorization: str | None, now: float) -> ClientSettings:
        if not authorization:
            raise ApiError(401, "No token provided")
        scheme, _, token = authorization.partition(" ")
        entry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if entry is None:
            raise ApiError(401, "Invalid access token")
        client_id, expires = entry
        if now >= expires:
            raise ApiError(401, "The access token expired")
        return self.clients[client_id]

    def admit(self, client: ClientSettings, now: float) -> None:
        """Count one request against the client's window and quota, or raise 429."""
        budget = self.settings.rate_limit_per_30s
        window = self._windows.setdefault(client.client_id, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if budget is not None and len(window) >= budget:
            retry = max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
            raise ApiError(429, "API rate limit exceeded", retry_after=retry)
        quota_size = self.settings.dev_quota
        if quota_size is not None and client.profile == "development":
            period = self.settings.dev_quota_period_s
            quota = self._quotas.setdefault(client.client_id, _Quota(period_start=now))
            if now >= quota.period_start + period:
                quota.period_start, quota.used = now, 0
            if quota.used >= quota_size:
                retry = max(1, math.ceil(quota.period_start + period - now))
                raise ApiError(429, "Too many requests", "QUOTA_EXCEEDED", retry_after=retry)
            quota.used += 1
        window.append(now)

    @staticmethod
    def may_use(client: ClientSettings, group: EndpointGroup) -> bool:
        if group == "open":
            return True
        allowed = client.batch_endpoints if group == "batch" else client.audio_features
        return allowed if allowed is not None else client.profile == "extended"
