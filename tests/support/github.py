"""The GitHub stand-in's test settings, in one place, and a client that walks its pages.

- ``github_settings(**overrides)``: two repositories, ten days of history at three actions an
  hour (some issues gather more than a page of comments; more than 300 events), the clock at
  2026-12-03T10:00Z, secondary limits off
- :class:`GithubClient`: an httpx client, with a token or without, that follows ``link`` headers
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx

from tunestream_emulator.github import GithubHandle, GithubSettings, LimitSettings

__all__ = ["CLOCK_START", "REPOSITORIES", "GithubClient", "github_settings", "links"]

CLOCK_START = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
REPOSITORIES = ["octo-org/alpha", "octo-org/beta"]
_LINK = re.compile(r'<([^>]+)>; rel="([a-z]+)"')


def github_settings(**overrides: Any) -> GithubSettings:
    """Settings of the test ground truth, with ``overrides``."""
    values: dict[str, Any] = {
        "seed": 5,
        "repositories": REPOSITORIES,
        "clock_start": CLOCK_START,
        "history_days": 10,
        "actions_per_hour": 3,
        "limits": LimitSettings(max_concurrent=None, max_per_minute=None),
    }
    return GithubSettings(**{**values, **overrides})


def links(response: httpx.Response) -> dict[str, str]:
    """The ``link`` header as ``{rel: url}``."""
    return {rel: url for url, rel in _LINK.findall(response.headers.get("link", ""))}


class GithubClient:
    """An httpx client of a running stand-in, with the first configured token (or none)."""

    def __init__(self, handle: GithubHandle, token: str | None = "configured") -> None:
        if token == "configured":
            token = handle.settings.tokens[0].token
        headers = {"Accept": "application/vnd.github+json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=handle.api_url, headers=headers, timeout=30)

    def get(
        self, path: str, headers: dict[str, str] | None = None, **params: Any
    ) -> httpx.Response:
        return self.http.get(path, params=params, headers=headers)

    def walk(self, path: str, **params: Any) -> tuple[list[Any], list[httpx.Response]]:
        """Every item of every page, following ``rel="next"``, and the responses."""
        response = self.get(path, **params)
        responses = [response]
        items: list[Any] = []
        while True:
            assert response.status_code == 200, response.text
            items.extend(response.json())
            following = links(response).get("next")
            if following is None:
                return items, responses
            response = self.http.get(following)
            responses.append(response)

    def close(self) -> None:
        self.http.close()
