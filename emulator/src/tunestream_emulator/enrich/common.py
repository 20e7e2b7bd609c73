"""What the three enrichment stand-ins share: the catalog's tracks found by Spotify id or ISRC as
the release clock stands, deterministic draws per track, rolling windows per client address and
the shape of an answer.

Every fact a stand-in serves is a pure function of the seed, a track's album index and number,
and the settings: ``draw(seed, salt, index, number)`` decides whether a service knows a track
(below its share), ``generator(...)`` seeds the values it tells about it. Nothing is stored, so
a catalog of millions of tracks costs nothing until asked.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from tunestream_emulator.catalog import Catalog, Track, mix
from tunestream_emulator.clock import Clock
from tunestream_emulator.ids import ID_PATTERN, Kind

__all__ = ["Answer", "Tracks", "Windows", "draw", "generator", "stable_uuid"]

_UNIT = float(1 << 64)


def draw(seed: int, salt: int, index: int, number: int) -> float:
    """A uniform number in [0, 1) for one track (album ``index``, track ``number``) and purpose."""
    return mix(seed, salt, index, number) / _UNIT


def generator(seed: int, salt: int, index: int, number: int) -> random.Random:
    """A random generator for one track and purpose."""
    return random.Random(mix(seed, salt, index, number, 1))


def stable_uuid(seed: int, salt: int, *values: int) -> str:
    """A version-4-looking UUID, the same for the same arguments (MBIDs, ReccoBeats ids)."""
    high, low = mix(seed, salt, *values), mix(seed, salt, *values, 2)
    return str(uuid.UUID(int=(high << 64) | low, version=4))


@dataclass(frozen=True)
class Answer:
    """One HTTP answer of a stand-in: status, a JSON body, extra headers."""

    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        return orjson.dumps(self.body)


class Tracks:
    """The Spotify catalog's tracks as the release clock stands: a track not released yet is
    unknown to every stand-in, as it is to the Spotify one."""

    def __init__(self, catalog: Catalog, clock: Clock) -> None:
        self.catalog = catalog
        self.clock = clock

    def by_id(self, spotify_id: str) -> Track | None:
        """The released track a Spotify id names, or None."""
        if not ID_PATTERN.fullmatch(spotify_id):
            return None
        ref = self.catalog.ids.decode(spotify_id)
        if ref is None or ref.kind is not Kind.TRACK:
            return None
        if not self.catalog.resolve(ref, self.clock.release_time()):
            return None
        return self.catalog.track(ref.index, ref.track)

    def by_isrc(self, isrc: str) -> Track | None:
        """The released track with this ISRC (any case), or None."""
        isrc = isrc.upper()
        ref = self.catalog.isrcs.decode(isrc)
        if ref is None or not self.catalog.resolve(ref, self.clock.release_time()):
            return None
        track = self.catalog.track(ref.index, ref.track)
        return track if track.isrc == isrc else None  # the year must be the release's too

    def artist_index(self, spotify_id: str) -> int:
        """The pool index of an artist, by the id a track or album of the catalog lists."""
        ref = self.catalog.ids.decode(spotify_id)
        assert ref is not None, spotify_id  # the catalog lists only ids it issued
        return ref.index


class Windows:
    """Rolling windows per client address: at most ``budget`` admitted requests in any
    ``seconds`` (``budget`` 0: no limit). Refused requests do not count."""

    def __init__(self, budget: int, seconds: float) -> None:
        self.budget = budget
        self.seconds = seconds
        self._windows: dict[str, deque[float]] = {}

    def admit(self, address: str, now: float) -> float | None:
        """None if the request is admitted (and counted), else the seconds until it would be."""
        if not self.budget:
            return None
        window = self._windows.setdefault(address, deque())
        while window and window[0] <= now - self.seconds:
            window.popleft()
        if len(window) >= self.budget:
            return window[0] + self.seconds - now
        window.append(now)
        return None

    def reset(self) -> None:
        self._windows.clear()
