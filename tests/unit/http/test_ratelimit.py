from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.support.rest import API, Seen, api_error, fast_rate, make_client, now
from tunestream.errors import Forbidden, QuotaExceeded, RateLimited
from tunestream.http.models import RateLimitConfig, ResponseAction, RetryConfig
from tunestream.http.ratelimit import BudgetReset, RateLimiter, budget_used_up
from tunestream.http.testing import run_in_virtual_time as run

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


QUOTA = ResponseAction(status_code=429, content="QUOTA_EXCEEDED", action="quota_exceeded")


def too_many(retry_after: str | None = None, **extra: object) -> httpx.Response:
    response = api_error(429, "API rate limit exceeded", **extra)
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


def test_a_retry_after_pauses_every_concurrent_request() -> None:
    seen = Seen()
    limiter = RateLimiter(fast_rate(requests_per_second=100, max_concurrency=10))

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        first = len(seen.requests) == 1
        await asyncio.sleep(0.045)  # meanwhile others go out, or wait for their turn
        if first:
            return too_many("5")
        return httpx.Response(200, json={"i": request.url.params["i"]})

    async def scenario() -> list[object]:
        async with make_client(handler, limiter=limiter) as api:
            calls = (api.get_json("x", {"i": str(i)}) for i in range(10))
            return list(await asyncio.gather(*calls))

    assert run(scenario()) == [{"i": str(i)} for i in range(10)]
    times = [round(t, 6) for t, _ in seen.requests]
    # 0.00 gets the 429 at 0.045; 0.01 … 0.04 were already out; then nobody until 5.045
    assert times[:5] == [0.0, 0.01, 0.02, 0.03, 0.04]
    assert len(times) == 11
    assert all(t >= 5.045 for t in times[5:]), times
    assert limiter.rate < 100  # and the budget shrank


def test_a_retry_after_beyond_the_ceiling_ends_the_cycle_instead_of_sleeping() -> None:
    seen = Seen()
    limiter = RateLimiter(fast_rate(retry_after_ceiling_s=60))

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return too_many("7200") if len(seen.requests) == 1 else httpx.Response(200, json={})

    async def scenario() -> tuple[RateLimited, RateLimited, float]:
        async with make_client(handler, limiter=limiter) as api:
            with pytest.raises(RateLimited) as first:
                await api.get_json("x")
            with pytest.raises(RateLimited) as second:  # the whole app is paused
                await api.get_json("y")
            elapsed = now()
            await asyncio.sleep(7200)
            await api.get_json("z")  # after the pause all is well again
            return first.value, second.value, elapsed

    first, second, elapsed = run(scenario())
    assert type(first) is RateLimited and first.retry_after_s == 7200
    assert str(first) == (
        f"GET {API}/x: the API asked to wait 7200 s (Retry-After), more than "
        "retry_after_ceiling_s=60; ending this cycle early to retry later"
    )
    assert second.retry_after_s == pytest.approx(7200)
    assert elapsed == 0.0
    assert [r.url.path for _, r in seen.requests] == ["/v1/x", "/v1/z"]
    assert "\n" not in str(first) and "7200 s" in str(first)


def test_a_pause_is_logged_once_when_it_starts_and_never_when_it_ends_the_cycle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RateLimiter(fast_rate(retry_after_ceiling_s=60))

    async def scenario() -> None:
        for seconds in (5, 6, 5):  # concurrent 429s, each with its Retry-After
            limiter.pause(seconds)
        await asyncio.sleep(10)
        limiter.pause(7200)  # a quota's: the error that ends the cycle tells it

    with caplog.at_level(logging.INFO, logger="tunestream.http"):
        run(scenario())
    assert [r.getMessage() for r in caplog.records] == [
        "api: all requests paused for 5.0 s (Retry-After)"
    ]


def test_quota_exceeded_is_raised_at_once() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return too_many("10", reason="QUOTA_EXCEEDED")

    async def scenario() -> None:
        async with make_client(handler, actions=[QUOTA]) as api:
            await api.get_json("x")

    with pytest.raises(QuotaExceeded) as caught:
        run(scenario())
    assert caught.value.retry_after_s == 10
    assert len(seen.requests) == 1


def test_a_429_without_retry_after_backs_off_and_slows_down() -> None:
    seen = Seen()
    limiter = RateLimiter(fast_rate(requests_per_second=100))

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return too_many() if len(seen.requests) == 1 else httpx.Response(200, json={"ok": 1})

    async def scenario() -> object:
        async with make_client(
            handler, limiter=limiter, retry=RetryConfig(backoff_base_s=2)
        ) as api:
            return await api.get_json("x")

    assert run(scenario()) == {"ok": 1}
    assert [t for t, _ in seen.requests] == [0.0, 2.0]
    assert limiter.rate == pytest.approx(50.1)  # halved, then one success added 0.1


def test_429s_to_the_end_are_rate_limited() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return too_many("1")

    async def scenario() -> None:
        async with make_client(handler, retry=RetryConfig(attempts=3)) as api:
            await api.get_json("x")

    with pytest.raises(RateLimited, match="after 3 attempts") as caught:
        run(scenario())
    assert caught.value.retry_after_s == 1


def test_aimd_halves_once_per_window_and_climbs_back_additively() -> None:
    config = RateLimitConfig(
        requests_per_second=8, min_requests_per_second=1, decrease_factor=0.5, increase_step=1
    )

    async def scenario() -> list[float]:
        limiter = RateLimiter(config)
        rates = []
        async with limiter.slot() as old:
            pass
        await asyncio.sleep(1)
        limiter.on_rate_limited(old, None)
        rates.append(limiter.rate)  # 4
        limiter.on_rate_limited(old, None)  # same window: no second cut
        limiter.on_success(old)  # stale good news does not count either
        rates.append(limiter.rate)  # 4
        for _ in range(3):
            async with limiter.slot() as fresh:
                pass
            limiter.on_rate_limited(fresh, None)
            rates.append(limiter.rate)  # 2, 1, 1 (floor)
        for _ in range(10):
            async with limiter.slot() as fresh:
                pass
            limiter.on_success(fresh)
            rates.append(limiter.rate)  # 2 … 8, then capped
        return rates

    assert run(scenario()) == [4, 4, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8]


def test_requests_are_paced_at_the_current_rate() -> None:
    seen = Seen()
    limiter = RateLimiter(fast_rate(requests_per_second=5, increase_step=0))

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return too_many() if len(seen.requests) == 4 else httpx.Response(200, json={})

    async def scenario() -> None:
        async with make_client(
            handler, limiter=limiter, retry=RetryConfig(backoff_base_s=0.1)
        ) as api:
            await asyncio.gather(*(api.get_json("x") for _ in range(4)))  # the 4th gets a 429
            await asyncio.gather(*(api.get_json("x") for _ in range(3)))

    run(scenario())
    times = [round(t, 6) for t, _ in seen.requests]
    # 0.2 s apart at 5/s; the 429 at 0.6 cuts the rate to 2.5/s: its retry takes the slot
    # already reserved at 0.8, and from there on requests are 0.4 s apart
    assert times == [0.0, 0.2, 0.4, 0.6, 0.8, 1.2, 1.6, 2.0]


def test_concurrency_is_capped() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(1)
        in_flight -= 1
        return httpx.Response(200, json={})

    async def scenario() -> float:
        limiter = RateLimiter(fast_rate(max_concurrency=3))
        async with make_client(handler, limiter=limiter) as api:
            await asyncio.gather(*(api.get_json("x") for _ in range(9)))
        return now()

    elapsed = run(scenario())
    assert peak == 3
    assert elapsed == pytest.approx(3.0, abs=0.05)


def test_one_limiter_is_the_budget_of_every_client_of_the_app() -> None:
    seen = Seen()
    limiter = RateLimiter(fast_rate(requests_per_second=10))

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return httpx.Response(200, json={})

    async def scenario() -> None:
        async with (
            make_client(handler, limiter=limiter) as a,
            make_client(handler, limiter=limiter) as b,
        ):
            await asyncio.gather(*(c.get_json("x") for c in (a, b, a, b)))

    run(scenario())
    assert [round(t, 6) for t, _ in seen.requests] == [0.0, 0.1, 0.2, 0.3]


def rolling_window_api(
    budget: int, window_s: float, seen: Seen
) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    """An API allowing ``budget`` requests per rolling ``window_s``, as Spotify counts them."""
    accepted: list[float] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        t = now()
        while accepted and accepted[0] <= t - window_s:
            accepted.pop(0)
        if len(accepted) >= budget:
            request.extensions["429"] = True
            return too_many(str(max(1, round(accepted[0] + window_s - t))))
        accepted.append(t)
        return httpx.Response(200, json={})

    return handler


def test_a_learnt_budget_keeps_the_rate_just_under_a_rolling_window() -> None:
    """Told the window, the limiter learns an unpublished budget from the first 429 and uses
    at least 90 % of it, with at most 1 % of the requests refused."""
    seen = Seen()
    budget, window = 450, 30.0  # 15 requests/s; the client starts at 20
    rate = RateLimitConfig(requests_per_second=20, max_concurrency=4, window_s=window)
    limiter = RateLimiter(rate)
    handler = rolling_window_api(budget, window, seen)

    async def scenario() -> None:
        async with make_client(handler, limiter=limiter, retry=RetryConfig(attempts=50)) as api:
            await asyncio.gather(*(api.get_json("x", {"i": str(i)}) for i in range(6_000)))

    run(scenario())
    times = [t for t, _ in seen.requests]
    start, end = 60.0, times[-1]  # after the first window has taught what it can
    measured = [t for t in times if start <= t <= end]
    accepted_rate = (len(measured) - _count_429(seen, start, end)) / (end - start)
    share_429 = _count_429(seen, start, end) / len(measured)
    assert limiter.budget == pytest.approx(15.0, rel=0.05)
    assert accepted_rate >= 0.9 * budget / window
    assert share_429 <= 0.01


def _count_429(seen: Seen, start: float, end: float) -> int:
    return sum(1 for t, r in seen.requests if start <= t <= end and r.extensions.get("429"))


# ----------------------------------------------------------------- rate-limit header fields

NOW = 1_700_000_000.0  # an epoch time for X-RateLimit-Reset


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1700000030"},
            ("X-RateLimit-Reset", 30.0),
        ),
        (
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1699999990"},
            ("X-RateLimit-Reset", 0.0),
        ),
        ({"X-RateLimit-Remaining": "0"}, ("X-RateLimit-Reset", None)),  # used up, no reset given
        ({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1700000030"}, None),
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}, ("RateLimit-Reset", 12.0)),
        ({"RateLimit-Remaining": "3", "RateLimit-Reset": "12"}, None),
        ({"RateLimit": '"default";r=0;t=30'}, ("RateLimit", 30.0)),
        ({"RateLimit": '"burst";r=5;t=1, "daily";r=0;t=3600'}, ("RateLimit", 3600.0)),
        ({"RateLimit": '"default";r=50;t=30'}, None),
        ({"RateLimit": '"a;r=0,t=9";r=4;t=9'}, None),  # a policy name is no parameter
        ({"RateLimit": "limit=10, remaining=0, reset=5"}, None),  # draft -07's form: not read
        (
            {
                "RateLimit": '"hour";r=0;t=600',
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": "1700000060",
            },
            ("RateLimit", 600.0),  # the latest reset wins
        ),
        ({"X-RateLimit-Remaining": "none", "RateLimit-Remaining": ""}, None),
        ({"Retry-After": "30"}, None),
    ],
)
def test_the_rate_limit_fields_that_say_the_budget_is_used_up(
    fields: dict[str, str], expected: tuple[str, float | None] | None
) -> None:
    found = budget_used_up(httpx.Headers(fields), now_epoch_s=NOW)
    assert found == (None if expected is None else BudgetReset(*expected))


def test_a_structured_field_may_come_in_several_lines() -> None:
    fields = httpx.Headers([("RateLimit", '"burst";r=4;t=1'), ("RateLimit", '"day";r=0;t=90')])
    assert budget_used_up(fields) == BudgetReset("RateLimit", 90.0)


def ok_with(**fields: str) -> httpx.Response:
    return httpx.Response(200, json={}, headers={k.replace("_", "-"): v for k, v in fields.items()})


def test_a_used_up_budget_pauses_every_request_until_it_refills() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if len(seen.requests) == 1:  # a success, but the last one of the window
            return ok_with(RateLimit_Remaining="0", RateLimit_Reset="20")
        return httpx.Response(200, json={})

    async def scenario() -> None:
        async with make_client(handler) as api:
            await api.get_json("x")
            await asyncio.gather(*(api.get_json("y") for _ in range(3)))

    run(scenario())
    times = [round(t, 3) for t, _ in seen.requests]
    assert times[0] == 0.0
    assert all(t >= 20.0 for t in times[1:]), times
    assert len(times) == 4


def test_a_budget_refilling_beyond_the_ceiling_ends_the_cycle_at_the_next_request() -> None:
    seen = Seen()
    reset = str(int(time.time()) + 3600)
    limiter = RateLimiter(fast_rate(retry_after_ceiling_s=60), name="api.example.test")

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return ok_with(X_RateLimit_Remaining="0", X_RateLimit_Reset=reset)

    async def scenario() -> object:
        async with make_client(handler, limiter=limiter) as api:
            first = await api.get_json("x")  # the answer itself is good
            with pytest.raises(RateLimited) as caught:
                await api.get_json("y")
            return first, caught.value

    first, error = run(scenario())
    assert first == {}
    assert len(seen.requests) == 1
    assert isinstance(error, RateLimited)
    assert 3590 <= error.retry_after_s <= 3601
    assert str(error).startswith("api.example.test asked to wait 3")
    assert str(error).endswith(
        " s (X-RateLimit-Reset), more than retry_after_ceiling_s=60; "
        "ending this cycle early to retry later"
    )


def github_403(**fields: str) -> httpx.Response:
    body = {"message": "You have exceeded a secondary rate limit."}
    return httpx.Response(
        403, json=body, headers={k.replace("_", "-"): v for k, v in fields.items()}
    )


def test_a_github_403_with_retry_after_is_a_rate_limit_not_forbidden() -> None:
    seen = Seen()
    limiter = RateLimiter(fast_rate(requests_per_second=100))

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return github_403(Retry_After="5") if len(seen.requests) == 1 else ok_with()

    async def scenario() -> object:
        async with make_client(handler, limiter=limiter) as api:
            return await api.get_json("x")

    assert run(scenario()) == {}
    assert [t for t, _ in seen.requests] == [0.0, 5.0]
    assert limiter.rate < 100  # taught the budget like a 429


def test_a_github_403_with_a_used_up_budget_waits_for_its_reset_or_ends_the_cycle() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if request.url.path.endswith("/soon") and len(seen.requests) == 1:
            return github_403(RateLimit_Remaining="0", RateLimit_Reset="7")
        if request.url.path.endswith("/late"):
            reset = str(int(time.time()) + 7200)
            return github_403(X_RateLimit_Remaining="0", X_RateLimit_Reset=reset)
        return ok_with()

    async def scenario() -> RateLimited:
        async with make_client(handler) as api:
            await api.get_json("soon")
            with pytest.raises(RateLimited) as caught:
                await api.get_json("late")
            return caught.value

    error = run(scenario())
    soon, retried, late = (t for t, _ in seen.requests)
    assert (soon, retried) == (0.0, 7.0)  # the 403 waited for the reset, then was retried
    assert late == pytest.approx(7.0, abs=0.01)  # paced by the lowered rate
    assert type(error) is RateLimited
    assert 7190 <= error.retry_after_s <= 7201
    assert f"GET {API}/late: the API asked to wait" in str(error)
    assert "(X-RateLimit-Reset)" in str(error)


def test_a_403_without_rate_limit_fields_stays_forbidden() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return github_403(X_RateLimit_Remaining="4999", X_RateLimit_Reset="1700000000")

    async def scenario() -> None:
        async with make_client(handler) as api:
            await api.get_json("x")

    with pytest.raises(Forbidden):
        run(scenario())


def test_a_429_without_retry_after_waits_for_the_reset_its_fields_give() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if len(seen.requests) == 1:
            return httpx.Response(429, json={}, headers={"RateLimit": '"default";r=0;t=3'})
        return ok_with()

    async def scenario() -> object:
        async with make_client(handler, retry=RetryConfig(backoff_base_s=30)) as api:
            return await api.get_json("x")

    assert run(scenario()) == {}
    assert [t for t, _ in seen.requests] == [0.0, 3.0]  # not the 30 s backoff


def test_a_retry_after_takes_precedence_over_the_rate_limit_fields() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if len(seen.requests) == 1:
            headers = {"Retry-After": "2", "RateLimit": '"day";r=0;t=600'}
            return httpx.Response(429, json={}, headers=headers)
        return ok_with()

    async def scenario() -> object:
        async with make_client(handler) as api:
            return await api.get_json("x")

    assert run(scenario()) == {}
    assert [t for t, _ in seen.requests] == [0.0, 2.0]
