"""The emulator's test catalogs, in one place, and an authenticated client of a running one.

- ``emulator_settings(catalog, **overrides)``: settings of a small, fixed catalog (runs in
  seconds); ``"emulator"`` (the default) for the emulator's own tests, ``"producer"`` for the
  producer's (three markets, 20 albums a new-releases page: a cycle takes seconds)
- :class:`Api`: an httpx client with a token of one configured client
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from tunestream_emulator import EmulatorHandle, EmulatorSettings

__all__ = ["CATALOGS", "CLOCK_START", "MARKETS", "Api", "Catalog", "emulator_settings"]

CLOCK_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MARKETS = ["US", "GB", "SE"]
"""The producer catalog's markets: what the producer tests ask a cycle for."""

Catalog = Literal["emulator", "producer"]
CATALOGS: dict[Catalog, dict[str, Any]] = {
    "emulator": {
        "seed": 7,
        "tracks_per_day": 3_000,
        "markets": ["US", "GB", "DE", "SE"],
        "artists": 3_000,
    },
    "producer": {
        "seed": 11,
        "tracks_per_day": 2_000,
        "markets": MARKETS,
        "artists": 2_000,
        "new_releases_size": 20,
    },
}
_EVERY_CATALOG: dict[str, Any] = {
    "history_days": 14,
    "clock_start": CLOCK_START,
    "rate_limit_per_30s": None,
    # no long tail unless a test asks: an hour of audio is ~10 MB of analysis, seconds to serve
    "long_tail_share": 0.0,
}


def emulator_settings(catalog: Catalog = "emulator", **overrides: Any) -> EmulatorSettings:
    """Settings of a named test catalog, with ``overrides``."""
    return EmulatorSettings(**{**_EVERY_CATALOG, **CATALOGS[catalog], **overrides})


class Api:
    """An httpx client with a bearer token of one configured client."""

    def __init__(self, handle: EmulatorHandle, profile: str = "extended") -> None:
        self.handle = handle
        self.client_settings = handle.client(profile)  # type: ignore[arg-type]
        self.http = httpx.Client(base_url=handle.api_url, timeout=30)
        self.token = self.new_token()

    def new_token(self) -> str:
        response = httpx.post(
            self.handle.token_url,
            data={"grant_type": "client_credentials"},
            auth=(self.client_settings.client_id, self.client_settings.client_secret),
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def get(self, path: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.http.get(path, params=params, headers=headers)

    def json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, (path, params, response.text)
        return response.json()

    def close(self) -> None:
        self.http.close()
