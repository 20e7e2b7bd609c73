"""Emulator fixtures for the producer tests: a small, fixed catalog served in a thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tunestream_emulator import EmulatorHandle, EmulatorSettings, start_in_thread

CLOCK_START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MARKETS = ["US", "GB", "SE"]


def catalog_settings(**overrides: Any) -> EmulatorSettings:
    values: dict[str, Any] = {
        "seed": 11,
        "tracks_per_day": 2_000,
        "history_days": 14,
        "clock_start": CLOCK_START,
        "markets": MARKETS,
        "artists": 2_000,
        "new_releases_size": 20,
        "rate_limit_per_30s": None,
    }
    values.update(overrides)
    return EmulatorSettings(**values)


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., EmulatorHandle]]:
    handles: list[EmulatorHandle] = []

    def start(**overrides: Any) -> EmulatorHandle:
        handle = start_in_thread(catalog_settings(**overrides))
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()
