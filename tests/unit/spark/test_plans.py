"""Which entities the producers' plans deliver, as tracks_enriched asks (no Spark session)."""

from __future__ import annotations

import pytest

from tunestream.spark.plans import delivered

pytestmark = pytest.mark.unit

TOPICS = {
    "spotify.albums": "album",
    "spotify.tracks": "track",
    "spotify.audio_features": "audio_features",
    "spotify.audio_analysis": "audio_analysis",
    "spotify.artists": "artist",
}
EVERY_ENTITY = {"album", "track", "audio_features", "audio_analysis", "artist"}


def test_without_any_plan_every_entity_is_delivered() -> None:
    assert delivered([], TOPICS) == EVERY_ENTITY


def test_a_plan_delivers_the_entities_of_its_topics() -> None:
    development = ["spotify.albums", "spotify.artists", "spotify.tracks"]
    assert delivered([development], TOPICS) == {"album", "artist", "track"}


def test_plans_of_several_sources_deliver_what_any_of_them_does() -> None:
    plans = [["spotify.tracks"], ["spotify.audio_features", "shop.products"]]
    assert delivered(plans, TOPICS) == {"track", "audio_features"}


def test_a_plan_that_delivers_nothing_the_job_reads_delivers_no_entity() -> None:
    assert delivered([[]], TOPICS) == set()
    assert delivered([["shop.products"]], TOPICS) == set()
