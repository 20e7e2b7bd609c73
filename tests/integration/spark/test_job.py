"""The job on a real broker and real Spark, one query running over inputs that arrive later.
(The known input, poison and read_committed: ``test_cluster.py`` and ``test_restart.py``.)"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.support.spark import (
    job_settings,
    table,
)
from tests.support.spark_catalog import (
    FULL_ANALYSIS_BYTES,
    Catalog,
    Rec,
    expected_artist_activity,
    expected_release_stats,
    plan_record,
    produce,
)
from tunestream.config import KafkaSettings, Settings
from tunestream.records import Record
from tunestream.runtime.wire import Wire
from tunestream.spark.job import start_job

pytestmark = pytest.mark.integration


def refused_analysis(settings: Settings, track_id: str) -> tuple[Record, str]:
    """The dead letter the producer writes in place of ``track_id``'s audio analysis (the full
    one: 448 KB) when its topic takes at most 256 KiB, and its error."""
    topics = settings.kafka.topics
    analyses = topics["audio_analysis"].name
    wire = Wire(
        "spotify", "c1", {"dead_letter": topics["dead_letter"].name}, limits={analyses: 2**18}
    )
    record = Record(analyses, track_id.encode(), FULL_ANALYSIS_BYTES)
    refused = wire.refused("audio_analysis", track_id, record)
    assert refused is not None
    return refused


@pytest.mark.timeout(600)
def test_later_batches_time_out_waiting_tracks_move_albums_and_say_why_analyses_are_missing(
    spark: SparkSession, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    """One running query, two inputs: the second moves the watermark past a waiting track and
    brings an album fetched earlier than first known (its hour and day change). A track whose
    analysis was refused (too large for its topic) does not wait for it, and a refusal read
    after a track's row was written updates it; a track with its analysis says nothing."""
    settings = job_settings(
        kafka_settings,
        tmp_path,
        features_timeout_s=3600,
        trigger_interval_s=0.5,
        tables_trigger_interval_s=0.5,
    )
    cat = Catalog()
    cat.artist("ar1", ["pop"])
    cat.album("al1", market="SE", hour=2, artist_ids=["ar1"], n_tracks=2)
    cat.album("al2", market="SE", hour=2, artist_ids=["ar1"], n_tracks=1, features=False)
    cat.album("al4", market="SE", hour=2, artist_ids=["ar1"], n_tracks=1, analysis=False)
    cat.album("al5", market="SE", hour=0, artist_ids=["ar1"], n_tracks=1, analysis=False)
    letter, error = refused_analysis(settings, "al4t0")
    produce(settings.kafka, [*cat.records, letter])
    streams = start_job(spark, settings)
    try:
        streams.process_all_available()
        enriched = {r["track_id"] for r in table(spark, settings, "tracks_enriched")}
        # al2t0 waits: 2:05 > cutoff 1:05; al4t0 not (its analysis was refused), al5t0 timed out
        assert enriched == {*cat.album_tracks("al1"), "al4t0", "al5t0"}

        first = len(cat.records)
        cat.album("al3", market="SE", hour=4, artist_ids=["ar1"], n_tracks=1)  # cutoff 3:05
        earlier = cat.album_seen["al1"] - timedelta(days=1, hours=1)
        cat.album_seen["al1"] = earlier
        refetch = Rec("album", "al1", json.dumps(cat.albums["al1"]).encode(), "SE", earlier)
        later, later_error = refused_analysis(settings, "al5t0")
        analysed, _ = refused_analysis(settings, "al1t0")
        produce(settings.kafka, [*cat.records[first:], refetch, later, analysed])
        streams.process_all_available()
    finally:
        streams.stop()

    missing = {
        r["track_id"]: r["analysis_missing"] for r in table(spark, settings, "tracks_enriched")
    }
    refusals = {"al4t0": error, "al5t0": later_error}
    assert missing == {t: refusals.get(t) for t in cat.tracks}
    stats = {(r["market"], r["window_start"]): r for r in table(spark, settings, "release_stats")}
    want = expected_release_stats(cat)
    assert set(stats) == {(m, w.replace(tzinfo=None)) for m, w in want}
    for (market, window), values in want.items():
        got = stats[(market, window.replace(tzinfo=None))]
        assert {c: got[c] for c in values} == pytest.approx(values), (market, window)
    activity = {
        (r["day"].isoformat(), r["artist_id"], r["genre"]): (r["new_releases"], r["new_tracks"])
        for r in table(spark, settings, "artist_activity")
    }
    assert activity == expected_artist_activity(cat)


@pytest.mark.timeout(600)
def test_a_plan_alone_releases_the_tracks_waiting_for_what_it_stops_delivering(
    spark: SparkSession, kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    """One running query: tracks wait for features their producer's plan delivers; then a plan
    that closes features and analysis, and no record after it (a development app's first cycle,
    its artists all known): the batch that reads the plan releases them, with nulls."""
    settings = job_settings(
        kafka_settings,
        tmp_path,
        features_timeout_s=3600,
        trigger_interval_s=0.5,
        tables_trigger_interval_s=0.5,
    )
    topics = settings.kafka.topics
    every = [topics[t].name for t in ("albums", "tracks", "audio_features", "audio_analysis")]
    cat = Catalog()
    cat.album("al1", market="SE", hour=0, artist_ids=["ar1"], features=False, analysis=False)
    produce(settings.kafka, [plan_record(every, {}, cat.start), *cat.records])
    streams = start_job(spark, settings)
    try:
        streams.process_all_available()
        assert table(spark, settings, "tracks_enriched") == []  # waiting for features

        closed = dict.fromkeys(("audio_features", "audio_analysis"), "forbidden (HTTP 403)")
        development = [topics[t].name for t in ("albums", "tracks")]
        later = cat.start + timedelta(minutes=10)
        produce(settings.kafka, [plan_record(development, closed, later)])
        streams.process_all_available()
    finally:
        streams.stop()

    enriched = {r["track_id"]: r for r in table(spark, settings, "tracks_enriched")}
    assert set(enriched) == set(cat.tracks) == {"al1t0", "al1t1"}
    assert not any(r["has_audio_features"] or r["has_audio_analysis"] for r in enriched.values())
    [source] = table(spark, settings, "source_plans")
    assert (source["source"], source["delivers"], source["closed"]) == (
        "spotify",
        sorted(development),
        closed,
    )
    assert table(spark, settings, "quarantine") == []
