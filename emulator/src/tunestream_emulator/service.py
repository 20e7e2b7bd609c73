"""The emulator's state and its Web API answers, independent of the HTTP framework.

:class:`Emulator` owns the clocks, the catalog, the discovery lists, access control, faults and
request counts; each ``/v1`` endpoint is one method taking a :class:`Call` and returning a JSON
object (or pre-encoded bytes), or raising :class:`ApiError`.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from tunestream_emulator.access import AccessControl
from tunestream_emulator.analysis import audio_analysis
from tunestream_emulator.catalog import Album, Catalog, Track
from tunestream_emulator.clock import Clock
from tunestream_emulator.discovery import NewReleases, SearchIndex, parse_query
from tunestream_emulator.enrich import Deezer, MusicBrainz, ReccoBeats, Tracks
from tunestream_emulator.errors import ApiError
from tunestream_emulator.faults import FaultInjector
from tunestream_emulator.ids import ID_PATTERN, EntityRef, Kind
from tunestream_emulator.render import Json, Renderer
from tunestream_emulator.settings import EmulatorSettings, Profile

__all__ = ["Call", "Emulator", "Handler", "encode"]

SEARCH_MAX_OFFSET = 1000


def encode(body: Any) -> bytes:
    """JSON as api.spotify.com writes it: indented by two spaces."""
    return orjson.dumps(body, option=orjson.OPT_INDENT_2)


@dataclass(frozen=True)
class Call:
    """One authenticated Web API request, as the handlers see it."""

    profile: Profile
    path: Mapping[str, str]
    query: Mapping[str, str]
    now: float  # release clock


Handler = Callable[["Emulator", Call], "Json | bytes"]


def _int_param(call: Call, name: str, default: int, low: int, high: int, message: str) -> int:
    raw = call.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, message) from None
    if not low <= value <= high:
        raise ApiError(400, message)
    return value


def _limit(call: Call, default: int = 20, high: int = 50) -> int:
    return _int_param(call, "limit", default, 1, high, "Invalid limit")


def _offset(call: Call, high: int = 1 << 31) -> int:
    return _int_param(call, "offset", 0, 0, high, "Invalid offset")


class Emulator:
    """Everything the server knows; one instance per running server."""

    def __init__(self, settings: EmulatorSettings, base_url: str) -> None:
        self.settings = settings
        self.base_url = base_url.rstrip("/")
        self.clock = Clock(settings.clock_start, settings.speed)
        self.catalog = Catalog(settings)
        self.render = Renderer(self.catalog, settings.public_base_url or self.base_url)
        self.search_index = SearchIndex(self.catalog, settings.search_order)
        self.new_releases_lists = NewReleases(self.catalog, settings.new_releases_size)
        self.access = AccessControl(settings)
        self.faults = FaultInjector(settings.faults)
        self.requests: Counter[tuple[str, str]] = Counter()
        self.requests_by_client: Counter[str] = Counter()
        tracks = Tracks(self.catalog, self.clock)
        self.reccobeats = ReccoBeats(tracks, settings)
        self.deezer = Deezer(tracks, settings, settings.public_base_url or self.base_url)
        self.musicbrainz = MusicBrainz(tracks, settings)
        self._analysis = lru_cache(maxsize=32)(self._analysis_bytes)
        self._warm_up: threading.Thread | None = None

    def warm_up(self) -> None:
        """Start indexing the released backlog for search in a daemon thread."""
        upto = self.catalog.last_released(self.clock.release_time())
        self._warm_up = threading.Thread(
            target=self.search_index.warm_up, args=(upto,), name="search-warm-up", daemon=True
        )
        self._warm_up.start()

    @property
    def warming_up(self) -> bool:
        """Whether the search index is still being built for the backlog."""
        return self._warm_up is not None and self._warm_up.is_alive()

    def reset(self) -> None:
        """Forget tokens, windows, quotas, counts and the stand-ins' windows, counts and request
        log; restart the clocks and the fault script."""
        self.access.reset()
        for stand_in in (self.reccobeats, self.deezer, self.musicbrainz):
            stand_in.reset()
        self.clock.reset(self.settings.speed)
        self.faults.configure(self.faults.settings)
        self.requests.clear()
        self.requests_by_client.clear()

    # -- id resolution ------------------------------------------------------------------------

    def _ref(self, spotify_id: str, kind: Kind, now: float) -> EntityRef | None:
        """The entity an id names if it exists now; 400 for a malformed id."""
        if not ID_PATTERN.fullmatch(spotify_id):
            raise ApiError(400, "invalid id")
        ref = self.catalog.ids.decode(spotify_id)
        if ref is None or ref.kind is not kind or not self.catalog.resolve(ref, now):
            return None
        return ref

    def _one(self, call: Call, kind: Kind) -> EntityRef:
        ref = self._ref(call.path["id"], kind, call.now)
        if ref is None:
            raise ApiError(404, "Resource not found")
        return ref

    def _many(self, call: Call, kind: Kind, most: int) -> list[EntityRef | None]:
        ids = [i for i in call.query.get("ids", "").split(",") if i]
        if not ids:
            raise ApiError(400, "invalid id")
        if len(ids) > most:
            raise ApiError(400, "Too many ids requested")
        return [self._ref(i, kind, call.now) for i in ids]

    def _album(self, ref: EntityRef) -> Album:
        return self.catalog.album(ref.index)

    def _track(self, ref: EntityRef) -> Track:
        return self.catalog.track(ref.index, ref.track)

    # -- endpoints ----------------------------------------------------------------------------

    def new_releases(self, call: Call) -> Json:
        country = call.query.get("country", self.settings.markets[0]).upper()
        if country not in self.catalog.markets:
            raise ApiError(400, "Invalid country code")
        limit, offset = _limit(call), _offset(call)
        selection = self.new_releases_lists.selection(country, call.now)
        items = [
            self.render.simplified_album(self.catalog.album(i), call.profile)
            for i in selection[offset : offset + limit]
        ]
        params = {"country": country} if "country" in call.query else {}
        return {
            "albums": self.render.paging(
                "browse/new-releases", params, items, offset, limit, len(selection)
            )
        }

    def album(self, call: Call) -> Json:
        return self.render.album(self._album(self._one(call, Kind.ALBUM)), call.profile)

    def albums(self, call: Call) -> Json:
        refs = self._many(call, Kind.ALBUM, 20)
        return {
            "albums": [self.render.album(self._album(r), call.profile) if r else None for r in refs]
        }

    def album_tracks(self, call: Call) -> Json:
        album = self._album(self._one(call, Kind.ALBUM))
        return self.render.album_tracks(album, call.profile, _offset(call), _limit(call))

    def track(self, call: Call) -> Json:
        return self.render.track(self._track(self._one(call, Kind.TRACK)), call.profile)

    def tracks(self, call: Call) -> Json:
        refs = self._many(call, Kind.TRACK, 50)
        return {
            "tracks": [self.render.track(self._track(r), call.profile) if r else None for r in refs]
        }

    def audio_features_one(self, call: Call) -> Json:
        return self.render.audio_features(self._track(self._one(call, Kind.TRACK)))

    def audio_features(self, call: Call) -> Json:
        refs = self._many(call, Kind.TRACK, 100)
        return {
            "audio_features": [
                self.render.audio_features(self._track(r)) if r else None for r in refs
            ]
        }

    def _analysis_bytes(self, album_index: int, number: int) -> bytes:
        track = self.catalog.track(album_index, number)
        features = self.catalog.features(album_index, number)
        released = int(self.catalog.album(album_index).released_at)
        return encode(audio_analysis(track, features, released))

    def audio_analysis(self, call: Call) -> bytes:
        ref = self._ref(call.path["id"], Kind.TRACK, call.now)
        if ref is None:
            raise ApiError(404, "analysis not found")
        return self._analysis(ref.index, ref.track)

    def artist(self, call: Call) -> Json:
        ref = self._one(call, Kind.ARTIST)
        return self.render.artist(self.catalog.artist(ref.index), call.profile)

    def artists(self, call: Call) -> Json:
        refs = self._many(call, Kind.ARTIST, 50)
        return {
            "artists": [
                self.render.artist(self.catalog.artist(r.index), call.profile) if r else None
                for r in refs
            ]
        }

    def search(self, call: Call) -> Json:
        q = call.query.get("q") or call.query.get("query", "")  # `next` links use "query"
        if not q.strip():
            raise ApiError(400, "No search query")
        types = call.query.get("type", "")
        if not types:
            raise ApiError(400, "Missing parameter type")
        if "album" not in types.split(","):
            raise ApiError(400, "Unsupported type: the emulator searches albums only")
        development = call.profile == "development"
        limit = _limit(call, default=5 if development else 20, high=10 if development else 50)
        offset = _offset(call, high=SEARCH_MAX_OFFSET)
        total, indexes = self.search_index.search(
            parse_query(q), call.now, offset, max(0, min(limit, SEARCH_MAX_OFFSET - offset))
        )
        items = [self.render.simplified_album(self.catalog.album(i), call.profile) for i in indexes]
        params = {"query": q, "type": "album"}
        return {
            "albums": self.render.paging(
                "search", params, items, offset, limit, total, reachable=SEARCH_MAX_OFFSET
            )
        }
