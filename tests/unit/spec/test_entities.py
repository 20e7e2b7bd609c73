"""The Spotify entity registry agrees with what cannot import it: the spec, the schema files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunestream.config import DEFAULT_TOPICS
from tunestream.sources.spotify import ENTITIES
from tunestream.spec.loader import load_spec
from tunestream.spec.models import PagesResource

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "spotify"


def test_the_spotify_spec_emits_each_entity_to_its_topic_with_its_schema() -> None:
    spec = load_spec("spotify", environ={"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "s"})
    emitting = [r for r in spec.resources.values() if not isinstance(r, PagesResource) and r.emit]
    emitted = sorted((r.emit, r.schema_id) for r in emitting)
    assert emitted == sorted((e.topic, e.schema_id) for e in ENTITIES)


def test_each_entity_has_a_topic_and_a_schema_file() -> None:
    assert ENTITIES[0].schema_id == "spotify.album.v1"
    for e in ENTITIES:
        assert DEFAULT_TOPICS[e.topic]["name"] == f"spotify.{e.topic}"
        assert (SCHEMAS / e.schema_file).is_file(), e.schema_file
    assert DEFAULT_TOPICS["audio_analysis"]["max_message_bytes"] == 16 * 1024 * 1024
