"""Which failures are retried, how long to wait between attempts, and the error a failure ends in.

Decisions are made on the status code, never on message text — unless the client config declares
``response_actions`` for an API's own answers (a status, text in the body), which come first:

    response action quota_exceeded              QuotaExceeded at once (the limiter pauses for
                                                its Retry-After)
    response action retry                       retried (backoff, or a short Retry-After);
                                                in the end HttpStatusError
    response action missing, dead_letter,       DeclaredOutcome at once, no retry
    step_down
    response action ignore                      a success without a body
    304 Not Modified                            a success without a body
    timeout, connection error/reset             retried (backoff)
    2xx whose body is not JSON (truncated …)    retried (backoff); in the end MalformedBody
    500 502 503 504 (``retry_statuses``)        retried (backoff, or a short Retry-After);
                                                in the end HttpStatusError
    429 wait ≤ ceiling                          the limiter pauses every request, then retried
    429 wait > ceiling                          RateLimited(retry_after_s) at once: the caller
                                                ends its cycle and reschedules
    429 without a wait                          retried (backoff); in the end RateLimited
    403 with Retry-After, or rate-limit         as a 429 (GitHub's exhausted or secondary
    fields saying the budget is used up         rate limit)
    401                                         AuthError (after the one re-authentication)
    403                                         Forbidden
    any other 4xx                               HttpStatusError, no retry

The wait of a rate-limited answer is its ``Retry-After`` or, failing that, the reset of a used-up
budget its rate-limit header fields give (see :mod:`tunestream.http.ratelimit`).

Backoff before retry *n* (n = 1, 2, …) is uniform in ``[0, min(backoff_max_s, backoff_base_s ·
2**(n-1))]`` ("full jitter").
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tunestream.errors import FetchError, Forbidden, HttpStatusError
from tunestream.http.clock import Clock, LoopClock
from tunestream.http.exchange import Exchange, api_error_message
from tunestream.http.models import RetryConfig

__all__ = [
    "RetryPolicy",
    "Transient",
    "describe_status",
    "error_for_status",
    "parse_retry_after",
]

log = logging.getLogger("tunestream.http")

T = TypeVar("T")


class Transient(Exception):
    """A failure that another attempt may cure; never escapes the retry loop.

    ``error`` is what is raised when no attempt is left; ``delay_s`` replaces the backoff
    (0 when the rate limiter already makes the request wait).
    """

    def __init__(self, kind: str, error: FetchError, *, delay_s: float | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.error = error
        self.delay_s = delay_s


def parse_retry_after(value: str | None, *, now_epoch_s: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        now = time.time() if now_epoch_s is None else now_epoch_s
        seconds = when.timestamp() - now
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def describe_status(exchange: Exchange) -> str:
    """``HTTP 404 (analysis not found)`` — the status and the API's own words, if any."""
    message = api_error_message(exchange.body) if exchange.parsed else ""
    return f"HTTP {exchange.status}" + (f" ({message})" if message else "")


def error_for_status(
    exchange: Exchange, *, method: str, url: str, attempts: int | None = None
) -> HttpStatusError:
    """The final error for a non-success status: Forbidden for 403, else HttpStatusError."""
    status = exchange.status
    cls = Forbidden if status == 403 else HttpStatusError
    hint = " — these credentials may not use this endpoint" if status == 403 else ""
    tries = f" after {attempts} attempts" if attempts is not None else ""
    return cls(
        f"{method} {url} failed: {describe_status(exchange)}{tries}{hint}",
        url=url,
        status=status,
        body=exchange.response.text[:2000],
    )


class RetryPolicy:
    """Attempts, backoff and the retry loop; sleeps through an injectable :class:`Clock`."""

    def __init__(
        self,
        config: RetryConfig | None = None,
        *,
        clock: Clock | None = None,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.config = config or RetryConfig()
        self._clock: Clock = clock or LoopClock()
        self._rng = rng or random.random

    @property
    def attempts(self) -> int:
        return self.config.attempts

    def is_retryable_status(self, status: int) -> bool:
        return status in self.config.retry_statuses

    def backoff_s(self, retry: int) -> float:
        """The wait before retry number ``retry`` (1 for the first retry), full jitter."""
        cap = min(self.config.backoff_max_s, self.config.backoff_base_s * 2.0 ** (retry - 1))
        return cap * self._rng()

    async def run(self, attempt: Callable[[], Awaitable[T]], *, what: str) -> T:
        """Call ``attempt`` until it returns, raises a final error, or attempts run out.

        A :class:`Transient` raised by ``attempt`` is retried; when it is raised by the last
        attempt its ``error`` is raised instead. Anything else propagates at once.
        """
        number = 1
        while True:
            try:
                return await attempt()
            except Transient as exc:
                if number >= self.attempts:
                    log.info("%s: %s; giving up after %d attempts", what, exc.kind, number)
                    raise exc.error from exc
                delay = exc.delay_s if exc.delay_s is not None else self.backoff_s(number)
                log.info(
                    "%s: %s (attempt %d of %d); retrying in %.2f s",
                    what,
                    exc.kind,
                    number,
                    self.attempts,
                    delay,
                )
                if delay > 0:
                    await self._clock.sleep(delay)
                number += 1
