"""What the Spark tests share: settings for a job on the session broker, and a known input
(a synthetic catalog, poison in the middle, an aborted transaction) with the tables it implies.

The enrichments' topics are one per cluster (``kafka.records_topic``, not renamed by settings):
a test that reads them gives its job topics of its own (:func:`enrichment_topics`,
:func:`reading`)."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pyspark.sql import SparkSession

from tests.support.spark_catalog import (
    Catalog,
    Rec,
    expected_artist_activity,
    expected_release_stats,
    produce,
    produce_aborted,
)
from tunestream.config import KafkaSettings, Settings, SparkSettings, TopicSettings
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream.sources.enrichment import ENRICHMENTS
from tunestream.tables.query import connect

__all__ = [
    "KEYS",
    "TEST_SPARK",
    "assert_tables",
    "create_topics",
    "enrichment_topics",
    "input_count",
    "job_settings",
    "produce_input",
    "table",
    "write_config",
]

TEST_SPARK = {
    "master": "local[2]",
    "shuffle_partitions": 1,
    "driver_memory": "1g",
    "conf": {"spark.ui.enabled": "false"},
}
_prefix = itertools.count()


def job_settings(kafka: KafkaSettings, data_dir: Path, **spark: object) -> Settings:
    """Settings for one test: its own topics on the session broker, its own data dir."""
    prefix = f"t{next(_prefix)}x{data_dir.name[-6:]}"
    topics = {key: {"name": f"{prefix}.{topic.name}"} for key, topic in kafka.topics.items()}
    kafka = KafkaSettings.model_validate({"bootstrap_servers": kafka.bootstrap, "topics": topics})
    TopicAdmin(admin_client(kafka)).create(list(kafka.topics.values()))
    # the enrichments' topics are the test's own too, made by the tests that want them
    enriching = {f"{e.spec}.{e.topic}": {"name": f"{prefix}.{e.kafka_topic}"} for e in ENRICHMENTS}
    kafka = KafkaSettings.model_validate(
        {"bootstrap_servers": kafka.bootstrap, "topics": {**topics, **enriching}}
    )
    values: dict[str, object] = {**TEST_SPARK, **spark}
    return Settings(data_dir=data_dir, kafka=kafka, spark=SparkSettings.model_validate(values))


def enrichment_topics(settings: Settings) -> dict[str, str]:
    """Enrichment name → the topic the settings give it (not created by :func:`job_settings`)."""
    return {e.name: settings.kafka.records_topic(e.spec, e.topic).name for e in ENRICHMENTS}


def create_topics(kafka: KafkaSettings, *names: str) -> None:
    TopicAdmin(admin_client(kafka)).create([TopicSettings(name=n, partitions=2) for n in names])


def write_config(settings: Settings, path: Path) -> Path:
    """The settings as a config file for a job run as a command (no source)."""
    data = settings.model_dump(mode="json", exclude={"source"})
    path.write_text(yaml.safe_dump(data))
    return path


POISON = [
    Rec("track", "p1", b"not json at all"),
    Rec("track", "p2", b"[1, 2, 3]"),
    Rec("track", "p3", json.dumps({"id": "p3", "duration_ms": "long"}).encode()),
    Rec("track", "p4", json.dumps({"name": "no id"}).encode()),
    Rec("album", "p5", json.dumps({"id": "other"}).encode()),
    Rec("album", "p6", None),
    Rec("audio_features", "p7", json.dumps({"id": "p7", "danceability": "high"}).encode()),
    Rec("audio_analysis", "p8", b"\x00\x01binary"),
    Rec("artist", None, json.dumps({"id": "p9"}).encode()),
    Rec("source_plan", "p10", json.dumps({"source": "other", "delivers": []}).encode()),
    Rec("source_plan", "p11", json.dumps({"source": "p11", "delivers": "all"}).encode()),
]
POISON_REASONS = {
    "p1": "not a JSON object",
    "p2": "not a JSON object",
    "p3": "does not match spotify.track.v1: a field has the wrong type",
    "p4": "missing id",
    "p5": "key does not match the value's id",
    "p6": "empty value (a tombstone)",
    "p7": "does not match spotify.audio_features.v1: a field has the wrong type",
    "p8": "not a JSON object",
    "p10": "key does not match the value's source",
    "p11": "does not match tunestream.source_plan.v1: a field has the wrong type",
    None: "no key",
}


def catalog() -> Catalog:
    cat = Catalog()
    cat.artist("ar1", ["pop", "rock"])
    cat.artist("ar2", [])
    cat.album("al1", market="SE", hour=0, artist_ids=["ar1"], n_tracks=3)
    # Closed audio-features endpoint: waits for the timeout, then appears with nulls.
    cat.album(
        "al2", market="SE", hour=0, artist_ids=["ar1", "ar2"], album_type="single",
        n_tracks=1, features=False, analysis=False, label=None,
    )  # fmt: skip
    cat.album(
        "al3", market="DE", hour=3, artist_ids=["ar2", "ar3"], album_type="compilation",
        n_tracks=2, full_analysis=True,
    )  # fmt: skip
    # Discovered without a market header: its available markets, else "unknown".
    cat.album("al4", market=None, hour=1, artist_ids=["ar3"], available_markets=["FI", "NO"])
    cat.album("al5", market=None, hour=1, artist_ids=["ar3"], n_tracks=1)
    # Still inside its wait (the watermark is hour 3 + 5 min, the timeout one hour).
    cat.album("al6", market="SE", hour=3, artist_ids=["ar1"], n_tracks=1, features=False)
    return cat


def table(spark: SparkSession, settings: Settings, name: str) -> list[dict[str, Any]]:
    path = settings.spark.tables_path(settings.data_dir) / name
    return [r.asDict() for r in spark.read.format("delta").load(str(path)).collect()]


def input_count(cat: Catalog) -> int:
    """How many records :func:`produce_input` commits to the topics."""
    return len(cat.records) + len(POISON) + 1


def produce_input(kafka: KafkaSettings) -> Catalog:
    """The catalog, poison in the middle, one album fetched twice, an aborted transaction."""
    cat = catalog()
    # The same album fetched again an hour later: still one row, first seen at the first fetch.
    again = next(r for r in cat.records if r.key == "al1")
    assert again.fetched_at is not None
    later = Rec("album", "al1", again.value, "SE", again.fetched_at + timedelta(hours=1))
    produce(kafka, [*cat.records[:10], *POISON, *cat.records[10:], later])
    produce_aborted(kafka, [Rec("album", "ghost", json.dumps({"id": "ghost"}).encode())])
    return cat


KEYS = {
    "quarantine": ("topic", "partition", "offset"),
    "albums": ("album_id",),
    "album_markets": ("album_id", "market"),
    "tracks": ("track_id",),
    "audio_features": ("track_id",),
    "audio_analysis": ("track_id",),
    "artists": ("artist_id",),
    "reccobeats_features": ("track_id",),
    "deezer_tracks": ("isrc",),
    "musicbrainz_recordings": ("isrc",),
    "tracks_enriched": ("track_id",),
    "release_stats": ("market", "window_start"),
    "artist_activity": ("day", "artist_id", "genre"),
}


def assert_tables(spark: SparkSession, settings: Settings, cat: Catalog) -> None:
    """Every table holds exactly what the catalog implies: nothing missing, nothing twice."""
    # records as its readers see it (the files its sink's log lists): each Kafka record once
    records = connect(settings.spark.tables_path(settings.data_dir)).sql(
        'SELECT topic, "partition", "offset" FROM records'
    )
    offsets = records.fetchall()
    assert len(set(offsets)) == len(offsets) == input_count(cat)
    for name, keys in KEYS.items():
        rows = table(spark, settings, name)
        assert len({tuple(r[k] for k in keys) for r in rows}) == len(rows), f"{name}: duplicates"

    enriched = {r["track_id"]: r for r in table(spark, settings, "tracks_enriched")}
    waiting = set(cat.album_tracks("al6"))
    assert set(enriched) == set(cat.tracks) - waiting
    complete = {t for t in enriched if t in cat.features and t in cat.analysed}
    assert {t for t, r in enriched.items() if r["has_audio_features"]} == complete
    timed_out = enriched["al2t0"]
    assert timed_out["danceability"] is None and timed_out["sections_count"] is None
    assert timed_out["feature_source"] is None and enriched["al1t1"]["feature_source"] == "spotify"
    # no enrichment of the catalog's tracks in the input
    assert not any(r["bpm"] or r["mb_recording_id"] or r["tags"] for r in enriched.values())
    assert timed_out["genres"] == ["pop", "rock"]  # ar1's genres; ar2 has none
    assert timed_out["label"] is None and timed_out["album_type"] == "single"
    row = enriched["al1t1"]
    assert row["label"] == "Label X" and row["release_year"] == 2026
    assert row["danceability"] == cat.features["al1t1"]["danceability"]
    assert row["artist_ids"] == ["ar1"] and row["genres"] == ["pop", "rock"]
    assert row["sections_count"] == 11 and row["segments_count"] == 40
    assert enriched["al3t0"]["segments_count"] == 811  # the full 716 KB analysis
    assert row["analysis_tempo"] == pytest.approx(151.94)

    albums = {r["album_id"]: r for r in table(spark, settings, "albums")}
    assert set(albums) == set(cat.albums)  # "ghost" was aborted: read_committed never sees it
    assert albums["al1"]["first_seen"] == cat.album_seen["al1"].replace(tzinfo=None)
    assert albums["al1"]["last_seen"] == cat.album_seen["al1"].replace(tzinfo=None) + timedelta(
        hours=1
    )

    stats = {(r["market"], r["window_start"]): r for r in table(spark, settings, "release_stats")}
    want = expected_release_stats(cat)
    assert set(stats) == {(m, w.replace(tzinfo=None)) for m, w in want}
    for (market, window), values in want.items():
        got = stats[(market, window.replace(tzinfo=None))]
        assert got["window_end"] - got["window_start"] == timedelta(hours=1)
        for column, value in values.items():
            assert got[column] == pytest.approx(value), (market, window, column)

    activity = {
        (r["day"].isoformat(), r["artist_id"], r["genre"]): (r["new_releases"], r["new_tracks"])
        for r in table(spark, settings, "artist_activity")
    }
    assert activity == expected_artist_activity(cat)

    quarantine = table(spark, settings, "quarantine")
    assert {r["key"]: r["reason"] for r in quarantine} == POISON_REASONS
    raw = {r["key"]: r["value"] for r in quarantine}
    assert raw["p1"] == b"not json at all" and raw["p6"] is None
