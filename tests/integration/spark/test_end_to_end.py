"""Emulator → the real producer → Kafka → the Spark job → tables, checked against the emulator.

One new-releases cycle of the producer against a small emulator catalog (one market, a handful of
albums), then the job over the topics it wrote. Every id set, a sample of values and the derived
tables' totals are compared with what the emulator's catalog says they are. Then a development
app's cycle (full discovery; audio features and analysis closed to it): every track is in
tracks_enriched after the one stage-2 batch that reads it, without waiting for the features
timeout.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from tests.support.emulator import emulator_settings
from tests.support.kafka import read_topic
from tests.support.producer import emulator_spec, producer_settings, unthrottled
from tests.support.spark import KEYS, TEST_SPARK, table
from tests.support.truth import ENTITY_IDS, full_truth, new_releases_truth
from tunestream.config import KafkaSettings, Settings, SparkSettings
from tunestream.runtime.service import Producer
from tunestream.spark.job import start_job
from tunestream.tables.commits import last_batch
from tunestream.tables.layout import TABLES_QUERY_NAME
from tunestream_emulator import EmulatorHandle, start_in_thread
from tunestream_emulator.analysis import audio_analysis
from tunestream_emulator.catalog import Catalog

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

MARKET = "SE"


@pytest.fixture
def emulator() -> Iterator[EmulatorHandle]:
    handle = start_in_thread(emulator_settings("producer", markets=[MARKET], new_releases_size=4))
    try:
        yield handle
    finally:
        handle.stop()


def _genres(catalog: Catalog, artist_ids: tuple[str, ...]) -> list[str]:
    genres: set[str] = set()
    for artist_id in artist_ids:
        ref = catalog.ids.decode(artist_id)
        assert ref is not None
        genres |= set(catalog.artist(ref.index).genres)
    return sorted(genres)


def _artist_genres(catalog: Catalog, artist_id: str) -> list[str]:
    return _genres(catalog, (artist_id,)) or ["unknown"]


def test_emulator_to_tables_through_the_producer_and_the_job(
    spark: SparkSession,
    kafka_settings: KafkaSettings,
    emulator: EmulatorHandle,
    tmp_path: Path,
) -> None:
    catalog: Catalog = emulator.emulator.catalog
    truth = new_releases_truth(emulator, [MARKET])
    assert 2 <= len(truth.albums) <= 4 and truth.tracks

    produced = producer_settings(kafka_settings.bootstrap)
    report = asyncio.run(
        Producer(produced, spec=unthrottled(emulator_spec(emulator, markets=[MARKET]))).run(
            once=True
        )
    )
    assert report is not None and report.completed, report

    settings = Settings(
        data_dir=tmp_path,
        kafka=produced.kafka,
        spark=SparkSettings.model_validate({**TEST_SPARK, "features_timeout_s": 3600}),
    )
    start_job(spark, settings, available_now=True).await_termination(300)

    def rows(name: str) -> list[dict[str, Any]]:
        found = table(spark, settings, name)
        assert len({tuple(r[k] for k in KEYS[name]) for r in found}) == len(found), name
        return found

    # Entity tables: exactly the emulator's ids, nothing quarantined.
    assert {r["album_id"] for r in rows("albums")} == truth.albums
    assert {r["track_id"] for r in rows("tracks")} == truth.tracks
    assert {r["track_id"] for r in rows("audio_features")} == truth.tracks
    assert {r["track_id"] for r in rows("audio_analysis")} == truth.tracks
    assert {r["artist_id"] for r in rows("artists")} == truth.artists
    assert {(r["album_id"], r["market"]) for r in rows("album_markets")} == {
        (a, MARKET) for a in truth.albums
    }
    assert rows("quarantine") == []

    # tracks_enriched: every track (features and analysis all came), values as the catalog has them.
    albums = {a.id: a for a in (catalog.album(item["index"]) for item in emulator.truth_albums())}
    enriched = {r["track_id"]: r for r in rows("tracks_enriched")}
    assert set(enriched) == truth.tracks
    for album_id in sorted(truth.albums):
        album = albums[album_id]
        for number in sorted({0, album.total_tracks - 1}):
            track = catalog.track(album.index, number)
            features = catalog.features(album.index, number)
            analysis = audio_analysis(track, features, 0)
            row = enriched[track.id]
            assert (row["track_name"], row["duration_ms"], row["explicit"], row["isrc"]) == (
                track.name,
                track.duration_ms,
                track.explicit,
                track.isrc,
            )
            assert (row["album_id"], row["album_type"], row["label"]) == (
                album.id,
                album.album_type,
                album.label,
            )
            assert row["release_date"] == album.release_date
            assert tuple(row["artist_ids"]) == track.artist_ids
            assert row["genres"] == _genres(catalog, track.artist_ids)
            assert row["danceability"] == pytest.approx(features.danceability)
            assert row["tempo"] == pytest.approx(features.tempo)
            assert row["has_audio_features"] and row["has_audio_analysis"]
            assert row["sections_count"] == len(analysis["sections"])
            assert row["segments_count"] == len(analysis["segments"])
            assert row["beats_count"] == len(analysis["beats"])
            assert row["market"] == MARKET

    # release_stats: the albums of the market, summed over the hours they were found in.
    stats = rows("release_stats")
    assert {r["market"] for r in stats} == {MARKET}
    found = [albums[a] for a in truth.albums]
    types = Counter(a.album_type for a in found)
    assert sum(r["new_albums"] for r in stats) == len(found) == truth.markets[MARKET]
    assert sum(r["albums"] for r in stats) == types["album"]
    assert sum(r["singles"] for r in stats) == types["single"]
    assert sum(r["compilations"] for r in stats) == types["compilation"]
    assert sum(r["new_tracks"] for r in stats) == len(truth.tracks)
    assert sum(r["tracks_with_features"] for r in stats) == len(truth.tracks)
    tracks = [catalog.track(a.index, n) for a in found for n in range(a.total_tracks)]
    explicit = sum(r["explicit_share"] * r["new_tracks"] for r in stats)
    assert explicit == pytest.approx(sum(t.explicit for t in tracks))
    dance = sum(r["danceability_mean"] * r["tracks_with_features"] for r in stats)
    want = sum(catalog.features(t.album_index, t.number).danceability for t in tracks)
    assert dance == pytest.approx(want)

    # artist_activity: per album artist and genre, the releases and their tracks.
    activity: Counter[tuple[str, str]] = Counter()
    track_counts: Counter[tuple[str, str]] = Counter()
    for r in rows("artist_activity"):
        activity[(r["artist_id"], r["genre"])] += r["new_releases"]
        track_counts[(r["artist_id"], r["genre"])] += r["new_tracks"]
    want_releases: Counter[tuple[str, str]] = Counter()
    want_tracks: Counter[tuple[str, str]] = Counter()
    for album in found:
        for artist_id in album.artist_ids:
            for genre in _artist_genres(catalog, artist_id):
                want_releases[(artist_id, genre)] += 1
                want_tracks[(artist_id, genre)] += album.total_tracks
    assert activity == want_releases
    assert track_counts == want_tracks


def test_a_development_app_s_tracks_wait_for_no_features_it_cannot_fetch(
    spark: SparkSession,
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    emulator = start_emulator("producer", tracks_per_day=40, history_days=1, artists=200)
    truth = full_truth(emulator)
    assert 10 <= len(truth.tracks) <= 120, len(truth.tracks)
    produced = producer_settings(kafka_settings.bootstrap, mode="full")
    spec = unthrottled(emulator_spec(emulator, profile="development"))
    report = asyncio.run(Producer(produced, spec=spec).run(once=True))
    assert report is not None and report.completed, report
    assert report.stats["audio_features"].skipped == len(truth.tracks)
    # the producer's plan: everything at the cycle's start, then without what answered 403
    topics = produced.kafka.topics
    every = {topics[e].name for e in ENTITY_IDS}
    closed = {"audio_features", "audio_analysis"}
    plans = read_topic(kafka_settings.bootstrap, topics["source_plan"].name)
    assert {m.key for m in plans} == {"spotify"}
    assert (set(plans[0].value["delivers"]), plans[0].value["closed"]) == (every, {})
    last = plans[-1].value
    assert set(last["delivers"]) == every - {topics[e].name for e in closed}
    assert set(last["closed"]) == closed

    # the timeout is an hour of event time: only knowing the plan lets a track through now
    settings = Settings(
        data_dir=tmp_path,
        kafka=produced.kafka,
        spark=SparkSettings.model_validate({**TEST_SPARK, "features_timeout_s": 3600}),
    )
    start_job(spark, settings, available_now=True).await_termination(300)
    checkpoints = settings.spark.checkpoints_path(settings.data_dir)
    assert last_batch(checkpoints / TABLES_QUERY_NAME / "offsets") == 0  # one stage-2 batch

    assert {r["track_id"] for r in table(spark, settings, "tracks")} == truth.tracks
    enriched = {r["track_id"]: r for r in table(spark, settings, "tracks_enriched")}
    assert set(enriched) == truth.tracks
    for row in enriched.values():
        assert not row["has_audio_features"] and not row["has_audio_analysis"], row
        assert row["danceability"] is None and row["sections_count"] is None, row
        assert row["album_id"] in truth.albums and row["track_name"], row
