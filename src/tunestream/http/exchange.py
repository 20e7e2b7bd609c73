"""One HTTP attempt as the rest of the package sees it, and how it reports to an observer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

__all__ = ["Attempt", "Exchange", "Observer", "Sender", "api_error_message"]


@dataclass(frozen=True)
class Exchange:
    """A request and its response; ``body`` is the parsed JSON when ``parsed`` is true."""

    request: httpx.Request
    response: httpx.Response
    body: Any
    parsed: bool
    empty: bool = False
    """A success that carries nothing: a 304 Not Modified, or an answer declared ``ignore``
    (``body`` is None; a walk through pages ends with an empty page)."""

    @property
    def status(self) -> int:
        return self.response.status_code


class Sender(Protocol):
    """Sends one request (observed, timed); transport failures are raised as ``Transient``."""

    async def __call__(self, request: httpx.Request, *, endpoint: str) -> Exchange: ...


@dataclass(frozen=True)
class Attempt:
    """What an observer learns of each HTTP attempt (for metrics; no URL, so no secrets).

    ``outcome`` is the status code as text (``"200"``, ``"429"``) or an error kind: ``"timeout"``,
    ``"connection"``, ``"malformed_body"`` (a 2xx whose body was not JSON, or an undecodable
    body) or ``"error"`` (any other request error, not retried).
    """

    endpoint: str
    outcome: str
    status: int | None
    duration_s: float


class Observer(Protocol):
    """Called once per HTTP attempt, token requests included; must not raise or block."""

    def __call__(self, attempt: Attempt, /) -> None: ...


def api_error_message(body: Any) -> str:
    """The human text of an API error body, or "".

    Understands the Web API error object ``{"error": {"status": 400, "message": "…"}}`` and the
    flat OAuth one ``{"error": "invalid_client", "error_description": "…"}``.
    """
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        return message.strip() if isinstance(message, str) else ""
    description = body.get("error_description")
    if isinstance(description, str) and description.strip():
        return description.strip()
    if isinstance(error, str):
        return error.strip()
    message = body.get("message")
    return message.strip() if isinstance(message, str) else ""
