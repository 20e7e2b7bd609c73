"""The Deezer stand-in: ``GET /track/isrc:<ISRC>`` and ``GET /editorial/0/releases`` (real host
``api.deezer.com``), without a token.

- A track by ISRC answers Deezer's track object (https://developers.deezer.com/api/track): ``id``
  (an integer), ``title``, ``isrc``, ``duration`` in seconds, ``rank``, ``release_date``,
  ``bpm`` (a float; 0 where Deezer has none: that is how the API answers, not null) and ``gain``
  (dB, negative), ``artist`` and ``album`` (simplified). Deezer answers
  errors with HTTP 200 and an error object (https://developers.deezer.com/api/errors): an ISRC it
  does not know is ``{"error": {"type": "DataException", "message": "no data", "code": 800}}``.
- ``editorial/0/releases`` lists recent albums as Deezer album objects in Deezer's list shape
  ``{"data", "total", "prev"?, "next"?}``, paged by ``index`` and ``limit`` (25 by default).
- The quota is 50 requests per 5 s per client address (https://developers.deezer.com/api,
  "Quota"); over it every request answers HTTP 200 with
  ``{"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}``.

The stand-in knows a share of the catalog's released ISRCs (``deezer_share``, drawn per track),
with a bpm for ``deezer_bpm_share`` of them: the Spotify stand-in's tempo moved by up to 1.5;
``gain`` follows the track's loudness. Its editorial selection is the 100 newest released
albums whose first track it knows, newest first. Ids are stable per catalog: an album's is
``600,000,000 + index``, a track's ``3,000,000,000 + index * 32 + number``, an artist's
``10,000 + its pool index``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

from tunestream_emulator.catalog import Album, Track
from tunestream_emulator.enrich.common import Answer, Tracks, Windows, draw, generator
from tunestream_emulator.render import Json
from tunestream_emulator.settings import EmulatorSettings

__all__ = ["NO_DATA", "QUOTA_EXCEEDED", "RELEASES", "Deezer"]

NO_DATA: Json = {"error": {"type": "DataException", "message": "no data", "code": 800}}
QUOTA_EXCEEDED: Json = {
    "error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}
}
RELEASES = 100
QUOTA_SECONDS = 5.0
_DEFAULT_LIMIT = 25
_ALBUM_BASE, _TRACK_BASE, _ARTIST_BASE = 600_000_000, 3_000_000_000, 10_000
_KNOWN, _BPM, _VALUES = 0xDEE0, 0xDEE1, 0xDEE2
_RECORD_TYPES = {"album": "album", "single": "single", "compilation": "compile"}


def _day(album: Album) -> str:
    """Deezer dates every release to the day, whatever precision Spotify gives."""
    return datetime.fromtimestamp(album.released_at, UTC).date().isoformat()


def _count(raw: str | None, default: int) -> int:
    """A paging parameter: a non-negative integer, else (anything else) the default."""
    return int(raw) if raw is not None and raw.isdigit() else default


class Deezer:
    """Deezer's knowledge of the catalog and its answers."""

    def __init__(self, tracks: Tracks, settings: EmulatorSettings, base_url: str) -> None:
        self.tracks = tracks
        self.seed = settings.seed
        self.share = settings.deezer_share
        self.bpm_share = settings.deezer_bpm_share
        self.base_url = f"{base_url}/deezer"
        self.windows = Windows(settings.deezer_quota, QUOTA_SECONDS)
        self.statuses: Counter[str] = Counter()
        self.quota_exceeded = 0

    def reset(self) -> None:
        self.windows.reset()
        self.statuses.clear()
        self.quota_exceeded = 0

    def _knows(self, index: int, number: int) -> bool:
        return draw(self.seed, _KNOWN, index, number) < self.share

    # -- ground truth -------------------------------------------------------------------------

    def track(self, isrc: str) -> Json | None:
        """The track object Deezer answers for an ISRC now, or None (``no data``)."""
        track = self.tracks.by_isrc(isrc)
        if track is None or not self._knows(track.album_index, track.number):
            return None
        return self._track(track)

    def releases(self) -> list[Json]:
        """The editorial selection now: album objects, newest first."""
        catalog = self.tracks.catalog
        selection: list[Json] = []
        index = catalog.last_released(self.tracks.clock.release_time())
        while len(selection) < RELEASES and index >= catalog.first_index:
            if self._knows(index, 0):
                selection.append(self._album(catalog.album(index)))
            index -= 1
        return selection

    def _artist(self, spotify_id: str) -> Json:
        index = self.tracks.artist_index(spotify_id)
        deezer_id = _ARTIST_BASE + index
        return {
            "id": deezer_id,
            "name": self.tracks.catalog.artist_name(index),
            "link": f"https://www.deezer.com/artist/{deezer_id}",
            "type": "artist",
        }

    @staticmethod
    def _simplified_album(album: Album) -> Json:
        deezer_id = _ALBUM_BASE + album.index
        return {
            "id": deezer_id,
            "title": album.name,
            "link": f"https://www.deezer.com/album/{deezer_id}",
            "release_date": _day(album),
            "type": "album",
        }

    def _album(self, album: Album) -> Json:
        return {
            **self._simplified_album(album),
            "record_type": _RECORD_TYPES[album.album_type],
            "artist": self._artist(album.artist_ids[0]),
        }

    def _track(self, track: Track) -> Json:
        catalog = self.tracks.catalog
        album = catalog.album(track.album_index)
        features = catalog.features(track.album_index, track.number)
        rng = generator(self.seed, _VALUES, track.album_index, track.number)
        has_bpm = draw(self.seed, _BPM, track.album_index, track.number) < self.bpm_share
        deezer_id = _TRACK_BASE + track.album_index * 32 + track.number
        return {
            "id": deezer_id,
            "readable": True,
            "title": track.name,
            "title_short": track.name,
            "isrc": track.isrc,
            "link": f"https://www.deezer.com/track/{deezer_id}",
            "duration": round(track.duration_ms / 1000),
            "track_position": track.number + 1,
            "disk_number": 1,
            "rank": 100_000 + track.popularity * 9_000 + rng.randrange(9_000),
            "release_date": _day(album),
            "explicit_lyrics": track.explicit,
            "preview": f"https://cdnt-preview.dzcdn.net/stream/c-{rng.getrandbits(128):032x}-1.mp3",
            "bpm": round(features.tempo + rng.uniform(-1.5, 1.5), 1) if has_bpm else 0.0,
            "gain": round(min(-0.1, features.loudness * 0.8 - 3 + rng.uniform(-1, 1)), 1),
            "artist": self._artist(track.artist_ids[0]),
            "album": self._simplified_album(album),
            "type": "track",
        }

    # -- answers ------------------------------------------------------------------------------

    def _admit(self, address: str) -> Answer | None:
        """The quota's answer if the address is over it, else None (and the request counts)."""
        if self.windows.admit(address, self.tracks.clock.service_time()) is None:
            return None
        self.quota_exceeded += 1
        return Answer(200, QUOTA_EXCEEDED)

    def _counted(self, answer: Answer) -> Answer:
        error = answer.body.get("error")
        self.statuses[f"error {error['code']}" if error else str(answer.status)] += 1
        return answer

    def answer_track(self, address: str, reference: str) -> Answer:
        """``GET /track/<reference>``: ``isrc:<ISRC>`` (a numeric Deezer id is ``no data``)."""
        refused = self._admit(address)
        if refused is not None:
            return self._counted(refused)
        scheme, _, isrc = reference.partition(":")
        found = self.track(isrc) if scheme.lower() == "isrc" else None
        return self._counted(Answer(200, found if found is not None else NO_DATA))

    def answer_releases(self, address: str, query: Mapping[str, str]) -> Answer:
        """``GET /editorial/0/releases?index=&limit=``."""
        refused = self._admit(address)
        if refused is not None:
            return self._counted(refused)
        selection = self.releases()
        index = _count(query.get("index"), 0)
        limit = _count(query.get("limit"), _DEFAULT_LIMIT) or _DEFAULT_LIMIT
        body: Json = {"data": selection[index : index + limit], "total": len(selection)}
        url = f"{self.base_url}/editorial/0/releases"
        if index > 0:
            body["prev"] = f"{url}?{urlencode({'index': max(0, index - limit), 'limit': limit})}"
        if index + limit < len(selection):
            body["next"] = f"{url}?{urlencode({'index': index + limit, 'limit': limit})}"
        return self._counted(Answer(200, body))
