"""The emulator's ground truth of what a producer cycle must find, and the one check of what it
wrote: each entity's topic against the ids the truth expects there."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import datetime
from math import ceil

import orjson

from tests.support.kafka import Message, read_topic
from tunestream.config import KafkaSettings
from tunestream.kafka.client import client_config
from tunestream.state.store import KafkaStateStore
from tunestream_emulator import EmulatorHandle

__all__ = [
    "ENTITY_IDS",
    "NewReleases",
    "Truth",
    "assert_each_once",
    "assert_finished_cleanly",
    "assert_values_match",
    "full_truth",
    "new_releases_truth",
]

ENTITY_IDS = {
    "albums": "albums",
    "tracks": "tracks",
    "audio_features": "tracks",
    "audio_analysis": "tracks",
    "artists": "artists",
}
"""Which of the truth's id sets keys each entity's topic (features and analysis: the track's)."""


@dataclass(frozen=True)
class Truth:
    """What a cycle must find, from the emulator's own catalog."""

    albums: set[str]
    tracks: set[str]
    artists: set[str]

    def expected(self, *entities: str) -> dict[str, set[str]]:
        """The ids each named entity's topic must hold; every entity when none is named."""
        return {entity: getattr(self, ENTITY_IDS[entity]) for entity in entities or ENTITY_IDS}


@dataclass(frozen=True)
class NewReleases(Truth):
    """What one new-releases cycle must find."""

    markets: dict[str, int]  # market → size of its new-releases selection
    long_albums: dict[str, int]  # album id → tracks, for albums with more than 50

    def minimum_requests(self) -> Counter[str]:
        """The fewest requests the batch limits allow, per emulator endpoint."""
        return Counter(
            {
                "POST /api/token": 1,
                "GET /v1/browse/new-releases": sum(
                    max(1, ceil(n / 50)) for n in self.markets.values()
                ),
                "GET /v1/albums": ceil(len(self.albums) / 20),
                "GET /v1/albums/{id}/tracks": sum(
                    ceil((n - 50) / 50) for n in self.long_albums.values()
                ),
                "GET /v1/tracks": ceil(len(self.tracks) / 50),
                "GET /v1/audio-features": ceil(len(self.tracks) / 100),
                "GET /v1/audio-analysis/{id}": len(self.tracks),
                "GET /v1/artists": ceil(len(self.artists) / 50),
            }
        )


def new_releases_truth(handle: EmulatorHandle, markets: list[str]) -> NewReleases:
    selections = {
        m: handle.admin("GET", "truth/new-releases", country=m)["album_ids"] for m in markets
    }
    by_id = {a["id"]: a for a in handle.truth_albums()}
    indexes = {a: by_id[a]["index"] for ids in selections.values() for a in ids}
    found = _entities(handle, indexes)
    catalog = handle.emulator.catalog
    long_albums = {
        album_id: n
        for album_id, index in indexes.items()
        if (n := catalog.album(index).total_tracks) > 50
    }
    sizes = {m: len(s) for m, s in selections.items()}
    return NewReleases(found.albums, found.tracks, found.artists, sizes, long_albums)


def full_truth(handle: EmulatorHandle) -> Truth:
    """What a full-discovery cycle must find: every album of the past two weeks."""
    since = handle.truth()["new"]["since"]
    albums = handle.truth_albums(since=_epoch(since))
    return _entities(handle, {item["id"]: item["index"] for item in albums})


def _entities(handle: EmulatorHandle, albums: dict[str, int]) -> Truth:
    """These albums (id → catalog index), their tracks and every artist of either."""
    catalog = handle.emulator.catalog
    tracks: set[str] = set()
    artists: set[str] = set()
    for index in albums.values():
        album = catalog.album(index)
        tracks |= set(album.track_ids)
        artists |= set(album.artist_ids)
        for number in range(album.total_tracks):
            artists |= set(catalog.track(album.index, number).artist_ids)
    return Truth(set(albums), tracks, artists)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def assert_each_once(
    kafka: KafkaSettings, expected: Mapping[str, Set[str]]
) -> dict[str, list[Message]]:
    """Reads each entity's topic (``kafka.topics[entity]``) and asserts it holds exactly the
    expected keys, each once (an empty set: an empty topic); one failure names, per entity, the
    keys missing, extra and written more than once. The messages read, by entity."""
    written = {
        entity: read_topic(kafka.bootstrap, kafka.topics[entity].name) for entity in expected
    }
    problems = [_problems(entity, written[entity], ids) for entity, ids in expected.items()]
    assert not any(problems), "\n".join(p for p in problems if p)
    return written


def _problems(entity: str, messages: list[Message], expected: Set[str]) -> str:
    counts = Counter(m.key for m in messages)
    found = set(counts)
    kinds = {
        "missing": expected - found,
        "extra": found - expected,
        "written more than once": {k for k, n in counts.items() if n > 1},
    }
    said = [f"{len(keys)} {kind}, e.g. {sorted(keys)[:3]}" for kind, keys in kinds.items() if keys]
    return f"{entity}: {'; '.join(said)}" if said else ""


def assert_values_match(handle: EmulatorHandle, written: Mapping[str, list[Message]]) -> None:
    """The values written (by entity, as :func:`assert_each_once` returns them) against the
    catalog: each album's name, type, release date and track count; each track's album and
    features' track. Entities not in ``written`` are not checked."""
    albums = {a["id"]: a for a in handle.truth_albums()}
    album_of = {track: a["id"] for a in albums.values() for track in a["track_ids"]}
    fields = ("name", "album_type", "release_date", "total_tracks")
    expected_of = {
        "albums": lambda key: {f: albums[key][f] for f in fields},
        "tracks": lambda key: album_of[key],
        "audio_features": lambda key: key,
    }
    found_of = {
        "albums": lambda value: {f: value.get(f) for f in fields},
        "tracks": lambda value: value.get("album", {}).get("id"),
        "audio_features": lambda value: value.get("id"),
    }
    wrong = {
        entity: [m.key for m in messages if found_of[entity](m.value) != expected_of[entity](m.key)]
        for entity, messages in written.items()
        if entity in expected_of
    }
    assert not any(wrong.values()), {e: keys[:3] for e, keys in wrong.items() if keys}


def assert_finished_cleanly(
    kafka: KafkaSettings, source: str, dead_letters: Set[str] = frozenset()
) -> None:
    """After the last run of ``source``: the dead-letter topic holds the letters of exactly
    ``dead_letters`` (keys ``<source>/<resource>/<item>``), each once, and the source's state
    (the state topic's last value per key) is that of a finished cycle: the cycle has its end
    time and no item is left to do."""
    assert_each_once(kafka, {"dead_letter": dead_letters})
    state = KafkaStateStore(
        client_config(kafka), kafka.topics["source_state"].name, f"{source}/"
    ).load()
    assert "cycle" in state, f"no cycle in the state of {source}: {sorted(state)[:5]}"
    cycle = orjson.loads(state["cycle"])
    assert cycle["finished_at"] is not None, f"the last cycle of {source} is unfinished: {cycle}"
    left = sorted(key for key in state if key.startswith("todo/"))
    assert not left, f"{source} has items left to do after a finished cycle: {left[:3]}"
