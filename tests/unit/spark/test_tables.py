"""The job's tables agree with the entity registry (checked without a Spark session)."""

from __future__ import annotations

import pytest

from tunestream.sources.plan import PLAN
from tunestream.sources.spotify import NAMES
from tunestream.spark import derived
from tunestream.spark.derived.base import SlicedTable
from tunestream.spark.entities import ENTITY_TABLES, ROWS

pytestmark = pytest.mark.unit


def test_each_registered_entity_has_its_column_map() -> None:
    assert list(ROWS) == list(NAMES)


def test_the_derived_tables_are_triggered_by_registered_entities_or_plans() -> None:
    tables = derived.tables()
    assert [t.name for t in tables] == ["tracks_enriched", "release_stats", "artist_activity"]
    for table in tables:
        assert table.triggers and table.triggers <= {*NAMES, PLAN}, table.name
        if isinstance(table, SlicedTable):
            assert table.moved_by in ENTITY_TABLES, table.name
    assert PLAN in tables[0].triggers  # a plan may release the tracks waiting for features


def test_each_job_gets_its_own_sweep_state() -> None:
    assert derived.tables()[0] is not derived.tables()[0]
