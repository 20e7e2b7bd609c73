"""What a response means: the one place an exchange becomes a value, a retry or an error.

In order::

    a declared response action      (``response_actions``, :mod:`tunestream.http.actions`)
    304 Not Modified                 a success without a body (RFC 9110 §15.4.5)
    2xx                              the value; a body that is not JSON is retried
    429, or a 403 with Retry-After   rate limited: wait (the limiter pauses every request) and
    or rate-limit fields saying      retry, or RateLimited when the wait is past the ceiling
    the budget is used up            (GitHub answers its limits with 403 or 429:
                                     https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api)
    401                              AuthError (after the client's one re-authentication)
    a retryable status               retried (backoff, or a short Retry-After)
    anything else                    its FetchError (Forbidden for any other 403)

:mod:`tunestream.http.retry` tabulates what each ends in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import NoReturn

from tunestream.errors import AuthError, DeclaredOutcome, MalformedBody, QuotaExceeded, RateLimited
from tunestream.http.actions import ResponseAction
from tunestream.http.auth import Auth
from tunestream.http.exchange import Exchange, api_error_message
from tunestream.http.ratelimit import Permit, RateLimiter, budget_used_up
from tunestream.http.retry import (
    RetryPolicy,
    Transient,
    describe_status,
    error_for_status,
    parse_retry_after,
)

__all__ = ["Interpreter"]


class Interpreter:
    """Interprets the responses of one client, and tells its limiter how each went."""

    def __init__(
        self,
        *,
        limiter: RateLimiter,
        retry: RetryPolicy,
        auth: Auth,
        actions: Sequence[ResponseAction] = (),
    ) -> None:
        self._limiter = limiter
        self._retry = retry
        self._auth = auth
        self._actions = tuple(actions)

    def interpret(self, exchange: Exchange, permit: Permit, url: str) -> Exchange:
        """The exchange to return, possibly emptied (a 304, an answer declared ``ignore``);
        or a :class:`Transient` to retry it, or the FetchError it ends in. ``permit`` is the
        slot it was sent in, ``url`` the URL shown in messages."""
        status = exchange.status
        declared = next((action for action in self._actions if action.matches(exchange)), None)
        if declared is not None:
            return self._act(declared, exchange, permit, url)
        if status == 304:  # Not Modified (RFC 9110 §15.4.5): a success with nothing new
            self._limiter.on_success(permit)
            return replace(exchange, body=None, empty=True)
        if 200 <= status < 300:
            if not exchange.parsed:
                size = len(exchange.response.content)
                raise Transient(
                    "malformed body",
                    MalformedBody(
                        f"GET {url}: the body ({size} bytes) was not valid JSON "
                        f"in {self._retry.attempts} attempts",
                        url=url,
                        body=exchange.response.content,
                    ),
                )
            self._limiter.on_success(permit)
            return exchange
        if status == 429 or (status == 403 and _rate_limit_answer(exchange)):
            self._rate_limited(exchange, permit, url)
        if status == 401:
            raise AuthError(
                f"GET {url}: {self._auth.describe()} refused the credentials "
                f"({describe_status(exchange)}); check them",
                url=url,
            )
        if self._retry.is_retryable_status(status):
            self._retry_later(exchange, url, f"HTTP {status}")
        raise error_for_status(exchange, method="GET", url=url)

    def _act(
        self, declared: ResponseAction, exchange: Exchange, permit: Permit, url: str
    ) -> Exchange:
        """Handle a response as the matching ``response_actions`` entry says."""
        action = declared.action
        if action == "ignore":
            self._limiter.on_success(permit)
            return replace(exchange, body=None, empty=True)
        words = declared.content or (api_error_message(exchange.body) if exchange.parsed else "")
        seen = f"{exchange.status}" + (f" {words}" if words else "")
        if action == "retry":
            self._retry_later(exchange, url, f"HTTP {seen}")
        if action == "quota_exceeded":
            wait = parse_retry_after(exchange.response.headers.get("Retry-After"))
            if wait is not None:
                self._limiter.pause(wait)
            after = f"; the API says retry after {wait:.0f} s" if wait is not None else ""
            raise QuotaExceeded(
                f"GET {url}: the API quota is used up ({seen}){after}",
                url=url,
                retry_after_s=wait if wait is not None else self._limiter.ceiling_s,
            )
        raise DeclaredOutcome(
            f"GET {url}: {describe_status(exchange)}, which response_actions declare {action}",
            url=url,
            action=action,
            status=exchange.status,
            body=exchange.response.text[:2000],
        )

    def _retry_later(self, exchange: Exchange, url: str, kind: str) -> NoReturn:
        """Another attempt may succeed: after a short Retry-After, if any, else the backoff."""
        wait = parse_retry_after(exchange.response.headers.get("Retry-After"))
        raise Transient(
            kind,
            error_for_status(exchange, method="GET", url=url, attempts=self._retry.attempts),
            delay_s=wait if wait is not None and wait <= self._limiter.ceiling_s else None,
        )

    def _rate_limited(self, exchange: Exchange, permit: Permit, url: str) -> NoReturn:
        """A 429, or a 403 that says the budget is used up: wait for its Retry-After or, failing
        that, for the reset its rate-limit fields give; beyond the ceiling, end the cycle."""
        status, headers = exchange.status, exchange.response.headers
        wait, field = parse_retry_after(headers.get("Retry-After")), "Retry-After"
        reset = budget_used_up(headers) if wait is None else None
        if reset is not None and reset.wait_s is not None:
            wait, field = reset.wait_s, reset.field
        ceiling = self._limiter.ceiling_s
        self._limiter.on_rate_limited(permit, wait, why=field)
        if wait is not None and wait > ceiling:
            raise RateLimited(
                f"GET {url}: the API asked to wait {wait:.0f} s ({field}), more than "
                f"retry_after_ceiling_s={ceiling:g}; ending this cycle early to retry later",
                url=url,
                retry_after_s=wait,
            )
        final = RateLimited(
            f"GET {url}: still rate limited ({status}) after {self._retry.attempts} attempts",
            url=url,
            retry_after_s=wait if wait is not None else ceiling,
        )
        if wait is None:
            raise Transient(f"HTTP {status} without Retry-After", final)
        raise Transient(f"HTTP {status}, {field} {wait:g} s", final, delay_s=0.0)


def _rate_limit_answer(exchange: Exchange) -> bool:
    """A 403 that is a rate limit, as GitHub answers one: with Retry-After, or rate-limit fields
    saying the budget is used up
    (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api)."""
    headers = exchange.response.headers
    return "Retry-After" in headers or budget_used_up(headers) is not None
