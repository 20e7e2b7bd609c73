"""The enrichments' coverage of the new tracks, as the dashboard's tables panel counts it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from tunestream.dashboard.tables import coverage

pytestmark = pytest.mark.unit


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    connection.execute(
        """CREATE TABLE tracks_enriched (track_id VARCHAR, first_seen TIMESTAMP,
        feature_source VARCHAR, bpm DOUBLE, mb_recording_id VARCHAR, tags VARCHAR[])"""
    )
    try:
        yield connection
    finally:
        connection.close()


def insert(con: duckdb.DuckDBPyConnection, *rows: tuple[Any, ...]) -> None:
    con.executemany("INSERT INTO tracks_enriched VALUES (?, ?, ?, ?, ?, ?)", list(rows))


def shares(panel: dict[str, Any]) -> dict[str, tuple[int, float | None]]:
    return {f"{s['source']} {s['what']}": (s["tracks"], s["share"]) for s in panel["sources"]}


def test_each_source_s_share_of_the_tracks_first_seen_in_the_last_two_days(
    con: duckdb.DuckDBPyConnection,
) -> None:
    insert(
        con,
        ("t1", "2026-11-24 12:00:00", "spotify", 120.5, "mb1", ["pop"]),
        ("t2", "2026-11-24 11:00:00", "reccobeats", None, "mb2", []),
        ("t3", "2026-11-22 12:00:00", None, 99.0, None, None),
        # before the window (48 h up to the newest first sighting): not a new track
        ("t4", "2026-11-22 11:59:59", "spotify", 100.0, "mb4", ["rock"]),
    )
    panel = coverage(con)
    assert (panel["hours"], panel["tracks"]) == (48, 3)
    assert shares(panel) == {
        "spotify audio features": (1, pytest.approx(1 / 3)),
        "reccobeats audio features": (1, pytest.approx(1 / 3)),
        "deezer bpm": (2, pytest.approx(2 / 3)),
        "musicbrainz recording": (2, pytest.approx(2 / 3)),
        "musicbrainz tags": (1, pytest.approx(1 / 3)),
    }


def test_no_tracks_no_shares(con: duckdb.DuckDBPyConnection) -> None:
    panel = coverage(con)
    assert panel["tracks"] == 0
    assert [(s["tracks"], s["share"]) for s in panel["sources"]] == [(0, None)] * 5
