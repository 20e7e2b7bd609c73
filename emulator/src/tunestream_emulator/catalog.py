"""The synthetic catalog: albums, tracks and artists generated lazily and deterministically.

Album ``i`` (an integer; negative for the backlog released before the clock's start) is made
from a random generator seeded with ``(seed, i)``; its release time is
``start + (i + u_i) * interval`` with ``u_i`` in [0, 1), so releases are evenly spread at the
configured rate and ordered by index. Nothing is stored but a few caches: a two-week window at
100,000 tracks a day (about 240,000 albums) costs almost no memory until someone asks for it.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Literal

from tunestream_emulator.ids import EntityRef, IdCodec, IsrcCodec, Kind
from tunestream_emulator.settings import EmulatorSettings
from tunestream_emulator.vocab import ALBUM_WORDS, ARTIST_WORDS, GENRES, LABELS, TRACK_WORDS

__all__ = [
    "MEAN_TRACKS_PER_ALBUM",
    "Album",
    "Artist",
    "AudioFeatures",
    "Catalog",
    "Track",
    "mix",
]

_MASK = (1 << 64) - 1
AlbumType = Literal["album", "single", "compilation"]
Precision = Literal["year", "month", "day"]

# album types in thousandths, and their track counts: most new releases are singles
_SINGLE_UNTIL, _ALBUM_UNTIL = 700, 920
_SINGLE_TRACKS = (1,) * 55 + (2,) * 30 + (3,) * 15
_ALBUM_TRACKS = (8, 20)
_COMPILATION_TRACKS = (10, 30)
MEAN_TRACKS_PER_ALBUM = (
    0.70 * (sum(_SINGLE_TRACKS) / len(_SINGLE_TRACKS))
    + 0.22 * sum(_ALBUM_TRACKS) / 2
    + 0.08 * sum(_COMPILATION_TRACKS) / 2
)
_EDITORIAL_ONE_IN = 40


def mix(*values: int) -> int:
    """splitmix64 over a few integers: a cheap, well-spread hash."""
    x = 0x9E3779B97F4A7C15
    for v in values:
        x = (x ^ (v & _MASK)) * 0xBF58476D1CE4E5B9 & _MASK
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK
        x ^= x >> 31
    return x


@dataclass(frozen=True, slots=True)
class AudioFeatures:
    danceability: float
    energy: float
    key: int
    loudness: float
    mode: int
    speechiness: float
    acousticness: float
    instrumentalness: float
    liveness: float
    valence: float
    tempo: float
    time_signature: int


@dataclass(frozen=True, slots=True)
class Track:
    id: str
    album_index: int
    number: int  # 0-based
    name: str
    duration_ms: int
    explicit: bool
    isrc: str
    popularity: int
    artist_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Album:
    id: str
    index: int
    album_type: AlbumType
    name: str
    released_at: float
    release_date: str
    release_date_precision: Precision
    artist_ids: tuple[str, ...]
    markets: tuple[str, ...]
    label: str
    popularity: int
    upc: str
    image_key: str
    track_ids: tuple[str, ...]

    @property
    def total_tracks(self) -> int:
        return len(self.track_ids)


@dataclass(frozen=True, slots=True)
class Artist:
    id: str
    index: int
    name: str
    genres: tuple[str, ...]
    followers: int
    popularity: int
    image_key: str


def _clamp(x: float, low: float = 0.0, high: float = 1.0) -> float:
    return min(high, max(low, x))


def _upc(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(11)]
    check = (10 - (sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits)) % 10)) % 10
    return "".join(map(str, digits)) + str(check)


def _features(rng: random.Random) -> AudioFeatures:
    """Audio features with the marginals and correlations of docs/SPOTIFY.md §6."""
    z_energy, z_dance = rng.gauss(0, 1), rng.gauss(0, 1)
    energy = _clamp(0.54 + 0.25 * z_energy)
    danceability = _clamp(0.56 + 0.17 * z_dance)
    valence = _clamp(0.55 + 0.26 * (0.5 * z_dance + 0.866 * rng.gauss(0, 1)))
    loudness = min(0.0, -10 + 5 * (0.75 * z_energy + 0.66 * rng.gauss(0, 1)))
    acoustic_cluster = rng.random() < _clamp(0.45 - 0.45 * z_energy, 0.03, 0.97)
    acousticness = (
        _clamp(1 - rng.expovariate(6)) if acoustic_cluster else _clamp(rng.expovariate(12))
    )
    spoken = rng.random() < 0.03
    speechiness = _clamp(rng.uniform(0.66, 0.96) if spoken else rng.lognormvariate(-3.0, 0.6))
    instrumental = rng.random() < 0.1
    instrumentalness = _clamp(rng.uniform(0.5, 0.98) if instrumental else rng.expovariate(80))
    liveness = _clamp(rng.lognormvariate(-2.0, 0.55))
    tempo = min(220.0, max(50.0, rng.gauss(118, 30)))
    signature = rng.random()
    return AudioFeatures(
        danceability=round(danceability, 3),
        energy=round(energy, 3),
        key=-1 if rng.random() < 0.01 else rng.randrange(12),
        loudness=round(loudness, 3),
        mode=1 if rng.random() < 0.66 else 0,
        speechiness=round(speechiness, 4),
        acousticness=round(acousticness, 5),
        instrumentalness=round(instrumentalness, 6),
        liveness=round(liveness, 4),
        valence=round(valence, 3),
        tempo=round(tempo, 3),
        time_signature=4 if signature < 0.9 else (3 if signature < 0.96 else rng.choice((5, 7))),
    )


def _title(words: list[str]) -> str:
    return " ".join(w.capitalize() for w in words)


class Catalog:
    """Deterministic albums, tracks and artists for one seed and release rate."""

    def __init__(self, settings: EmulatorSettings) -> None:
        self.seed = settings.seed
        self.markets = tuple(settings.markets)
        self.artist_count = settings.artists
        self.start = settings.clock_start.timestamp()
        self.interval = 86_400 * MEAN_TRACKS_PER_ALBUM / settings.tracks_per_day
        self.first_index = -math.ceil(settings.history_days * 86_400 / self.interval)
        self.ids = IdCodec(settings.seed)
        self.isrcs = IsrcCodec(settings.seed)
        self._market_salt = {m: mix(self.seed, ord(m[0]), ord(m[1])) for m in self.markets}
        # cumulative track counts of albums first_index.. (grown on demand)
        self._cum_tracks = array("q", [0])
        self.album = lru_cache(maxsize=settings.entity_cache)(self._album)
        self.artist = lru_cache(maxsize=settings.entity_cache)(self._artist)
        self.artist_name = lru_cache(maxsize=1 << 16)(self._artist_name)
        self.features = lru_cache(maxsize=8192)(self._features)
        self.long_tail_share = settings.long_tail_share
        shortest, longest = settings.long_tail_minutes
        self.long_tail_s = (60 * shortest, 60 * longest)

    # -- the cheap skeleton of an album: from one hash, without building it ---------------------

    def _hash(self, index: int) -> int:
        return mix(self.seed, index)

    def _type_and_tracks(self, h: int) -> tuple[AlbumType, int]:
        draw, sub = h % 1000, (h >> 10) & 0xFFFF
        if draw < _SINGLE_UNTIL:
            return "single", _SINGLE_TRACKS[sub % len(_SINGLE_TRACKS)]
        low, high = _ALBUM_TRACKS if draw < _ALBUM_UNTIL else _COMPILATION_TRACKS
        return ("album" if draw < _ALBUM_UNTIL else "compilation"), low + sub % (high - low + 1)

    def total_tracks(self, index: int) -> int:
        return self._type_and_tracks(self._hash(index))[1]

    def released_at(self, index: int) -> float:
        jitter = ((self._hash(index) >> 40) & 0xFFFF) / 65_536
        return self.start + (index + jitter) * self.interval

    def last_released(self, now: float) -> int:
        """The highest album index released at or before ``now``."""
        n = math.floor((now - self.start) / self.interval)
        return n if self.released_at(n) <= now else n - 1

    def first_since(self, since: float) -> int:
        """The lowest album index released at or after ``since`` (not below ``first_index``)."""
        n = math.floor((since - self.start) / self.interval)
        return max(self.first_index, n if self.released_at(n) >= since else n + 1)

    def _markets_of(self, h: int) -> tuple[str, ...]:
        if (h >> 20) % 5:
            return self.markets
        bits = mix(h, 7)
        chosen = tuple(m for i, m in enumerate(self.markets) if (bits >> (i % 64)) & 1)
        return chosen or self.markets[:1]

    def is_editorial(self, index: int, market: str) -> bool:
        """Whether the album is in ``market``'s editorial new-releases selection."""
        h = self._hash(index)
        return mix(
            h, self._market_salt[market]
        ) % _EDITORIAL_ONE_IN == 0 and market in self._markets_of(h)

    def exists(self, index: int, now: float) -> bool:
        return self.first_index <= index <= self.last_released(now)

    # -- counts -------------------------------------------------------------------------------

    def tracks_before(self, index: int) -> int:
        """Tracks on albums ``first_index .. index - 1``: prefix sums grown as needed."""
        need = index - self.first_index
        cum = self._cum_tracks
        while len(cum) <= need:
            cum.append(cum[-1] + self.total_tracks(self.first_index + len(cum) - 1))
        return cum[need]

    # -- full entities ------------------------------------------------------------------------

    def album_id(self, index: int) -> str:
        return self.ids.encode(EntityRef(Kind.ALBUM, index))

    def track_id(self, album_index: int, number: int) -> str:
        return self.ids.encode(EntityRef(Kind.TRACK, album_index, number))

    def artist_id(self, index: int) -> str:
        return self.ids.encode(EntityRef(Kind.ARTIST, index))

    def _pick_artist(self, rng: random.Random) -> int:
        # a heavy head: a few artists release often, most rarely
        return min(self.artist_count - 1, int(self.artist_count * rng.random() ** 1.5))

    def _head(self, index: int) -> tuple[random.Random, tuple[int, ...], str]:
        """An album's generator, artist indexes and name: all the search index needs."""
        h = self._hash(index)
        rng = random.Random(h)
        artists = [self._pick_artist(rng)]
        if rng.random() < 0.15 or h % 1000 >= _ALBUM_UNTIL:
            artists.append(self._pick_artist(rng))
        name = _title(ALBUM_WORDS.draw(rng, rng.choice((1, 1, 2, 2, 2, 3, 4))))
        return rng, tuple(dict.fromkeys(artists)), name

    def search_terms(self, index: int) -> tuple[str, tuple[int, ...]]:
        """The album's name and artist indexes, without building the album."""
        _, artists, name = self._head(index)
        return name, artists

    def _album(self, index: int) -> Album:
        h = self._hash(index)
        album_type, total = self._type_and_tracks(h)
        rng, artists, name = self._head(index)
        released = self.released_at(index)
        day = datetime.fromtimestamp(released, UTC).date()
        precision_draw = rng.random()
        precision: Precision = (
            "day" if precision_draw < 0.96 else ("month" if precision_draw < 0.99 else "year")
        )
        release_date = {"day": day.isoformat(), "month": day.isoformat()[:7], "year": str(day.year)}
        return Album(
            id=self.album_id(index),
            index=index,
            album_type=album_type,
            name=name,
            released_at=released,
            release_date=release_date[precision],
            release_date_precision=precision,
            artist_ids=tuple(self.artist_id(a) for a in artists),
            markets=self._markets_of(h),
            label=rng.choice(LABELS),
            popularity=min(100, int(rng.expovariate(1 / 12))),
            upc=_upc(rng),
            image_key=f"{rng.getrandbits(96):024x}",
            track_ids=tuple(self.track_id(index, n) for n in range(total)),
        )

    def track(self, album_index: int, number: int) -> Track:
        album = self.album(album_index)
        rng = random.Random(mix(self._hash(album_index), number + 1))
        name = (
            album.name
            if album.album_type == "single" and number == 0
            else _title(TRACK_WORDS.draw(rng, rng.choice((1, 2, 2, 3, 3, 4))))
        )
        long_track = rng.random() < 0.03
        seconds = rng.uniform(420, 900) if long_track else rng.lognormvariate(math.log(195), 0.22)
        seconds = self._long_tail(album_index, number) or seconds
        featured = (self.artist_id(self._pick_artist(rng)),) if rng.random() < 0.12 else ()
        year = datetime.fromtimestamp(album.released_at, UTC).year
        return Track(
            id=album.track_ids[number],
            album_index=album_index,
            number=number,
            name=name,
            duration_ms=int(seconds * 1000),
            explicit=rng.random() < 0.25,
            isrc=self.isrcs.encode(EntityRef(Kind.TRACK, album_index, number), year),
            popularity=min(100, int(rng.expovariate(1 / 10))),
            artist_ids=album.artist_ids + featured,
        )

    def _long_tail(self, album_index: int, number: int) -> float | None:
        """The duration (s) of a track in the long tail, log-uniform over its range; None for
        the others. Drawn from a hash of its own, so the share moves no other value."""
        draw = mix(self._hash(album_index), number + 1, 0x7A11)
        if draw / 2**64 >= self.long_tail_share:
            return None
        low, high = self.long_tail_s
        return low * math.exp(math.log(high / low) * (mix(draw) >> 11) / 2**53)

    def _features(self, album_index: int, number: int) -> AudioFeatures:
        return _features(random.Random(mix(self._hash(album_index), number + 1, 0xFEA7)))

    def _artist_head(self, index: int) -> tuple[random.Random, str]:
        """An artist's generator and name: all the search index needs."""
        rng = random.Random(mix(self.seed, index, 0xA57))
        style = rng.random()
        words = ARTIST_WORDS.draw(rng, 1 if style < 0.35 else (2 if style < 0.85 else 3))
        return rng, ("The " if rng.random() < 0.06 else "") + _title(words)

    def _artist_name(self, index: int) -> str:
        return self._artist_head(index)[1]

    def _artist(self, index: int) -> Artist:
        rng, name = self._artist_head(index)
        followers = int(rng.lognormvariate(6, 2.5))
        return Artist(
            id=self.artist_id(index),
            index=index,
            name=name,
            genres=tuple(sorted(set(rng.sample(GENRES, rng.choice((0, 1, 1, 2, 2, 3)))))),
            followers=followers,
            popularity=min(100, int(math.log1p(followers) * 6)),
            image_key=f"{rng.getrandbits(96):024x}",
        )

    def resolve(self, ref: EntityRef, now: float) -> bool:
        """Whether an entity named by a decoded id exists (is released) at ``now``."""
        if ref.kind is Kind.ARTIST:
            return 0 <= ref.index < self.artist_count
        if not self.exists(ref.index, now):
            return False
        return ref.kind is Kind.ALBUM or ref.track < self.total_tracks(ref.index)
