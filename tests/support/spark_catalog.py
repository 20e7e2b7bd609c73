"""A small synthetic Spotify catalog in the producer's record contract, and its ground truth.

Values are the recorded fixtures (tests/fixtures/spotify) with ids, names and numbers varied (each
track its own ISRC, :func:`isrc_of`); records go to Kafka in transactions with the producer's
headers. Enrichment records (:func:`enrichment_record`) name their topic: a test's own; records
the producer's own code made (a dead letter) go as they are.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Producer

from tunestream.config import KafkaSettings
from tunestream.records import Record
from tunestream.sources import plan
from tunestream.sources.enrichment import enrichment
from tunestream.sources.spotify import ENTITIES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spotify"
TOPICS = {**{e.name: e.topic for e in ENTITIES}, plan.PLAN: plan.PLAN}


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


ALBUM = _fixture("new_releases.json")["albums"]["items"][0]
TRACK = _fixture("track.json")
FEATURES = _fixture("track_audio_features.json")
ANALYSIS = _fixture("track_audio_analysis.json")
ARTIST = _fixture("artists.json")


@dataclass(frozen=True)
class Rec:
    entity: str
    key: str | None
    value: bytes | None
    market: str | None = "SE"
    fetched_at: datetime | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    topic: str | None = None
    """Its Kafka topic, where not its entity's configured one."""


def isrc_of(track_id: str) -> str:
    """The ISRC of a catalog track."""
    return f"QZ{track_id.upper()}"


def plan_record(
    delivers: Iterable[str], closed: dict[str, str], at: datetime, source: str = "spotify"
) -> Rec:
    """A producer's plan record: ``source`` writes to the ``delivers`` topics (names)."""
    stamp = at.isoformat()
    value = plan.document(source, delivers, closed, stamp)
    return Rec(plan.PLAN, source, _dump(value), market=None, fetched_at=at)


def enrichment_record(name: str, topic: str, key: str, value: Any, at: datetime) -> Rec:
    """A record of the enrichment ``name`` to ``topic``, fetched ``at``."""
    value = value if isinstance(value, bytes) else _dump(value)
    return Rec(name, key, value, market=None, fetched_at=at, topic=topic)


def _origin(entity: str) -> tuple[str, str]:
    """The record's source and schema id headers."""
    if entity in TOPICS:
        return "spotify", f"spotify.{entity}.v1"
    found = enrichment(entity)
    return found.spec, found.schema_id


def headers_of(rec: Rec) -> list[tuple[str, str | bytes | None]]:
    source, schema = _origin(rec.entity)
    out: list[tuple[str, str | bytes | None]] = [
        ("tunestream.source", source.encode()),
        ("tunestream.cycle", b"c1"),
        ("tunestream.schema", schema.encode()),
    ]
    if rec.market is not None:
        out.append(("tunestream.market", rec.market.encode()))
    if rec.fetched_at is not None:
        out.append(("tunestream.fetched_at", rec.fetched_at.isoformat().encode()))
    return out + list(rec.headers)


def _topic(kafka: KafkaSettings, rec: Rec) -> str:
    return rec.topic or kafka.topics[TOPICS[rec.entity]].name


def produce(kafka: KafkaSettings, records: Iterable[Rec | Record], txn_size: int = 50) -> int:
    """Write the records in transactions (read_committed readers see whole transactions)."""
    producer = Producer(
        {
            "bootstrap.servers": kafka.bootstrap,
            "transactional.id": f"spark-test-{id(records)}",
            "enable.idempotence": True,
            "message.max.bytes": 16 * 1024 * 1024,
            "compression.type": "zstd",
        }
    )
    producer.init_transactions(30)
    count = 0
    open_txn = False
    for rec in records:
        if not open_txn:
            producer.begin_transaction()
            open_txn = True
        if isinstance(rec, Record):
            producer.produce(rec.topic, key=rec.key, value=rec.value, headers=list(rec.headers))
        else:
            producer.produce(
                _topic(kafka, rec),
                key=None if rec.key is None else rec.key.encode(),
                value=rec.value,
                headers=headers_of(rec),
            )
        count += 1
        if count % txn_size == 0:
            producer.commit_transaction(30)
            open_txn = False
    if open_txn:
        producer.commit_transaction(30)
    return count


def produce_aborted(kafka: KafkaSettings, records: Iterable[Rec]) -> None:
    """Write records in a transaction that is then aborted: read_committed must not see them."""
    producer = Producer({"bootstrap.servers": kafka.bootstrap, "transactional.id": "spark-abort"})
    producer.init_transactions(30)
    producer.begin_transaction()
    for rec in records:
        producer.produce(
            _topic(kafka, rec),
            key=None if rec.key is None else rec.key.encode(),
            value=rec.value,
            headers=headers_of(rec),
        )
    producer.flush(30)
    producer.abort_transaction(30)


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


@dataclass
class Catalog:
    """Albums with tracks, features, analyses and artists; what the tables must then hold."""

    start: datetime = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    records: list[Rec] = field(default_factory=list)
    albums: dict[str, dict[str, Any]] = field(default_factory=dict)
    album_market: dict[str, str | None] = field(default_factory=dict)
    album_seen: dict[str, datetime] = field(default_factory=dict)
    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)
    features: dict[str, dict[str, Any]] = field(default_factory=dict)
    analysed: set[str] = field(default_factory=set)
    artists: dict[str, dict[str, Any]] = field(default_factory=dict)

    def artist(self, artist_id: str, genres: Sequence[str]) -> None:
        doc = copy.deepcopy(ARTIST)
        doc.update(id=artist_id, name=f"Artist {artist_id}", genres=list(genres))
        self.artists[artist_id] = doc
        self.records.append(Rec("artist", artist_id, _dump(doc), fetched_at=self.start))

    def album(
        self,
        album_id: str,
        *,
        market: str | None,
        hour: int,
        artist_ids: Sequence[str],
        album_type: str = "album",
        n_tracks: int = 2,
        features: bool = True,
        analysis: bool = True,
        label: str | None = "Label X",
        available_markets: Sequence[str] | None = None,
        full_analysis: bool = False,
    ) -> None:
        seen = self.start + timedelta(hours=hour, minutes=5)
        doc = copy.deepcopy(ALBUM)
        doc.update(
            id=album_id,
            name=f"Album {album_id}",
            album_type=album_type,
            total_tracks=n_tracks,
            release_date="2026-11-20",
            release_date_precision="day",
            artists=[{"id": a, "name": f"Artist {a}", "type": "artist"} for a in artist_ids],
        )
        doc.pop("available_markets", None)
        if available_markets is not None:
            doc["available_markets"] = list(available_markets)
        if label is not None:
            doc["label"] = label
        self.albums[album_id] = doc
        self.album_market[album_id] = market
        self.album_seen[album_id] = seen
        self.records.append(Rec("album", album_id, _dump(doc), market=market, fetched_at=seen))
        for n in range(n_tracks):
            track_id = f"{album_id}t{n}"
            track = copy.deepcopy(TRACK)
            track.update(
                id=track_id,
                name=f"Track {track_id}",
                explicit=n % 2 == 0,
                duration_ms=200_000 + n,
                track_number=n + 1,
                artists=[{"id": a, "name": f"Artist {a}", "type": "artist"} for a in artist_ids],
                external_ids={"isrc": isrc_of(track_id)},
            )
            track["album"] = {**track["album"], "id": album_id, "name": doc["name"]}
            track["album"]["album_type"] = album_type
            track["album"]["release_date"] = "2026-11-20"
            self.tracks[track_id] = track
            self.records.append(
                Rec("track", track_id, _dump(track), market=market, fetched_at=seen)
            )
            if features:
                feat = copy.deepcopy(FEATURES)
                feat.update(
                    id=track_id,
                    danceability=round(0.1 + 0.1 * n, 3),
                    energy=0.5,
                    valence=0.25 * (n % 4),
                    tempo=100.0 + n,
                )
                self.features[track_id] = feat
                self.records.append(
                    Rec("audio_features", track_id, _dump(feat), market=market, fetched_at=seen)
                )
            if analysis:
                self.analysed.add(track_id)
                value = FULL_ANALYSIS_BYTES if full_analysis and n == 0 else _ANALYSIS_BYTES
                self.records.append(
                    Rec("audio_analysis", track_id, value, market=market, fetched_at=seen)
                )

    def markets_of(self, album_id: str) -> list[str]:
        market = self.album_market[album_id]
        if market is not None:
            return [market]
        return list(self.albums[album_id].get("available_markets") or ["unknown"])

    def album_tracks(self, album_id: str) -> list[str]:
        return [t for t, doc in self.tracks.items() if doc["album"]["id"] == album_id]


# A full analysis is 716 KB; most tracks get a trimmed one (every field, fewer intervals).
_SMALL = {**ANALYSIS, **{k: ANALYSIS[k][:40] for k in ("bars", "beats", "segments", "tatums")}}
_ANALYSIS_BYTES = json.dumps(_SMALL).encode()
FULL_ANALYSIS_BYTES = json.dumps(ANALYSIS).encode()


# -- ground truth --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Spark's ``percentile``: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_release_stats(cat: Catalog) -> dict[tuple[str, datetime], dict[str, Any]]:
    """(market, window_start) → the release_stats values the job must compute."""
    out: dict[tuple[str, datetime], dict[str, Any]] = {}
    for album_id, doc in cat.albums.items():
        window = cat.album_seen[album_id].replace(minute=0, second=0, microsecond=0)
        for market in cat.markets_of(album_id):
            slot = out.setdefault(
                (market, window), {"albums": [], "tracks": [], "explicit": [], "dance": []}
            )
            slot["albums"].append(doc["album_type"])
            for track_id in cat.album_tracks(album_id):
                slot["tracks"].append(track_id)
                slot["explicit"].append(1.0 if cat.tracks[track_id]["explicit"] else 0.0)
                if track_id in cat.features:
                    slot["dance"].append(cat.features[track_id]["danceability"])
    result = {}
    for key, slot in out.items():
        dance = slot["dance"]
        result[key] = {
            "new_albums": len(slot["albums"]),
            "albums": slot["albums"].count("album"),
            "singles": slot["albums"].count("single"),
            "compilations": slot["albums"].count("compilation"),
            "new_tracks": len(slot["tracks"]),
            "explicit_share": sum(slot["explicit"]) / len(slot["explicit"])
            if slot["explicit"]
            else None,
            "tracks_with_features": len(dance),
            "danceability_mean": sum(dance) / len(dance) if dance else None,
            "danceability_p50": percentile(dance, 0.5) if dance else None,
            "danceability_p90": percentile(dance, 0.9) if dance else None,
        }
    return result


def expected_artist_activity(cat: Catalog) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(day, artist_id, genre) → (new_releases, new_tracks)."""
    out: dict[tuple[str, str, str], list[int]] = {}
    for album_id, doc in cat.albums.items():
        day = cat.album_seen[album_id].date().isoformat()
        for artist in doc["artists"]:
            known = cat.artists.get(artist["id"])
            genres = (known or {}).get("genres") or ["unknown"]
            for genre in genres:
                slot = out.setdefault((day, artist["id"], genre), [0, 0])
                slot[0] += 1
                slot[1] += doc["total_tracks"]
    return {k: (v[0], v[1]) for k, v in out.items()}
