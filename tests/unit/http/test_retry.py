from __future__ import annotations

import email.utils
from collections.abc import Callable

import httpx
import pytest

from tests.support.rest import API, Seen, api_error, make_client, now
from tunestream.errors import FetchError, Forbidden, HttpStatusError, MalformedBody
from tunestream.http.models import RetryConfig
from tunestream.http.retry import RetryPolicy, parse_retry_after
from tunestream.http.testing import run_in_virtual_time as run

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

Answer = Callable[[httpx.Request], httpx.Response]


class Scripted:
    """Answers from a script, one per request; the last one repeats."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.seen = Seen()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.add(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request)

    def times(self) -> list[float]:
        return [t for t, _ in self.seen.requests]


def status(code: int, **headers: str) -> Answer:
    return lambda request: httpx.Response(code, headers=headers, json={"error": {"status": code}})


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"id": "x"})


def truncated(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b'{"items": [{"id": "a"}, {"id"')


def raising(exc: type[httpx.RequestError], text: str) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exc(text, request=request)

    return answer


def fetch(handler: Scripted, retry: RetryConfig | None = None, jitter: float = 1.0) -> object:
    async def scenario() -> object:
        async with make_client(handler, retry=retry, jitter=jitter) as api:
            return await api.get_json("albums/1")

    return run(scenario())


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_server_error_is_retried_after_the_backoff(code: int) -> None:
    api = Scripted(status(code), ok)
    assert fetch(api, RetryConfig(backoff_base_s=0.5)) == {"id": "x"}
    assert api.times() == [0.0, 0.5]


@pytest.mark.parametrize(
    "failure",
    [
        raising(httpx.ReadTimeout, "timed out"),
        raising(httpx.ConnectTimeout, "timed out"),
        raising(httpx.ConnectError, "connection refused"),
        raising(httpx.ReadError, "[Errno 104] Connection reset by peer"),
        raising(httpx.RemoteProtocolError, "peer closed connection without full body"),
        truncated,
        raising(httpx.DecodingError, "truncated gzip"),
    ],
    ids=[
        "read-timeout",
        "connect-timeout",
        "refused",
        "reset",
        "incomplete",
        "truncated-json",
        "bad-gzip",
    ],
)
def test_transport_failures_and_truncated_bodies_are_retried(failure: Answer) -> None:
    api = Scripted(failure, failure, ok)
    assert fetch(api) == {"id": "x"}
    assert len(api.seen.requests) == 3


def test_backoff_is_exponential_and_capped() -> None:
    api = Scripted(status(503))
    config = RetryConfig(attempts=5, backoff_base_s=0.5, backoff_max_s=1.5)
    with pytest.raises(HttpStatusError) as caught:
        fetch(api, config)
    # waits 0.5, 1.0, 1.5 (capped), 1.5
    assert api.times() == [0.0, 0.5, 1.5, 3.0, 4.5]
    assert caught.value.status == 503
    assert str(caught.value) == f"GET {API}/albums/1 failed: HTTP 503 after 5 attempts"


def test_backoff_has_full_jitter() -> None:
    config = RetryConfig(backoff_base_s=1.0, backoff_max_s=8.0)
    assert [RetryPolicy(config, rng=lambda: 0.25).backoff_s(n) for n in (1, 2, 3, 4, 5)] == [
        0.25,
        0.5,
        1.0,
        2.0,
        2.0,
    ]
    drawn = [RetryPolicy(config).backoff_s(4) for _ in range(200)]
    assert all(0.0 <= d <= 8.0 for d in drawn)
    assert min(drawn) < 2.0 < max(drawn)  # spread over [0, cap], not a fixed delay


def test_a_body_still_malformed_after_retries_is_malformed_body_with_the_raw_bytes() -> None:
    api = Scripted(truncated)
    with pytest.raises(MalformedBody) as caught:
        fetch(api, RetryConfig(attempts=3))
    assert len(api.seen.requests) == 3
    assert caught.value.body == b'{"items": [{"id": "a"}, {"id"'
    assert "\n" not in str(caught.value)


def test_timeouts_to_the_end_are_a_fetch_error() -> None:
    api = Scripted(raising(httpx.ReadTimeout, "timed out"))
    with pytest.raises(FetchError, match=r"no response within 10 s$") as caught:
        fetch(api, RetryConfig(attempts=2))
    assert type(caught.value) is FetchError
    assert len(api.seen.requests) == 2


def test_a_server_retry_after_within_the_ceiling_replaces_the_backoff() -> None:
    api = Scripted(status(503, **{"Retry-After": "7"}), ok)
    assert fetch(api) == {"id": "x"}
    assert api.times() == [0.0, 7.0]


def test_403_is_forbidden_at_once() -> None:
    api = Scripted(lambda request: api_error(403, "Forbidden"))
    with pytest.raises(Forbidden) as caught:
        fetch(api)
    assert len(api.seen.requests) == 1
    assert caught.value.status == 403
    assert str(caught.value).startswith(f"GET {API}/albums/1 failed: HTTP 403 (Forbidden)")


@pytest.mark.parametrize(
    ("code", "message"),
    [(404, "analysis not found"), (400, "invalid id"), (400, "The access token expired")],
)
def test_other_client_errors_are_not_retried(code: int, message: str) -> None:
    # decided on the status: a 400 that talks about tokens is still a plain 400
    api = Scripted(lambda request: api_error(code, message))
    with pytest.raises(HttpStatusError) as caught:
        fetch(api)
    assert type(caught.value) is HttpStatusError
    assert len(api.seen.requests) == 1
    assert caught.value.status == code
    assert str(caught.value) == f"GET {API}/albums/1 failed: HTTP {code} ({message})"


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(date, now_epoch_s=1_000_000) == 30.0


def test_sleeping_is_virtual() -> None:
    api = Scripted(status(500), ok)

    async def scenario() -> float:
        async with make_client(
            api, retry=RetryConfig(backoff_base_s=3600, backoff_max_s=3600)
        ) as client:
            await client.get_json("x")
        return now()

    assert run(scenario()) == 3600.0  # an hour of backoff, in no time at all


def test_a_request_error_that_retrying_cannot_cure_fails_at_once() -> None:
    api = Scripted(raising(httpx.UnsupportedProtocol, "no such scheme"))
    with pytest.raises(FetchError, match=r"UnsupportedProtocol: no such scheme$"):
        fetch(api)
    assert len(api.seen.requests) == 1
