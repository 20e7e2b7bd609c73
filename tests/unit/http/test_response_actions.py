"""``response_actions``: what a response means is declared by the config, not the client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pydantic import ValidationError

from tests.support.rest import API, Seen, api_error, fast_rate, make_client
from tunestream.errors import (
    ConfigError,
    DeclaredOutcome,
    FetchError,
    HttpStatusError,
    QuotaExceeded,
    RateLimited,
)
from tunestream.http.client import Page
from tunestream.http.models import (
    OffsetPaginatorConfig,
    ResponseAction,
    RestClientConfig,
    RetryConfig,
)
from tunestream.http.ratelimit import RateLimiter
from tunestream.http.testing import run_in_virtual_time as run
from tunestream.spec.loader import load_spec

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
              - {status_code: [404, "5XX"], header: {X-Reason: gone}, action: missing}
              - {body: "error.code == `4`", action: quota_exceeded}
            """
        )
    )
    assert config.response_actions == (
        QUOTA,
        ResponseAction(content="try again", action="retry"),
        ResponseAction(status_code=(404, "5xx"), header={"X-Reason": "gone"}, action="missing"),
        ResponseAction(body="error.code == `4`", action="quota_exceeded"),
    )
    assert QUOTA.status_code == 429  # a single status stays a number


@pytest.mark.parametrize(
    ("wrong", "field", "message"),
    [
        ({"action": "retry"}, (), "needs at least one of status_code, content, body, header"),
        ({"status_code": 42, "action": "retry"}, ("status_code",), "an HTTP status (100 to 599)"),
        ({"status_code": "6xx", "action": "retry"}, ("status_code",), "a class such as '4xx'"),
        ({"status_code": [], "action": "retry"}, ("status_code",), "an empty list matches no"),
        ({"content": "", "action": "retry"}, ("content",), "at least 1 character"),
        ({"body": "error.code ==", "action": "retry"}, ("body",), "not a JMESPath expression"),
        ({"body": "lenght(items)", "action": "retry"}, ("body",), "JMESPath has no function"),
        ({"header": {"X Reason": "a"}, "action": "retry"}, ("header", "X Reason", "[key]"), ""),
        ({"header": {}, "action": "retry"}, ("header",), "at least 1 item"),
        ({"status_code": 429, "action": "pause"}, ("action",), "'dead_letter', 'step_down' or"),
    ],
)
def test_a_wrong_action_is_refused_naming_its_key(
    wrong: dict[str, Any], field: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        RestClientConfig.model_validate({"base_url": API, "response_actions": [wrong]})
    (error,) = caught.value.errors()
    assert error["loc"] == ("response_actions", 0, *field)
    assert message in error["msg"]


def test_a_bad_expression_in_a_spec_is_one_config_error_line(tmp_path: Path) -> None:
    spec = tmp_path / "demo.yaml"
    spec.write_text(
        """
name: demo
client:
  base_url: https://api.example.test/v1
  response_actions: [{body: "error.code == ", action: quota_exceeded}]
modes: {all: [things]}
resources:
  things: {kind: list, request: {path: /things}, paginator: {type: single}}
"""
    )
    with pytest.raises(ConfigError) as caught:
        load_spec(str(spec), environ={})
    assert str(caught.value) == (
        f"source spec {spec}: client.response_actions.0.body: 'error.code == ' is not a "
        "JMESPath expression (it ends too early) (got 'error.code == ')"
    )


DEEZER_QUOTA = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}


def test_a_body_condition_matches_a_200() -> None:
    """Deezer answers a used-up quota with HTTP 200 and an error object."""
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return httpx.Response(200, json=DEEZER_QUOTA)

    action = ResponseAction(body="error.code == `4`", action="quota_exceeded")
    with pytest.raises(QuotaExceeded) as caught:
        get(handler, [action])
    assert str(caught.value) == f"GET {API}/x: the API quota is used up (200 Quota limit exceeded)"
    assert len(seen.requests) == 1

    async def fine(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": 1, "error": {"code": 800}})

    assert get(fine, [action]) == {"id": 1, "error": {"code": 800}}


@pytest.mark.parametrize(
    ("body", "matches"),
    [
        ({"error": {"code": 0}}, True),  # 0 is true in JMESPath
        ({"error": {"code": "x"}}, True),
        ({"error": {"code": ""}}, False),
        ({"error": {"code": []}}, False),
        ({"error": {"code": None}}, False),
        ({"error": {"code": False}}, False),
        ({"error": 3}, False),
        ([1, 2], False),
    ],
)
def test_a_body_condition_is_jmespath_truth(body: Any, matches: bool) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    action = ResponseAction(body="error.code", action="dead_letter")
    if matches:
        with pytest.raises(DeclaredOutcome):
            get(handler, [action])
    else:
        assert get(handler, [action]) == body


def test_a_body_condition_never_matches_a_body_that_is_not_json_or_fails_the_expression() -> None:
    async def text(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="error.code 4")

    async def number(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": 4})

    with pytest.raises(HttpStatusError, match=r"HTTP 400$"):
        get(text, [ResponseAction(body="@", action="ignore")])
    with pytest.raises(HttpStatusError, match=r"HTTP 400$"):  # length() of a number: a type error
        get(number, [ResponseAction(body="length(error) > `0`", action="ignore")])


@pytest.mark.parametrize(
    ("status_code", "matched", "unmatched"),
    [
        (404, [404], [400, 410]),
        ("4xx", [400, 404, 499], [200, 399, 500]),
        ((410, "5xx"), [410, 500, 503], [200, 404]),
    ],
)
def test_status_codes_match_a_status_a_class_or_a_list(
    status_code: Any, matched: list[int], unmatched: list[int]
) -> None:
    action = ResponseAction(status_code=status_code, action="missing")

    def outcome(status: int) -> str:
        async def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, json={"ok": False})

        try:
            get(handler, [action], attempts=1)
        except DeclaredOutcome:
            return "declared"
        except FetchError:
            return "not declared"
        return "not declared"

    assert [outcome(status) for status in matched] == ["declared"] * len(matched)
    assert [outcome(status) for status in unmatched] == ["not declared"] * len(unmatched)


@pytest.mark.parametrize("action", ["missing", "dead_letter", "step_down"])
def test_declared_outcomes_end_the_request_at_once_with_what_they_declare(action: str) -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        body = {"error": {"message": "no such album", "code": 800}}
        return httpx.Response(200, json=body, headers={"X-A": "b"})

    declared = ResponseAction.model_validate(
        {
            "status_code": "2xx",
            "header": {"X-A": "b"},
            "body": "error.code == `800`",
            "action": action,
        }
    )
    with pytest.raises(DeclaredOutcome) as caught:
        get(handler, [declared])
    assert caught.value.action == action
    assert caught.value.status == 200
    assert caught.value.body == '{"error":{"message":"no such album","code":800}}'
    assert caught.value.url == f"{API}/x"
    assert str(caught.value) == (
        f"GET {API}/x: HTTP 200 (no such album), which response_actions declare {action}"
    )
    assert len(seen.requests) == 1


def test_a_header_condition_needs_the_exact_value() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True}, headers={"X-Access": "denied-later"})

    assert get(handler, [ResponseAction(header={"x-access": "denied"}, action="step_down")]) == {
        "ok": True
    }
    with pytest.raises(DeclaredOutcome):
        get(handler, [ResponseAction(header={"x-access": "denied-later"}, action="step_down")])


def test_ignore_is_a_success_without_records() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        offset = int(request.url.params.get("offset", "0"))
        if offset >= 4:
            return httpx.Response(200, json={"error": {"code": 800}})  # "no more data"
        return httpx.Response(200, json={"data": [offset, offset + 1]})

    ignore = ResponseAction(body="error.code == `800`", action="ignore")

    async def scenario() -> tuple[object, list[Page]]:
        async with make_client(handler, actions=[ignore]) as api:
            single = await api.get_json("x", {"offset": 4})
            pager = OffsetPaginatorConfig(limit=2, total_path=None, next_path=None)
            pages = [p async for p in api.paginate("x", paginator=pager, records_path="data")]
            return single, pages

    single, pages = run(scenario())
    assert single is None
    assert [page.records for page in pages] == [[0, 1], [2, 3], []]
    last = pages[-1]
    assert (last.body, last.next_request, last.not_modified, last.number) == (None, None, False, 2)
    assert pages[1].next_request == last.request
    assert len(seen.requests) == 4


def test_an_ignored_answer_is_a_success_for_the_limiter() -> None:
    answers = [api_error(429, "slow down"), httpx.Response(200, json={"error": {"code": 800}})]

    async def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    limiter = RateLimiter(fast_rate(requests_per_second=100))

    async def scenario() -> object:
        ignore = ResponseAction(body="error.code == `800`", action="ignore")
        async with make_client(handler, actions=[ignore], limiter=limiter) as api:
            return await api.get_json("x")

    assert run(scenario()) is None
    assert limiter.rate == pytest.approx(50.1)  # halved by the 429, then one success
