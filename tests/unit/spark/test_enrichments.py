"""Where the job reads the enrichments from, and what a track waits for (no Spark session)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tunestream.config import KafkaSettings, Settings
from tunestream.sources.spotify import NAMES
from tunestream.spark.derived.tracks_enriched import awaited
from tunestream.spark.ingest import subscription
from tunestream.spark.job import Job
from tunestream.spark.schemas import ENRICHMENT_SCHEMAS

pytestmark = pytest.mark.unit


def test_the_job_reads_each_enrichment_from_its_spec_s_records_topic(tmp_path: Path) -> None:
    kafka = KafkaSettings.model_validate({"topics": {"albums": {"name": "mine.albums"}}})
    topics = Job.from_settings(Settings(data_dir=tmp_path, kafka=kafka)).topic_entities
    assert topics == {
        "mine.albums": "album",
        "spotify.tracks": "track",
        "spotify.audio_features": "audio_features",
        "spotify.audio_analysis": "audio_analysis",
        "spotify.artists": "artist",
        "tunestream.source_plan": "source_plan",
        "tunestream.dead_letter": "dead_letter",
        "reccobeats.audio_features": "reccobeats_features",
        "deezer.tracks": "deezer_track",
        "musicbrainz.recordings": "musicbrainz_recording",
    }


def test_the_subscription_matches_the_topics_and_nothing_else() -> None:
    pattern = subscription(["spotify.albums", "deezer.tracks", "t-1.x_y"])
    for topic in ("spotify.albums", "deezer.tracks", "t-1.x_y"):
        assert re.fullmatch(pattern, topic) and re.search(pattern, topic), topic
    for topic in ("spotifyxalbums", "spotify.albums2", "a.deezer.tracks", "deezer.track", "t-1"):
        assert not re.search(pattern, topic), topic


def test_a_track_waits_for_features_while_a_plan_delivers_either_source() -> None:
    assert awaited(frozenset(NAMES)) == {"audio_features", "audio_analysis"}
    development = frozenset({"album", "track", "artist"})
    assert awaited(development) == set()
    assert awaited(development | {"reccobeats_features"}) == {"audio_features"}
    assert awaited(development | {"deezer_track", "musicbrainz_recording"}) == set()


def test_each_enrichment_value_must_have_its_id() -> None:
    assert list(ENRICHMENT_SCHEMAS) == [
        "reccobeats_features",
        "deezer_track",
        "musicbrainz_recording",
    ]
    assert all("id" in schema.fieldNames() for schema in ENRICHMENT_SCHEMAS.values())
