"""One shared request budget per API app: paced rate, AIMD, concurrency cap, global pauses.

Every request of the app takes a slot from the same :class:`RateLimiter`:

- **Pacing** — slots are handed out at most ``rate`` per second (a reservation per request, so
  concurrent callers queue up evenly and never burst).
- **Concurrency** — at most ``max_concurrency`` slots are held at once.
- **AIMD** — a 429 multiplies the rate by ``decrease_factor`` (not below
  ``min_requests_per_second``); each success adds ``increase_step`` (not above
  ``requests_per_second``). Only responses to requests sent after the last decrease count, so a
  burst of 429s from one overloaded window halves the rate once, not once per request.
- **A learned budget** — when the API's rate window is known (``window_s``), a 429 tells the
  budget: the requests sent in the last window, per second. The rate drops to just below it
  and, once there, grows fifty times slower, so it settles under the budget instead of
  sawing between half of it and past it.
- **Pause** — a 429 with ``Retry-After`` pauses *every* request of the app until then. A pause
  longer than ``retry_after_ceiling_s`` is not slept: acquiring a slot raises
  :class:`~tunestream.errors.RateLimited` so the caller ends its cycle and reschedules.
- **Rate-limit fields** — any response (a success too) whose rate-limit header fields say the
  budget is used up pauses every request until it refills, the same way
  (:meth:`RateLimiter.on_response`). :func:`budget_used_up` reads, and only reads:

  ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset``
      GitHub's: requests left in the window, and when it resets in UTC epoch seconds
      (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
  ``RateLimit-Remaining`` / ``RateLimit-Reset``
      the IETF draft up to -06: requests left, and the seconds until the window resets
      (https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-06).
  ``RateLimit: "name";r=<remaining>;t=<seconds>``
      the draft's structured field from -08 on, a list of one item per quota policy: ``r``
      requests left, ``t`` seconds until more are available; a used-up policy waits for its
      own ``t`` (https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-10).

  The budget is used up when a remaining count is 0; the pause lasts until the latest reset
  any used-up field gives. A ``Retry-After`` in the same response takes precedence over them
  (as the draft says). A count above 0, a field that does not parse, or a used-up count
  without a reset pauses nothing (a 429 then does what it does). ``*-Limit`` and
  ``RateLimit-Policy`` are not read: the rate is taught by 429s, not announced quotas.

Time comes from an injectable :class:`~tunestream.http.clock.Clock`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from tunestream.errors import RateLimited
from tunestream.http.clock import Clock, LoopClock
from tunestream.http.models import RateLimitConfig

__all__ = ["BudgetReset", "Permit", "RateLimiter", "budget_used_up"]

log = logging.getLogger("tunestream.http")

_SETTLE = 0.95  # with a learnt budget, the rate settles at this share of it ...
_PROBE = 0.02  # ... and above that grows this much slower than increase_step


@dataclass(frozen=True)
class Permit:
    """A granted slot; ``issued_at`` tells the limiter how fresh the feedback about it is."""

    issued_at: float


@dataclass(frozen=True)
class BudgetReset:
    """A response's word that the budget is used up: which ``field`` said so, and the seconds
    until it refills (None when no reset came with it)."""

    field: str
    wait_s: float | None


_SF_MEMBER = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+')  # a list member (RFC 8941 §3.1)
_SF_BARE_ITEM = re.compile(r'\s*(?:"(?:[^"\\]|\\.)*"|[^;]*)')
_SF_PARAM = re.compile(r';\s*([a-z*][a-z0-9_.*-]*)(?:=("(?:[^"\\]|\\.)*"|[^;\s]*))?')


def budget_used_up(
    headers: httpx.Headers, *, now_epoch_s: float | None = None
) -> BudgetReset | None:
    """Whether the response's rate-limit fields (the module docstring lists them) say the
    budget is used up, and until when; None when none of them says so."""
    now = time.time() if now_epoch_s is None else now_epoch_s
    used_up: list[tuple[str, float | None]] = []  # (field, seconds until it refills)
    if _number(headers.get("X-RateLimit-Remaining")) == 0:
        reset = _number(headers.get("X-RateLimit-Reset"))
        used_up.append(("X-RateLimit-Reset", None if reset is None else reset - now))
    if _number(headers.get("RateLimit-Remaining")) == 0:
        used_up.append(("RateLimit-Reset", _number(headers.get("RateLimit-Reset"))))
    for params in _structured_items(headers.get("RateLimit", "")):
        if _number(params.get("r")) == 0:
            used_up.append(("RateLimit", _number(params.get("t"))))
    known = [(wait, field) for field, wait in used_up if wait is not None]
    if known:
        wait, field = max(known)
        return BudgetReset(field, max(0.0, wait))
    return BudgetReset(used_up[0][0], None) if used_up else None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _structured_items(value: str) -> Iterator[dict[str, str]]:
    """The parameters of each item of a structured-field list (RFC 8941), e.g.
    ``"default";r=0;t=30, "daily";r=10`` → ``{"r": "0", "t": "30"}``, ``{"r": "10"}``."""
    for member in _SF_MEMBER.findall(value):
        bare = _SF_BARE_ITEM.match(member)
        rest = member[bare.end() :] if bare else member
        yield {name: raw for name, raw in _SF_PARAM.findall(rest)}


class RateLimiter:
    """The budget of one API app, shared by all of its concurrent requests."""

    def __init__(
        self,
        config: RateLimitConfig | None = None,
        *,
        clock: Clock | None = None,
        name: str = "api",
    ) -> None:
        self.config = config or RateLimitConfig()
        self.name = name
        self._clock: Clock = clock or LoopClock()
        self._rate = self.config.requests_per_second
        self._next_at = -float("inf")
        self._paused_until = -float("inf")
        self._paused_by = "Retry-After"  # the field that asked for the current pause
        self._last_decrease_at = -float("inf")
        self._sent: deque[float] = deque()  # send times within the last window_s
        self.budget: float | None = None
        """The API's budget in requests/s, as learnt from the last 429 (with ``window_s``)."""
        self._semaphore = asyncio.Semaphore(self.config.max_concurrency)

    @property
    def rate(self) -> float:
        """The current rate in requests/s."""
        return self._rate

    @property
    def ceiling_s(self) -> float:
        return self.config.retry_after_ceiling_s

    def pause_remaining_s(self) -> float:
        """Seconds until the current pause ends (0 when not paused)."""
        return max(0.0, self._paused_until - self._clock.now())

    @asynccontextmanager
    async def slot(self, *, url: str = "") -> AsyncIterator[Permit]:
        """Wait for a slot (pause, pacing, concurrency) and hold it for one HTTP exchange.

        Raises RateLimited at once when the app is paused for longer than the ceiling.
        """
        self._check_pause(url)
        async with self._semaphore:
            permit = await self._acquire(url)
            yield permit

    def on_success(self, permit: Permit) -> None:
        """Additive increase, for a request sent after the last decrease."""
        if permit.issued_at < self._last_decrease_at:
            return
        step = self.config.increase_step
        if self.budget is not None and self._rate >= self.budget * _SETTLE:
            step *= _PROBE  # near the learnt budget: probe for more, slowly
        self._rate = min(self.config.requests_per_second, self._rate + step)

    def on_rate_limited(
        self, permit: Permit, retry_after_s: float | None, *, why: str = "Retry-After"
    ) -> None:
        """Multiplicative decrease (once per window), and a pause for all when told how long
        (by the field ``why`` names)."""
        now = self._clock.now()
        if permit.issued_at >= self._last_decrease_at:
            before = self._rate
            lowered = self._rate * self.config.decrease_factor
            window = self.config.window_s
            if window is not None:
                self._forget_sent(now)
                self.budget = len(self._sent) / window
                lowered = min(self._rate, self.budget * _SETTLE)
            self._rate = max(self.config.min_requests_per_second, lowered)
            self._last_decrease_at = now
            log.info("%s: rate limited, %.3g → %.3g requests/s", self.name, before, self._rate)
        if retry_after_s is not None:
            self.pause(retry_after_s, why=why)

    def on_response(self, headers: httpx.Headers) -> None:
        """Learn from a response's rate-limit fields: a used-up budget pauses every request
        of the app until it refills (the next one raises RateLimited if that is too far). A
        response with a Retry-After leaves the wait to it: it takes precedence (draft -08 on)."""
        if "Retry-After" in headers:
            return
        reset = budget_used_up(headers)
        if reset is not None and reset.wait_s:
            self.pause(reset.wait_s, why=reset.field)

    def pause(self, seconds: float, *, why: str = "Retry-After") -> None:
        """Hold every request of the app for ``seconds`` from now (a longer pause stays);
        ``why`` names the field that asked for it. A pause is logged once, when it starts and
        is waited out: one past the ceiling is told by the error that ends the cycle."""
        now = self._clock.now()
        until = now + max(0.0, seconds)
        if until > self._paused_until:
            starts = self._paused_until <= now
            self._paused_until = until
            self._paused_by = why
            if starts and seconds <= self.config.retry_after_ceiling_s:
                log.info("%s: all requests paused for %.1f s (%s)", self.name, seconds, why)

    def _check_pause(self, url: str) -> None:
        remaining = self.pause_remaining_s()
        if remaining > self.config.retry_after_ceiling_s:
            raise RateLimited(
                f"{self.name} asked to wait {remaining:.0f} s ({self._paused_by}), more than "
                f"retry_after_ceiling_s={self.config.retry_after_ceiling_s:g}; "
                "ending this cycle early to retry later",
                url=url,
                retry_after_s=remaining,
            )

    async def _acquire(self, url: str) -> Permit:
        while True:
            self._check_pause(url)
            remaining = self.pause_remaining_s()
            if remaining > 0:
                log.debug("%s: paused, waiting %.2f s", self.name, remaining)
                await self._clock.sleep(remaining)
                continue
            now = self._clock.now()
            at = max(now, self._next_at)
            self._next_at = at + 1.0 / self._rate
            if at > now:
                await self._clock.sleep(at - now)
                if self.pause_remaining_s() > 0:
                    continue  # a 429 arrived while this request waited for its turn
            issued = self._clock.now()
            if self.config.window_s is not None:
                self._sent.append(issued)
                self._forget_sent(issued)
            return Permit(issued_at=issued)

    def _forget_sent(self, now: float) -> None:
        assert self.config.window_s is not None
        while self._sent and self._sent[0] <= now - self.config.window_s:
            self._sent.popleft()
