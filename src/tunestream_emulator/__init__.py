"""A faithful local stand-in for api.spotify.com and accounts.spotify.com (see docs/EMULATOR.md).

Production code never imports this package; tests, benchmarks and ``tunestream emulator`` do.
"""

from __future__ import annotations

from tunestream_emulator.errors import ApiError, EmulatorError
from tunestream_emulator.server import EmulatorHandle, serve, start_in_thread
from tunestream_emulator.settings import ClientSettings, EmulatorSettings, FaultSettings

__all__ = [
    "ApiError",
    "ClientSettings",
    "EmulatorError",
    "EmulatorHandle",
    "EmulatorSettings",
    "FaultSettings",
    "serve",
    "start_in_thread",
]
