"""``response_actions``: what a response means where its status alone does not say it.

A spec declares, after dlt's ``response_actions``, conditions on a response and what a matching
one means::

    response_actions:
      - {status_code: 429, content: QUOTA_EXCEEDED, action: quota_exceeded}    # Spotify
      - {status_code: 200, body: "error.code == `4`", action: quota_exceeded}   # Deezer
      - {status_code: [404, 410], action: missing}
      - {status_code: 4xx, header: {X-Reason: banned}, action: step_down}

The client checks them in order before its built-in handling of a status
(:mod:`tunestream.http.client`); the first match wins.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from tunestream.http.exchange import Exchange
from tunestream.http.fields import ConfigModel, HeaderName, NonEmpty
from tunestream.http.query import Query, truthy

__all__ = ["ResponseAction", "ResponseActionName", "StatusCode"]


_STATUS_CLASS = re.compile(r"[1-5]xx")

StatusCode = int | str
"""A status (``404``) or a class of them (``"4xx"``)."""


def _status_code(value: Any) -> StatusCode:
    if isinstance(value, str):
        text = value.strip().lower()
        if _STATUS_CLASS.fullmatch(text):
            return text
        value = int(text) if text.isdecimal() else value
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    raise ValueError("an HTTP status (100 to 599) or a class such as '4xx' is expected")


def _status_codes(value: Any) -> StatusCode | tuple[StatusCode, ...]:
    if isinstance(value, list | tuple):
        if not value:
            raise ValueError("an empty list matches no response; give a status or a class")
        return tuple(_status_code(item) for item in value)
    return _status_code(value)


def _status_in(status: int, codes: StatusCode | tuple[StatusCode, ...]) -> bool:
    if isinstance(codes, tuple):
        return any(_status_in(status, code) for code in codes)
    if isinstance(codes, int):
        return status == codes
    return status // 100 == int(codes[0])


ResponseActionName = Literal[
    "quota_exceeded", "retry", "missing", "dead_letter", "step_down", "ignore"
]


class ResponseAction(ConfigModel):
    """What a response means, after dlt's ``response_actions``: a response that meets every
    condition set — ``status_code`` (a status, a class such as ``"4xx"``, or a list of those),
    ``content`` (a substring of the body text), ``body`` (a JMESPath expression over the JSON body
    that must be true, e.g. ``error.code == `4```) and ``header`` (each named response header
    with exactly that value) — is handled by ``action`` instead of by its status, 2xx included.
    The first matching action wins.

    quota_exceeded  a quota (not the rate window) is used up: QuotaExceeded at once, no retry;
                    the limiter pauses for the Retry-After, if any
    retry           another attempt may succeed: retried with backoff (or a Retry-After up to
                    the ceiling), HttpStatusError when attempts run out
    missing         the item does not exist: DeclaredOutcome (the runtime: MISSING)
    dead_letter     the request's items go to the dead-letter topic: DeclaredOutcome
    step_down       as a 403, the plan steps down: DeclaredOutcome
    ignore          a success with no records: get_json returns None, paginate yields an empty
                    last page
    """

    status_code: (
        Annotated[StatusCode | tuple[StatusCode, ...], BeforeValidator(_status_codes)] | None
    ) = None
    content: NonEmpty | None = None
    body: Query | None = None
    header: Annotated[dict[HeaderName, str], Field(min_length=1)] | None = None
    action: ResponseActionName

    @model_validator(mode="after")
    def _matches_something(self) -> ResponseAction:
        conditions = (self.status_code, self.content, self.body, self.header)
        if all(condition is None for condition in conditions):
            raise ValueError(
                "a response action needs at least one of status_code, content, body, header"
            )
        return self

    def matches(self, exchange: Exchange) -> bool:
        """Whether the response of ``exchange`` meets every condition of this action; a body
        that is not JSON, or on which the expression fails, does not meet ``body``."""
        response = exchange.response
        if self.status_code is not None and not _status_in(exchange.status, self.status_code):
            return False
        if self.content is not None and self.content not in response.text:
            return False
        if self.header is not None and any(
            response.headers.get(name) != value for name, value in self.header.items()
        ):
            return False
        return self.body is None or (exchange.parsed and truthy(self.body.search(exchange.body)))
