"""A faithful local stand-in for api.spotify.com and accounts.spotify.com (see docs/EMULATOR.md);
:mod:`tunestream_emulator.github` is one for the parts of api.github.com that specs read.

A distribution of its own (``emulator/``) that imports nothing of tunestream, and tunestream
imports nothing of it: tests and benchmarks import it, ``tunestream up`` runs its command
(``python -m tunestream_emulator``, the ``tunestream-emulator`` console script) as a process.
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
