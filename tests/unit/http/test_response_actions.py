"""``response_actions``: what a response means is declared by the config, not the client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml
from pydantic import ValidationError

from tests.support.rest import API, Seen, api_error, make_client
from tunestream.errors import HttpStatusError, QuotaExceeded, RateLimited
from tunestream.http.models import ResponseAction, RestClientConfig, RetryConfig
from tunestream.http.testing import run_in_virtual_time as run

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

QUOTA = ResponseAction(status_code=429, content="QUOTA_EXCEEDED", action="quota_exceeded")


def quota_used_up() -> httpx.Response:
    response = api_error(429, "API rate limit exceeded", reason="QUOTA_EXCEEDED")
    response.headers["Retry-After"] = "3600"
    return response


def get(handler: Any, actions: list[ResponseAction], attempts: int = 3) -> Any:
    async def scenario() -> Any:
        retry = RetryConfig(attempts=attempts, backoff_base_s=1)
        async with make_client(handler, actions=actions, retry=retry) as api:
            return await api.get_json("x")

    return run(scenario())


def test_a_declared_quota_answer_ends_at_once_naming_the_quota() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return quota_used_up()

    with pytest.raises(QuotaExceeded) as caught:
        get(handler, [QUOTA])
    assert str(caught.value) == (
        f"GET {API}/x: the API quota is used up (429 QUOTA_EXCEEDED); "
        "the API says retry after 3600 s"
    )
    assert caught.value.retry_after_s == 3600
    assert len(seen.requests) == 1


def test_without_the_declaration_a_quota_answer_is_an_ordinary_429() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return quota_used_up()

    with pytest.raises(RateLimited) as caught:
        get(handler, [])
    assert type(caught.value) is RateLimited  # the client knows no API's words
    assert "retry_after_ceiling_s" in str(caught.value)


def test_the_content_must_match_too() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        response = api_error(429, "slow down")
        response.headers["Retry-After"] = "3600"
        return response

    with pytest.raises(RateLimited) as caught:
        get(handler, [QUOTA])
    assert type(caught.value) is RateLimited


def test_retry_makes_any_answer_transient() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        if len(seen.requests) < 3:
            return api_error(409, "index is being rebuilt, try again")
        return httpx.Response(200, json={"ok": True})

    retry = ResponseAction(content="try again", action="retry")
    assert get(handler, [retry]) == {"ok": True}
    assert [t for t, _ in seen.requests] == [0.0, 1.0, 3.0]  # backoff 1 s, then 2 s


def test_a_retried_answer_ends_in_its_status_when_attempts_run_out() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return api_error(409, "busy")

    with pytest.raises(HttpStatusError, match="after 2 attempts") as caught:
        get(handler, [ResponseAction(status_code=409, action="retry")], attempts=2)
    assert caught.value.status == 409
    assert len(seen.requests) == 2
    with pytest.raises(HttpStatusError, match=r"failed: HTTP 409 \(busy\)$"):
        get(handler, [])  # undeclared, a 409 is final
    assert len(seen.requests) == 3


def test_the_first_matching_action_wins() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return quota_used_up()

    first = ResponseAction(status_code=429, action="retry")
    with pytest.raises(HttpStatusError, match="HTTP 429"):
        get(handler, [first, QUOTA], attempts=1)
    with pytest.raises(QuotaExceeded):
        get(handler, [QUOTA, first], attempts=1)


def test_actions_are_declared_in_yaml_and_checked() -> None:
    config = RestClientConfig.model_validate(
        yaml.safe_load(
            """
            base_url: https://api.example.test/v1
            response_actions:
              - {status_code: 429, content: QUOTA_EXCEEDED, action: quota_exceeded}
              - {content: try again, action: retry}
            """
        )
    )
    assert config.response_actions == (
        QUOTA,
        ResponseAction(content="try again", action="retry"),
    )
    for wrong, message in [
        ({"action": "retry"}, "needs status_code, content or both"),
        ({"status_code": 429, "action": "ignore"}, "'quota_exceeded' or 'retry'"),
        ({"status_code": 42, "action": "retry"}, "greater than or equal to 100"),
    ]:
        with pytest.raises(ValidationError, match=message):
            RestClientConfig.model_validate({"base_url": API, "response_actions": [wrong]})
