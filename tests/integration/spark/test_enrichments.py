"""The enrichments on a real broker and real Spark: each track's row in tracks_enriched holds what
ReccoBeats, Deezer and MusicBrainz say of it — repeated, changed, late and malformed records
included, and a topic that appears while the job runs. (A job none of whose enrichment topics
exist: ``test_cluster.py``'s known input.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from tests.support.spark import (
    create_topics,
    enrichment_topics,
    job_settings,
    table,
)
from tests.support.spark_catalog import (
    Catalog,
    Rec,
    enrichment_record,
    isrc_of,
    plan_record,
    produce,
)
from tunestream.config import KafkaSettings, Settings
from tunestream.spark.job import start_job

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

COLUMNS = (
    "isrc",
    "feature_source",
    "has_audio_features",
    "danceability",
    "tempo",
    "key",
    "time_signature",
    "bpm",
    "gain",
    "deezer_id",
    "mb_recording_id",
    "tags",
)
"""The columns compared row by row (the Spotify catalog's own are tested elsewhere)."""


def reccobeats(track_id: str, **values: float) -> dict[str, Any]:
    features = {
        "acousticness": 0.3,
        "danceability": 0.6,
        "energy": 0.8,
        "instrumentalness": 0.0,
        "key": 7,
        "liveness": 0.1,
        "loudness": -7.2,
        "mode": 1,
        "speechiness": 0.05,
        "tempo": 128.0,
        "valence": 0.4,
    }
    href = f"https://open.spotify.com/track/{track_id}"
    return {"id": f"rb-{track_id}", "href": href, **features, **values}


def deezer(track_id: str, deezer_id: int, bpm: float, gain: float) -> dict[str, Any]:
    return {
        "id": deezer_id,
        "readable": True,
        "title": f"Track {track_id}",
        "isrc": isrc_of(track_id),
        "duration": 200,
        "rank": 512000,
        "release_date": "2026-11-20",
        "bpm": bpm,
        "gain": gain,
        "artist": {"id": 27, "name": "Artist ar1"},
        "album": {"id": 302127, "title": "Album"},
        "type": "track",
    }


def recording(track_id: str, tags: list[dict[str, Any]] | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": f"mb-{track_id}",
        "score": 100,
        "title": f"Track {track_id}",
        "length": 200000,
        "isrcs": [isrc_of(track_id)],
        "first-release-date": "2026-11-20",
        "artist-credit": [{"name": "Artist ar1", "artist": {"id": "a1", "name": "Artist ar1"}}],
    }
    if tags is not None:
        doc["tags"] = tags
    return doc


def enriched(spark: SparkSession, settings: Settings) -> dict[str, tuple[Any, ...]]:
    rows = table(spark, settings, "tracks_enriched")
    found = {r["track_id"]: tuple(r[c] for c in COLUMNS) for r in rows}
    assert len(found) == len(rows), "a track twice"
    return found


def test_tracks_enriched_holds_the_latest_of_each_enrichment(
    spark: SparkSession, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    """One running query, two inputs. The first: Spotify's tracks (al1's with features, al2's
    without), ReccoBeats' features of al1t0 (Spotify's win) and al2t0, MusicBrainz's recordings
    (one twice), a malformed record; al2t1, which ReccoBeats does not know, waits for features.
    The second: Deezer's tracks on a topic made only now (late: their rows are written), al2t0's
    features changed, a recording without tags, a record without id, and an album two hours on,
    which ends al2t1's wait."""
    settings = job_settings(
        kafka_settings,
        tmp_path,
        features_timeout_s=3600,
        trigger_interval_s=0.5,
        tables_trigger_interval_s=0.5,
    )
    topics = enrichment_topics(settings)
    create_topics(settings.kafka, topics["reccobeats_features"], topics["musicbrainz_recording"])
    cat = Catalog()
    cat.artist("ar1", ["pop"])
    cat.album("al1", market="SE", hour=0, artist_ids=["ar1"], n_tracks=2, analysis=False)
    cat.album("al2", market="SE", hour=0, artist_ids=["ar1"], features=False, analysis=False)
    fetched = cat.start + timedelta(minutes=6)

    def rec(name: str, key: str, value: Any, at: datetime = fetched) -> Rec:
        return enrichment_record(name, topics[name], key, value, at)

    spotify = [settings.kafka.topics[t].name for t in ("albums", "tracks", "artists")]
    spotify.append(settings.kafka.topics["audio_features"].name)
    closed = {"audio_analysis": "skipped by the configuration"}
    tags = [
        {"count": 1, "name": "pop"},
        {"count": 3, "name": "electronic"},
        {"count": 3, "name": "dance"},
    ]
    first = [
        plan_record(spotify, closed, cat.start),
        plan_record([topics["reccobeats_features"]], {}, cat.start, source="reccobeats"),
        *cat.records,
        rec("reccobeats_features", "al1t0", reccobeats("al1t0", danceability=0.9)),
        rec("reccobeats_features", "al2t0", reccobeats("al2t0")),
        rec("musicbrainz_recording", isrc_of("al1t0"), recording("al1t0", tags)),
        rec("musicbrainz_recording", isrc_of("al1t0"), recording("al1t0", tags)),
        rec("musicbrainz_recording", isrc_of("al1t1"), recording("al1t1", [])),
        rec("reccobeats_features", "bad", b'{"id": "x", "danceability": "high"}'),
    ]
    produce(settings.kafka, first)
    streams = start_job(spark, settings)
    try:
        streams.process_all_available()
        assert set(enriched(spark, settings)) == {"al1t0", "al1t1", "al2t0"}

        create_topics(settings.kafka, topics["deezer_track"])
        known = len(cat.records)
        cat.album("al3", market="SE", hour=2, artist_ids=["ar1"], n_tracks=1, analysis=False)
        later = fetched + timedelta(minutes=30)
        second = [
            *cat.records[known:],
            rec("deezer_track", isrc_of("al1t0"), deezer("al1t0", 1001, 120.5, -8.1), later),
            rec("deezer_track", isrc_of("al1t1"), deezer("al1t1", 1002, 0, -5.0), later),
            rec("deezer_track", isrc_of("al2t1"), {"title": "no id"}, later),
            rec("reccobeats_features", "al2t0", reccobeats("al2t0", danceability=0.7), later),
            rec("musicbrainz_recording", isrc_of("al2t0"), recording("al2t0", None), later),
        ]
        produce(settings.kafka, second)
        streams.process_all_available()
    finally:
        streams.stop()

    assert enriched(spark, settings) == {
        # isrc, features: source, has, danceability, tempo, key, time_signature;
        # Deezer: bpm, gain, id; MusicBrainz: recording, tags
        "al1t0": (
            "QZAL1T0", "spotify", True, 0.1, 100.0, 5, 4,
            120.5, -8.1, 1001, "mb-al1t0", ["dance", "electronic", "pop"],
        ),
        "al1t1": (
            "QZAL1T1", "spotify", True, 0.2, 101.0, 5, 4,
            None, -5.0, 1002, "mb-al1t1", [],
        ),
        "al2t0": (
            "QZAL2T0", "reccobeats", True, 0.7, 128.0, 7, None,
            None, None, None, "mb-al2t0", [],
        ),
        "al2t1": (
            "QZAL2T1", None, False, None, None, None, None,
            None, None, None, None, None,
        ),
        "al3t0": (
            "QZAL3T0", "spotify", True, 0.1, 100.0, 5, 4,
            None, None, None, None, None,
        ),
    }  # fmt: skip

    first_seen, last_seen = fetched.replace(tzinfo=None), later.replace(tzinfo=None)
    assert {
        r["track_id"]: (r["danceability"], r["first_seen"], r["last_seen"])
        for r in table(spark, settings, "reccobeats_features")
    } == {"al1t0": (0.9, first_seen, first_seen), "al2t0": (0.7, first_seen, last_seen)}
    assert {
        r["isrc"]: (r["deezer_id"], r["bpm"], r["gain"])
        for r in table(spark, settings, "deezer_tracks")
    } == {"QZAL1T0": (1001, 120.5, -8.1), "QZAL1T1": (1002, None, -5.0)}
    assert sorted(r["recording_id"] for r in table(spark, settings, "musicbrainz_recordings")) == [
        "mb-al1t0",
        "mb-al1t1",
        "mb-al2t0",
    ]
    assert {r["key"]: r["reason"] for r in table(spark, settings, "quarantine")} == {
        "bad": "does not match reccobeats.audio_features.v1: a field has the wrong type",
        "QZAL2T1": "missing id",
    }
    # the hour of al1 and al2: ReccoBeats' features of al2t0 count, al2t1 has none
    stats = {r["window_start"]: r for r in table(spark, settings, "release_stats")}
    hour = stats[cat.start.replace(tzinfo=None)]
    assert (hour["new_tracks"], hour["tracks_with_features"]) == (4, 3)
    assert hour["danceability_mean"] == pytest.approx((0.1 + 0.2 + 0.7) / 3)
    assert hour["danceability_p50"] == pytest.approx(0.2)
