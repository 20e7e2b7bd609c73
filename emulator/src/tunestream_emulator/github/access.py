"""Who is calling and how much they may: tokens, the refresh grant with rotation, and the
primary and secondary rate limits. Everything is timed by the stand-in's clock (Unix seconds),
so ``advance`` expires tokens and ends rate-limit windows without sleeping.

- Tokens (https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api):
  ``Authorization: Bearer <token>`` or ``token <token>``; a configured personal access token,
  or a user access token issued by the refresh grant. An unknown, revoked or expired token is
  401 ``Bad credentials``; no token at all is allowed, with the unauthenticated limit.
- Refresh with rotation
  (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens):
  "Once you use a refresh token, that refresh token and the old user access token will no
  longer work". A used, unknown or expired refresh token is answered with HTTP 200 and
  ``{"error": "bad_refresh_token", …}``, wrong app credentials with
  ``incorrect_client_credentials``
  (https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors).
- Primary limit (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
  an hourly budget per user (shared by all of the user's tokens) or, without a token, per
  address; the window starts with the first request and ends at ``x-ratelimit-reset``. Once it
  is used up: 403 (or 429) with ``x-ratelimit-remaining: 0``. Secondary limits: requests in
  flight and requests per rolling minute, per user or address: 403 (or 429), ``retry-after``
  and the "secondary rate limit" message. Refused requests use no budget.
"""

from __future__ import annotations

import math
import secrets
import string
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass

from tunestream_emulator.errors import GithubError, OAuthError, RateLimited
from tunestream_emulator.github.model import Json, User, user
from tunestream_emulator.github.settings import AppSettings, GithubSettings, LimitSettings

__all__ = ["Access", "Bucket", "Caller"]

WINDOW_SECONDS = 3600
MINUTE = 60
_ALPHANUMERIC = string.ascii_letters + string.digits
_LIMITS_DOC = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
_OAUTH_ERRORS = (
    "https://docs.github.com/apps/managing-oauth-apps/"
    "troubleshooting-oauth-app-access-token-request-errors"
)


@dataclass(frozen=True)
class Caller:
    """Whose budget a request uses: a user (``who``) or, without a token, an address."""

    key: str
    who: User | None
    address: str

    @classmethod
    def anonymous(cls, address: str) -> Caller:
        return cls(f"address:{address}", None, address)

    @property
    def authenticated(self) -> bool:
        return self.who is not None


@dataclass
class Bucket:
    """One caller's hourly window: requests used and when the window resets."""

    limit: int
    used: int = 0
    reset: int = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": "core",
        }


@dataclass
class _Grant:
    login: str
    expires: float
    client_id: str = ""
    access_token: str | None = None  # the user access token issued with a refresh token


def _token(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


class Access:
    """Tokens → users; users and addresses → budgets."""

    def __init__(self, settings: GithubSettings, now: float) -> None:
        self.limits: LimitSettings = settings.limits
        self._static = {t.token: t.login for t in settings.tokens}
        self._apps = {app.client_id: app for app in settings.apps}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._buckets: dict[str, Bucket] = {}
        self._minutes: dict[str, deque[float]] = {}
        self._in_flight: Counter[str] = Counter()
        self.refreshes = 0
        first = settings.apps[0] if settings.apps else None
        for token in settings.refresh_tokens:
            if first is not None:
                expires = now + self.limits.refresh_token_lifetime_s
                self._refresh[token] = _Grant(first.login, expires, first.client_id)

    # -- tokens ----------------------------------------------------------------------------

    def identify(self, authorization: str | None, address: str, now: float) -> Caller:
        """The caller a request's ``Authorization`` header names, or 401 ``Bad credentials``."""
        if not authorization:
            return Caller.anonymous(address)
        scheme, _, token = authorization.partition(" ")
        login = None
        if scheme.lower() in ("bearer", "token"):
            login = self._static.get(token.strip())
            grant = self._access.get(token.strip())
            if grant is not None and now < grant.expires:
                login = grant.login
        if login is None:
            raise GithubError(401, "Bad credentials")
        return Caller(f"user:{login.lower()}", user(login), address)

    def _issue(self, app: AppSettings, login: str, now: float) -> Json:
        access, refresh = _token("ghu_", 36), _token("ghr_", 76)
        self._access[access] = _Grant(login, now + self.limits.access_token_lifetime_s)
        self._refresh[refresh] = _Grant(
            login, now + self.limits.refresh_token_lifetime_s, app.client_id, access
        )
        return {
            "access_token": access,
            "expires_in": self.limits.access_token_lifetime_s,
            "refresh_token": refresh,
            "refresh_token_expires_in": self.limits.refresh_token_lifetime_s,
            "scope": "",
            "token_type": "bearer",
        }

    def authorize(self, login: str | None, now: float) -> Json:
        """What a user's authorization of the first app yields: a token pair (admin API)."""
        if not self._apps:
            raise GithubError(404, "Not Found")
        app = next(iter(self._apps.values()))
        return self._issue(app, login or app.login, now)

    def refresh(self, params: Mapping[str, str], now: float) -> Json:
        """``POST /login/oauth/access_token`` with ``grant_type=refresh_token``: rotate."""
        app = self._apps.get(params.get("client_id", ""))
        if app is None or params.get("client_secret") != app.client_secret:
            raise OAuthError(
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
                f"{_OAUTH_ERRORS}#incorrect-client-credentials",
            )
        if params.get("grant_type") != "refresh_token":
            raise OAuthError(
                "unsupported_grant_type",
                "The grant type is not supported.",
                f"{_OAUTH_ERRORS}#unsupported-grant-type",
            )
        token = params.get("refresh_token", "")
        grant = self._refresh.get(token)
        if grant is None or grant.client_id != app.client_id or now >= grant.expires:
            raise OAuthError(
                "bad_refresh_token",
                "The refresh token passed is incorrect or expired.",
                f"{_OAUTH_ERRORS}#bad-refresh-token",
            )
        del self._refresh[token]
        if grant.access_token is not None:
            self._access.pop(grant.access_token, None)
        self.refreshes += 1
        return self._issue(app, grant.login, now)

    def valid_refresh_tokens(self, now: float) -> list[str]:
        return [token for token, grant in self._refresh.items() if now < grant.expires]

    # -- rate limits -----------------------------------------------------------------------

    def bucket(self, caller: Caller, now: float) -> Bucket:
        """The caller's current window (a new one once the last has reset)."""
        limits = self.limits
        limit = (
            limits.rate_limit_per_hour
            if caller.authenticated
            else limits.unauthenticated_rate_limit_per_hour
        )
        bucket = self._buckets.setdefault(caller.key, Bucket(limit))
        bucket.limit = limit
        if now >= bucket.reset:
            bucket.used, bucket.reset = 0, int(now) + WINDOW_SECONDS
        return bucket

    def count(self, caller: Caller, now: float) -> None:
        self.bucket(caller, now).used += 1

    def check_primary(self, caller: Caller, now: float) -> None:
        if self.bucket(caller, now).remaining > 0:
            return
        if caller.who is not None:
            message = f"API rate limit exceeded for user ID {caller.who.id}."
        else:
            message = (
                f"API rate limit exceeded for {caller.address}. (But here's the good news: "
                "Authenticated requests get a higher rate limit. Check out the documentation "
                "for more details.)"
            )
        raise RateLimited(self.limits.limited_status, message, _LIMITS_DOC, "primary")

    def _secondary(self, retry_after: int) -> RateLimited:
        return RateLimited(
            self.limits.limited_status,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you "
            "try again.",
            f"{_LIMITS_DOC}#about-secondary-rate-limits",
            "secondary",
            retry_after,
        )

    def enter(self, caller: Caller) -> None:
        """One more request in flight, or the secondary limit on concurrent requests."""
        most = self.limits.max_concurrent
        if most is not None and self._in_flight[caller.key] >= most:
            raise self._secondary(MINUTE)
        self._in_flight[caller.key] += 1

    def leave(self, caller: Caller) -> None:
        self._in_flight[caller.key] -= 1

    def admit_minute(self, caller: Caller, now: float) -> None:
        """Count a request in the caller's rolling minute, or the secondary limit on it."""
        window = self._minutes.setdefault(caller.key, deque())
        while window and window[0] <= now - MINUTE:
            window.popleft()
        most = self.limits.max_per_minute
        if most is not None and len(window) >= most:
            raise self._secondary(max(1, math.ceil(window[0] + MINUTE - now)))
        window.append(now)
