"""The ReccoBeats stand-in: ``GET /v1/audio-features?ids=`` (real host ``api.reccobeats.com``).

ReccoBeats answers audio features of tracks named by Spotify id, without a key
(https://reccobeats.com/docs/apis/get-audio-features,
https://reccobeats.com/docs/documentation/introduction): ``{"content": [...]}``, one object per
track it has analysed, each with its own UUID ``id`` and the Spotify link as ``href``; tracks it
does not know are left out, not null, and the order is not the request's. Up to 40 ids, comma
separated or repeated (https://reccobeats.com/docs/documentation/request-and-response); more is
400. Its rate limit is unpublished: over it, 429 with ``Retry-After``
(https://reccobeats.com/docs/documentation/rate-limiting).

The stand-in knows a share of the catalog's released tracks (``reccobeats_share``, drawn per
track) and measures them itself: each value is the Spotify stand-in's for the track moved by a
small deterministic offset, never zero, clamped to the value's range; ``key`` and ``mode`` are
the same. No ``time_signature``, no ``duration_ms``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from tunestream_emulator.catalog import Track
from tunestream_emulator.enrich.common import (
    Answer,
    Tracks,
    Windows,
    draw,
    generator,
    stable_uuid,
)
from tunestream_emulator.render import Json
from tunestream_emulator.settings import EmulatorSettings

__all__ = ["MAX_IDS", "ReccoBeats"]

MAX_IDS = 40
_KNOWN, _ANALYSIS, _ID = 0x4EC0, 0x4EC1, 0x4EC2

#: (feature, largest offset, low, high, decimals): ReccoBeats writes four decimals
_MEASURED = (
    ("acousticness", 0.04, 0.0, 1.0, 4),
    ("danceability", 0.04, 0.0, 1.0, 4),
    ("energy", 0.04, 0.0, 1.0, 4),
    ("instrumentalness", 0.02, 0.0, 1.0, 4),
    ("liveness", 0.04, 0.0, 1.0, 4),
    ("loudness", 0.8, -60.0, 0.0, 4),
    ("speechiness", 0.015, 0.0, 1.0, 4),
    ("tempo", 2.0, 0.0, 250.0, 4),
    ("valence", 0.04, 0.0, 1.0, 4),
)


def _error(status: int, error: str, message: str) -> Json:
    return {"status": status, "error": error, "message": message}


class ReccoBeats:
    """ReccoBeats' knowledge of the catalog and its answers."""

    def __init__(self, tracks: Tracks, settings: EmulatorSettings) -> None:
        self.tracks = tracks
        self.seed = settings.seed
        self.share = settings.reccobeats_share
        self.windows = Windows(settings.reccobeats_rate, 1.0)
        self.statuses: Counter[str] = Counter()
        self.rate_limited = 0

    def reset(self) -> None:
        self.windows.reset()
        self.statuses.clear()
        self.rate_limited = 0

    def features(self, track_id: str) -> Json | None:
        """The audio features ReccoBeats answers for a Spotify track id now, or None (unknown id,
        a track not released yet or not analysed by ReccoBeats)."""
        track = self.tracks.by_id(track_id)
        if track is None or draw(self.seed, _KNOWN, track.album_index, track.number) >= self.share:
            return None
        return self._measure(track)

    def _measure(self, track: Track) -> Json:
        spotify = self.tracks.catalog.features(track.album_index, track.number)
        rng = generator(self.seed, _ANALYSIS, track.album_index, track.number)
        body: Json = {
            "id": stable_uuid(self.seed, _ID, track.album_index, track.number),
            "href": f"https://open.spotify.com/track/{track.id}",
            "key": spotify.key,
            "mode": spotify.mode,
        }
        for name, most, low, high, decimals in _MEASURED:
            offset = rng.uniform(most / 4, most) * rng.choice((-1, 1))
            value = min(high, max(low, getattr(spotify, name) + offset))
            body[name] = round(value, decimals)
        return body

    def answer(self, address: str, ids_values: Iterable[str]) -> Answer:
        """``GET /v1/audio-features``: ``ids_values`` are the ``ids`` parameters given."""
        wait = self.windows.admit(address, self.tracks.clock.service_time())
        if wait is not None:
            self.rate_limited += 1
            answer = Answer(
                429,
                _error(429, "Too Many Requests", "Rate limit exceeded, retry later"),
                {"retry-after": str(max(1, math.ceil(wait)))},
            )
        else:
            ids = list(dict.fromkeys(i.strip() for v in ids_values for i in v.split(",")))
            ids = [i for i in ids if i]
            if not 1 <= len(ids) <= MAX_IDS:
                message = f"ids: size must be between 1 and {MAX_IDS}"
                answer = Answer(400, _error(400, "Bad Request", message))
            else:
                found = (self.features(i) for i in ids)
                answer = Answer(200, {"content": [f for f in found if f is not None]})
        self.statuses[str(answer.status)] += 1
        return answer
