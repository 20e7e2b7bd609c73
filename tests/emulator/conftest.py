"""Fixtures for the emulator: small catalogs, servers in a thread, authenticated clients.

- ``small_settings(**overrides)``: settings of a small, fixed catalog (runs in seconds)
- ``emulator``: one shared server per test module, its release clock paused, for tests that
  change nothing
- ``start_emulator(**overrides)``: a fresh server for this test (faults, clocks, limits)
- ``api(handle, profile)``: an :class:`Api` with a token of that profile's client
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tunestream_emulator import EmulatorHandle, EmulatorSettings, start_in_thread

CLOCK_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

SettingsFactory = Callable[..., EmulatorSettings]
StartEmulator = Callable[..., EmulatorHandle]


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


@pytest.fixture(scope="session")
def small_settings() -> SettingsFactory:
    def make(**overrides: Any) -> EmulatorSettings:
        values: dict[str, Any] = {
            "seed": 7,
            "tracks_per_day": 3_000,
            "history_days": 14,
            "clock_start": CLOCK_START,
            "markets": ["US", "GB", "DE", "SE"],
            "artists": 3_000,
            "rate_limit_per_30s": None,
        }
        values.update(overrides)
        return EmulatorSettings(**values)

    return make


@pytest.fixture(scope="module")
def emulator(small_settings: SettingsFactory) -> Iterator[EmulatorHandle]:
    with start_in_thread(small_settings()) as handle:
        handle.clock(paused=True)  # nothing is released while the module's tests run
        yield handle


@pytest.fixture
def start_emulator(small_settings: SettingsFactory) -> Iterator[StartEmulator]:
    handles: list[EmulatorHandle] = []

    def start(**overrides: Any) -> EmulatorHandle:
        handle = start_in_thread(small_settings(**overrides))
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


@pytest.fixture
def api() -> Iterator[Callable[..., Api]]:
    clients: list[Api] = []

    def make(handle: EmulatorHandle, profile: str = "extended") -> Api:
        client = Api(handle, profile)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
