"""The MusicBrainz stand-in: recording search by ISRC and the ISRC lookup (real base
``https://musicbrainz.org/ws/2``), in JSON.

- ``GET /recording?query=isrc:A OR isrc:B …&limit=&offset=`` answers as the search does
  (https://musicbrainz.org/doc/MusicBrainz_API/Search): ``{"created", "count", "offset",
  "recordings": [...]}``, each recording with ``id`` (its MBID), ``score``, ``title``, ``length``
  (ms), ``video``, ``artist-credit``, ``first-release-date``, ``isrcs`` and, when it has any,
  ``tags`` (``[{"count", "name"}]``); only recordings that match. ``limit`` is 1 to 100 (25 by
  default; a value outside falls back to 25), ``offset`` pages. The query language is Lucene:
  the stand-in understands ``isrc:`` terms joined by ``OR`` (:mod:`.lucene`) and answers 400 to
  anything else.
- ``GET /isrc/<ISRC>?inc=tags+genres`` is the lookup (https://musicbrainz.org/doc/MusicBrainz_API,
  "Non-MBID Lookups"): ``{"isrc", "recordings": [...]}`` with ``tags``/``genres`` when asked for
  (``genres``: ``[{"id", "name", "count", "disambiguation"}]``); an ISRC it does not know is 404.
- Errors are ``{"error": …, "help": "For usage, please see: …/development/mmd"}``.
- Rules (https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting): a request without a
  meaningful ``User-Agent`` (missing, empty, or a generic library's default such as
  ``python-httpx/…``) is refused with 403; more than ``musicbrainz_rate`` requests per second
  (1 by default: the documented average) from one address are refused with 503. Refused requests
  do not count toward the rate.

The stand-in knows a share of the catalog's released ISRCs (``musicbrainz_share``, drawn per
track), one recording each (score 100); 85 % of its recordings have tags: the genres of the
track's artists in the Spotify stand-in (or genres drawn from the same vocabulary) and
sometimes a free tag; ``genres`` are the tags that are genres. Every request is recorded
(:meth:`MusicBrainz.requests`, the newest 100,000) so that a test can measure the rate a client
kept.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tunestream_emulator.catalog import Track
from tunestream_emulator.enrich.common import (
    Answer,
    Tracks,
    Windows,
    draw,
    generator,
    stable_uuid,
)
from tunestream_emulator.enrich.lucene import parse
from tunestream_emulator.ids import ISRC_PATTERN
from tunestream_emulator.render import Json
from tunestream_emulator.settings import EmulatorSettings
from tunestream_emulator.vocab import GENRES

__all__ = ["GENERIC_AGENTS", "HELP", "Logged", "MusicBrainz"]

HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
RATE_LIMITED = (
    "Your requests are exceeding the allowable rate limit. "
    "Please see http://wiki.musicbrainz.org/XMLWebService for more information."
)
#: User-Agent prefixes of generic HTTP libraries and tools (compared in lower case)
GENERIC_AGENTS = (
    "python-httpx/",
    "python-requests/",
    "python-urllib/",
    "aiohttp/",
    "java/",
    "apache-httpclient/",
    "jakarta commons-httpclient/",
    "go-http-client/",
    "okhttp/",
    "node-fetch/",
    "axios/",
    "curl/",
    "wget/",
    "libwww-perl/",
)
LOG_SIZE = 100_000
TAGGED = 0.85
_DEFAULT_LIMIT, _MOST = 25, 100
_INCLUDES = frozenset({"artists", "artist-credits", "isrcs", "tags", "genres"})
_FREE_TAGS = ("seen live", "favorites", "energetic", "melancholic", "summer", "night drive")
_KNOWN, _TAGS, _RECORDING, _ARTIST, _GENRE = 0x3B0, 0x3B1, 0x3B2, 0x3B3, 0x3B4


@dataclass(frozen=True)
class Logged:
    """One request as MusicBrainz saw it."""

    at: float
    """Arrival, on the service clock (monotonic seconds, plus what ``advance`` added)."""
    address: str
    user_agent: str | None
    path: str
    query: str | None
    """The ``query`` parameter of a search (None for a lookup)."""
    status: int


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"error": message, "help": HELP})


def _meaningful(user_agent: str | None) -> bool:
    agent = (user_agent or "").strip().lower()
    return bool(agent) and not agent.startswith(GENERIC_AGENTS)


def _sort_name(name: str) -> str:
    return f"{name[4:]}, The" if name.startswith("The ") else name


def _number(raw: str | None, default: int, low: int, high: int) -> int:
    value = int(raw) if raw is not None and raw.lstrip("-").isdigit() else default
    return value if low <= value <= high else default


class MusicBrainz:
    """MusicBrainz's knowledge of the catalog, its answers and its request log."""

    def __init__(self, tracks: Tracks, settings: EmulatorSettings) -> None:
        self.tracks = tracks
        self.seed = settings.seed
        self.share = settings.musicbrainz_share
        self.windows = Windows(settings.musicbrainz_rate, 1.0)
        self.statuses: Counter[str] = Counter()
        self.rate_limited = 0
        self.user_agent_refused = 0
        self._log: deque[Logged] = deque(maxlen=LOG_SIZE)

    def reset(self) -> None:
        self.windows.reset()
        self.statuses.clear()
        self.rate_limited = self.user_agent_refused = 0
        self._log.clear()

    def requests(self) -> list[Logged]:
        """Every request recorded, oldest first."""
        return list(self._log)

    # -- ground truth -------------------------------------------------------------------------

    def _known(self, isrc: str) -> Track | None:
        track = self.tracks.by_isrc(isrc)
        if track is None or draw(self.seed, _KNOWN, track.album_index, track.number) >= self.share:
            return None
        return track

    def recording(self, isrc: str) -> Json | None:
        """The recording a search for ``isrc:<ISRC>`` finds now (score 100), or None."""
        track = self._known(isrc)
        if track is None:
            return None
        body: Json = {
            "id": self._mbid(track),
            "score": 100,
            "title": track.name,
            "length": track.duration_ms,
            "video": None,
            "artist-credit": self._credit(track),
            "first-release-date": self._released(track),
            "isrcs": [track.isrc],
        }
        tags = self._tags(track)
        if tags:
            body["tags"] = tags
        return body

    def lookup(self, isrc: str, includes: frozenset[str]) -> Json | None:
        """``/isrc/<ISRC>?inc=…``: the lookup's document now, or None (404)."""
        track = self._known(isrc)
        if track is None:
            return None
        recording: Json = {
            "id": self._mbid(track),
            "title": track.name,
            "length": track.duration_ms,
            "disambiguation": "",
            "video": False,
            "first-release-date": self._released(track),
        }
        if includes & {"artists", "artist-credits"}:
            recording["artist-credit"] = self._credit(track)
        if "isrcs" in includes:
            recording["isrcs"] = [track.isrc]
        tags = self._tags(track)
        if "tags" in includes:
            recording["tags"] = tags
        if "genres" in includes:
            recording["genres"] = [
                {
                    "id": stable_uuid(0, _GENRE, GENRES.index(t["name"])),
                    "name": t["name"],
                    "count": t["count"],
                    "disambiguation": "",
                }
                for t in tags
                if t["name"] in GENRES
            ]
        return {"isrc": track.isrc, "recordings": [recording]}

    def _mbid(self, track: Track) -> str:
        return stable_uuid(self.seed, _RECORDING, track.album_index, track.number)

    def _released(self, track: Track) -> str:
        return self.tracks.catalog.album(track.album_index).release_date

    def _credit(self, track: Track) -> list[Json]:
        credits = []
        for position, artist_id in enumerate(track.artist_ids):
            index = self.tracks.artist_index(artist_id)
            name = self.tracks.catalog.artist_name(index)
            last = position == len(track.artist_ids) - 1
            credits.append(
                {
                    "name": name,
                    "joinphrase": "" if last else " & ",
                    "artist": {
                        "id": stable_uuid(self.seed, _ARTIST, index),
                        "name": name,
                        "sort-name": _sort_name(name),
                    },
                }
            )
        return credits

    def _tags(self, track: Track) -> list[Json]:
        if draw(self.seed, _TAGS, track.album_index, track.number) >= TAGGED:
            return []
        rng = generator(self.seed, _TAGS, track.album_index, track.number)
        catalog = self.tracks.catalog
        names = {
            genre
            for artist_id in track.artist_ids
            for genre in catalog.artist(self.tracks.artist_index(artist_id)).genres
        }
        if not names:
            names = set(rng.sample(GENRES, rng.choice((1, 2))))
        if rng.random() < 0.3:
            names.add(rng.choice(_FREE_TAGS))
        return [{"count": rng.randint(1, 9), "name": name} for name in sorted(names)]

    # -- answers ------------------------------------------------------------------------------

    def _refusal(self, address: str, user_agent: str | None) -> Answer | None:
        if not _meaningful(user_agent):
            self.user_agent_refused += 1
            return _error(
                403,
                "Requests without a meaningful User-Agent are blocked: see "
                "https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting",
            )
        if self.windows.admit(address, self.tracks.clock.service_time()) is not None:
            self.rate_limited += 1
            return _error(503, RATE_LIMITED)
        return None

    def _record(
        self,
        at: float,
        address: str,
        user_agent: str | None,
        path: str,
        query: str | None,
        answer: Answer,
    ) -> Answer:
        self._log.append(Logged(at, address, user_agent, path, query, answer.status))
        self.statuses[str(answer.status)] += 1
        return answer

    def answer_search(
        self, address: str, user_agent: str | None, params: Mapping[str, str]
    ) -> Answer:
        """``GET /recording?query=…&limit=&offset=``."""
        at, query = self.tracks.clock.service_time(), params.get("query")
        answer = self._refusal(address, user_agent) or self._search(query, params)
        return self._record(at, address, user_agent, "/recording", query, answer)

    def _search(self, query: str | None, params: Mapping[str, str]) -> Answer:
        if not query or not query.strip():
            return _error(
                400,
                "The given parameters do not match any available query type for the recording "
                "resource.",
            )
        isrcs = parse(query)
        if isrcs is None:
            return _error(400, "The stand-in searches isrc: terms joined by OR only.")
        found = [r for r in map(self.recording, isrcs) if r is not None]
        limit = _number(params.get("limit"), _DEFAULT_LIMIT, 1, _MOST)
        offset = _number(params.get("offset"), 0, 0, 1 << 31)
        now = datetime.fromtimestamp(self.tracks.clock.release_time(), UTC)
        created = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return Answer(
            200,
            {
                "created": created,
                "count": len(found),
                "offset": offset,
                "recordings": found[offset : offset + limit],
            },
        )

    def answer_lookup(
        self, address: str, user_agent: str | None, isrc: str, params: Mapping[str, str]
    ) -> Answer:
        """``GET /isrc/<ISRC>?inc=…``."""
        at = self.tracks.clock.service_time()
        answer = self._refusal(address, user_agent) or self._lookup(isrc, params)
        return self._record(at, address, user_agent, f"/isrc/{isrc}", None, answer)

    def _lookup(self, isrc: str, params: Mapping[str, str]) -> Answer:
        includes = frozenset(params.get("inc", "").replace("+", " ").split())
        unknown = sorted(includes - _INCLUDES)
        if unknown:
            return _error(400, f"{unknown[0]} is not a valid inc parameter for the isrc resource.")
        if not ISRC_PATTERN.fullmatch(isrc.upper()):
            return _error(400, "Invalid isrc.")
        found = self.lookup(isrc, includes)
        return Answer(200, found) if found is not None else _error(404, "Not Found")
