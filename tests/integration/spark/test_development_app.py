"""A development-mode Spotify app, end to end: the emulator → the spotify source and the three
sources that fill its gaps (reccobeats, deezer, musicbrainz), each ``tunestream produce`` as a
user runs it → Kafka → the Spark job → ``tracks_enriched``, compared row by row with the truth of
the emulator's stand-ins: features for every track ReccoBeats knows, bpm where Deezer has one,
the MusicBrainz recording and its tags where MusicBrainz has them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tests.support.enrich_source import ENRICHING, EnrichRun
from tests.support.spark import TEST_SPARK, table
from tunestream.config import KafkaSettings, Settings, SparkSettings
from tunestream.spark.job import start_job
from tunestream_emulator import EmulatorHandle

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

FEATURES = ("acousticness", "danceability", "energy", "key", "loudness", "tempo", "valence")


def test_a_development_app_s_tracks_get_features_bpm_and_tags_in_tracks_enriched(
    spark: SparkSession,
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    handle = start_emulator("producer", tracks_per_day=40, history_days=1, artists=200)
    handle.clock(paused=True)
    run = EnrichRun(handle, kafka_settings, tmp_path, profile="development")
    for sources in (("spotify",), ENRICHING):
        done = run.produce(*sources)
        assert done.returncode == 0, done.stderr[-3000:]
    settings = Settings(
        data_dir=tmp_path,
        kafka=KafkaSettings.model_validate(
            {"bootstrap_servers": run.bootstrap, "topics": run.topics}
        ),
        spark=SparkSettings.model_validate({**TEST_SPARK, "features_timeout_s": 0}),
    )
    start_job(spark, settings, available_now=True).await_termination(600)

    rows = {r["track_id"]: r for r in table(spark, settings, "tracks_enriched")}
    tracks = run.tracks()
    assert sorted(rows) == sorted(tracks)
    emulator = handle.emulator
    counts = {"features": 0, "bpm": 0, "tags": 0}
    for track_id, isrc in tracks.items():
        row = rows[track_id]
        features = emulator.reccobeats.features(track_id)
        if (
            features is None
        ):  # Spotify will not describe it to this app, ReccoBeats does not know it
            assert (row["feature_source"], row["danceability"]) == (None, None), track_id
        else:
            counts["features"] += 1
            assert row["feature_source"] == "reccobeats", track_id
            got = {k: row[k] for k in FEATURES}
            assert got == pytest.approx({k: features[k] for k in FEATURES}), track_id
        deezer = emulator.deezer.track(isrc) if isrc else None
        bpm = deezer["bpm"] if deezer is not None and deezer["bpm"] else None
        counts["bpm"] += bpm is not None
        assert row["bpm"] == pytest.approx(bpm), track_id
        assert row["deezer_id"] == (deezer["id"] if deezer is not None else None), track_id
        recording = emulator.musicbrainz.recording(isrc) if isrc else None
        want = None if recording is None else recording["id"]
        assert row["mb_recording_id"] == want, track_id
        ranked = sorted((recording or {}).get("tags") or [], key=lambda t: (-t["count"], t["name"]))
        assert list(row["tags"] or []) == [t["name"] for t in ranked], track_id
        counts["tags"] += bool(ranked)
    # the truth has each kind, and gaps in each: the comparison above saw both sides
    assert all(0 < n < len(tracks) for n in counts.values()), counts
