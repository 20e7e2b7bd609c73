"""A source's spec against its settings: mode, skips, and the topics each source writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunestream.config import Settings, SourceSettings
from tunestream.errors import ConfigError
from tunestream.runtime.service import check_spec, configured_topics, spec_topics
from tunestream.spec.loader import load_spec

pytestmark = pytest.mark.unit

ENV = {"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "secret"}
RELEASES = Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "releases.yaml"
RELEASES_ENV = {"RELEASES_API_URL": "http://releases.test", "RELEASES_API_KEY": "k"}
WEEK_MS = 7 * 24 * 3600 * 1000


def one_source(**source: object) -> Settings:
    return Settings(sources=[SourceSettings.model_validate(source)])


def test_the_default_mode_skips_and_topics_come_from_spec_and_settings() -> None:
    spec = load_spec("spotify", environ=ENV)
    settings = one_source(skip=["audio_analysis"])
    mode, skip, topics = check_spec(spec, settings.sources[0], settings)
    assert mode == "new-releases"
    assert skip == frozenset({"audio_analysis"})
    assert topics["albums"].name == "spotify.albums"
    assert topics["audio_analysis"].compression_type == "zstd"
    assert topics["source_state"].name == "tunestream.source_state"
    assert topics["source_plan"].name == "tunestream.source_plan"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"mode": "everything"}, "source spotify: mode 'everything' is not a mode of spec spotify"),
        ({"skip": ["lyrics"]}, "source spotify: skip: lyrics not in spec spotify"),
    ],
)
def test_a_setting_the_spec_does_not_know_is_one_line(
    source: dict[str, object], expected: str
) -> None:
    spec = load_spec("spotify", environ=ENV)
    settings = one_source(**source)
    with pytest.raises(ConfigError, match=expected) as caught:
        check_spec(spec, settings.sources[0], settings)
    assert "\n" not in str(caught.value)


def test_a_key_the_configuration_does_not_name_gets_a_topic_of_its_spec() -> None:
    spec = load_spec(str(RELEASES), environ=RELEASES_ENV)
    topics = spec_topics(spec, Settings().kafka)
    assert set(topics) == {
        "source_state",
        "source_plan",
        "dead_letter",
        "releases",
        "release_details",
    }
    assert topics["releases"].name == "releases.releases"
    assert topics["release_details"].name == "releases.release_details"
    assert (topics["releases"].partitions, topics["releases"].retention_ms) == (4, WEEK_MS)
    assert topics["dead_letter"].name == "tunestream.dead_letter"


def test_a_key_named_under_kafka_topics_overrides_the_default() -> None:
    spec = load_spec(str(RELEASES), environ=RELEASES_ENV)
    settings = Settings.model_validate(
        {"kafka": {"topics": {"releases": {"name": "editorial.releases", "partitions": 12}}}}
    )
    topics = spec_topics(spec, settings.kafka)
    assert (topics["releases"].name, topics["releases"].partitions) == ("editorial.releases", 12)
    assert topics["release_details"].name == "releases.release_details"


def test_topics_to_create_are_the_configured_ones_and_every_sources() -> None:
    settings = Settings.model_validate(
        {
            "sources": [
                {"spec": "spotify"},
                {"spec": str(RELEASES), "name": "deezer"},
                {"spec": str(RELEASES), "name": "deezer-fr"},
            ]
        }
    )
    # two sources of one spec share its topics: each is there once
    names = [t.name for t in configured_topics(settings, {**ENV, **RELEASES_ENV})]
    configured = [t.name for t in settings.kafka.topics.values()]
    assert names == [*configured, "releases.release_details", "releases.releases"]


def test_topics_to_create_are_known_without_the_sources_credentials() -> None:
    settings = Settings.model_validate({"sources": [{"spec": "github"}]})
    names = {topic.name for topic in configured_topics(settings, {})}  # no GITHUB_TOKEN
    assert {"github.issues", "github.issue_comments", "github.events"} <= names
