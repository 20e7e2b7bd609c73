"""The job's tables agree with the entity registry (checked without a Spark session)."""

from __future__ import annotations

import pytest

from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sources.enrichment import ENRICHMENTS
from tunestream.sources.plan import PLAN
from tunestream.sources.spotify import NAMES
from tunestream.spark import derived
from tunestream.spark.derived.base import SlicedTable
from tunestream.spark.entities import ENTITY_TABLES, KEYED, ROWS

pytestmark = pytest.mark.unit


ENRICHMENT_NAMES = ["reccobeats_features", "deezer_track", "musicbrainz_recording"]


def test_each_registered_entity_and_enrichment_has_its_column_map_and_table() -> None:
    assert [e.name for e in ENRICHMENTS] == ENRICHMENT_NAMES
    assert list(ROWS) == list(KEYED) == [*NAMES, *ENRICHMENT_NAMES]
    assert [KEYED[e] for e in ENRICHMENT_NAMES] == [
        ("reccobeats_features", "track_id"),
        ("deezer_tracks", "isrc"),
        ("musicbrainz_recordings", "isrc"),
    ]
    for name, (_, key) in KEYED.items():
        assert ROWS[name].key == key and key in ROWS[name].columns, name


def test_the_derived_tables_are_triggered_by_registered_entities_plans_or_dead_letters() -> None:
    tables = derived.tables()
    assert [t.name for t in tables] == ["tracks_enriched", "release_stats", "artist_activity"]
    for table in tables:
        assert table.triggers and table.triggers <= {*KEYED, PLAN, DEAD_LETTER_TOPIC}, table.name
        if isinstance(table, SlicedTable):
            assert table.moved_by in ENTITY_TABLES, table.name
    assert PLAN in tables[0].triggers  # a plan may release the tracks waiting for features
    assert DEAD_LETTER_TOPIC in tables[0].triggers  # a refused analysis releases its track
    assert set(ENRICHMENT_NAMES) <= tables[0].triggers  # a late enrichment updates a track
    assert "reccobeats_features" in tables[1].triggers  # its features count in the stats


def test_each_job_gets_its_own_sweep_state() -> None:
    assert derived.tables()[0] is not derived.tables()[0]
