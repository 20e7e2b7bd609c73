"""What the producer tests share: settings for a run against the emulator, reading topics back,
and the emulator's ground truth of what a cycle must find."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from pathlib import Path
from typing import Any

import yaml

from tests.support import Message
from tunestream.config import DEFAULT_TOPICS, KafkaSettings, Settings, SourceSettings
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream.spec.loader import load_spec
from tunestream.spec.models import SourceSpec
from tunestream_emulator import EmulatorHandle


def producer_settings(bootstrap: str, *, create_topics: bool = True, **source: Any) -> Settings:
    """Settings with a fresh set of topics (created here unless ``create_topics`` is false) and
    a fresh transactional id."""
    suffix = uuid.uuid4().hex[:8]
    topics = {
        key: {**value, "name": f"{value['name']}.{suffix}"} for key, value in DEFAULT_TOPICS.items()
    }
    kafka = KafkaSettings.model_validate({"bootstrap_servers": bootstrap, "topics": topics})
    if create_topics:
        TopicAdmin(admin_client(kafka)).create(list(kafka.topics.values()))
    values: dict[str, Any] = {"metrics_port": None, "transactional_id": f"test-{suffix}"}
    values.update(source)
    return Settings(kafka=kafka, source=SourceSettings.model_validate(values))


def emulator_environ(handle: EmulatorHandle, profile: str = "extended") -> dict[str, str]:
    """The environment the Spotify spec reads: the emulator's URLs and a client of a profile."""
    client = handle.client(profile)  # type: ignore[arg-type]
    return {
        "SPOTIFY_API_URL": handle.api_url,
        "SPOTIFY_ACCOUNTS_URL": handle.base_url,
        "SPOTIFY_CLIENT_ID": client.client_id,
        "SPOTIFY_CLIENT_SECRET": client.client_secret,
    }


def emulator_spec(
    handle: EmulatorHandle, profile: str = "extended", name: str = "spotify", **variables: Any
) -> SourceSpec:
    return load_spec(name, variables=variables, environ=emulator_environ(handle, profile))


def write_config(path: Path, settings: Settings, **source: Any) -> Path:
    """A config file for ``tunestream produce`` run as a user runs it: the settings' cluster,
    topics and transactional id, plus ``source`` keys."""
    data = {
        "data_dir": str(path.parent / "data"),
        "kafka": settings.kafka.model_dump(mode="json", include={"bootstrap_servers", "topics"}),
        "source": {"transactional_id": settings.source.transactional_id, **source},
    }
    path.write_text(yaml.safe_dump(data))
    return path


def keys_once(messages: list[Message]) -> set[str]:
    """The keys, asserting that none occurs twice."""
    counts = Counter(m.key for m in messages)
    repeated = {k: n for k, n in counts.items() if n > 1}
    assert not repeated, f"{len(repeated)} keys written more than once, e.g. {list(repeated)[:3]}"
    return set(counts)


@dataclass(frozen=True)
class Truth:
    """What one new-releases cycle must find, from the emulator's own catalog."""

    albums: set[str]
    tracks: set[str]
    artists: set[str]
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


def new_releases_truth(handle: EmulatorHandle, markets: list[str]) -> Truth:
    catalog = handle.emulator.catalog
    selections = {
        m: handle.admin("GET", "truth/new-releases", country=m)["album_ids"] for m in markets
    }
    album_ids = {a for ids in selections.values() for a in ids}
    by_id = {a["id"]: a for a in handle.truth_albums()}
    tracks: set[str] = set()
    artists: set[str] = set()
    long_albums: dict[str, int] = {}
    for album_id in album_ids:
        album = catalog.album(by_id[album_id]["index"])
        tracks |= set(album.track_ids)
        artists |= set(album.artist_ids)
        for number in range(album.total_tracks):
            artists |= set(catalog.track(album.index, number).artist_ids)
        if album.total_tracks > 50:
            long_albums[album_id] = album.total_tracks
    return Truth(
        album_ids, tracks, artists, {m: len(s) for m, s in selections.items()}, long_albums
    )


def unthrottled(spec: SourceSpec, concurrency: int = 8) -> SourceSpec:
    """The spec with a budget the emulator never refuses: tests measure work, not waiting."""
    rate = spec.client.rate_limit.model_copy(
        update={"requests_per_second": 10_000.0, "max_concurrency": concurrency}
    )
    client = spec.client.model_copy(update={"rate_limit": rate})
    return spec.model_copy(update={"client": client})


@dataclass(frozen=True)
class FullTruth:
    """What a full-discovery cycle must find: every album of the past two weeks."""

    albums: set[str]
    tracks: set[str]
    artists: set[str]


def full_truth(handle: EmulatorHandle) -> FullTruth:
    catalog = handle.emulator.catalog
    since = handle.truth()["new"]["since"]
    albums = handle.truth_albums(since=_epoch(since))
    tracks: set[str] = set()
    artists: set[str] = set()
    for item in albums:
        album = catalog.album(item["index"])
        tracks |= set(album.track_ids)
        artists |= set(album.artist_ids)
        for number in range(album.total_tracks):
            artists |= set(catalog.track(album.index, number).artist_ids)
    return FullTruth({a["id"] for a in albums}, tracks, artists)


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
