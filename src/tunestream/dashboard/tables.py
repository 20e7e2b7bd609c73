"""What the dashboard shows of the Spark job's Delta tables, read with DuckDB through delta-rs.

Each function takes a connection from :func:`tunestream.tables.query.connect` (one view per table,
at its latest version) and returns plain data for the JSON API: the newest releases, the
distribution of audio features by market, their hourly trend by market, hourly releases, and the
enrichments' coverage of the new tracks.

The windows are counted back from the newest data, not from now: the last :data:`HOURS` hours up to
the newest hourly stats, or up to the newest track's first sighting.
"""

from __future__ import annotations

from typing import Any

import duckdb

__all__ = ["COVERAGE", "FEATURES", "coverage", "distributions", "hourly", "releases", "trends"]

FEATURES = ("danceability", "energy", "valence", "tempo")
"""The audio features release_stats summarises (``<feature>_mean`` …)."""
COVERAGE = (
    ("spotify", "audio features", "feature_source = 'spotify'"),
    ("reccobeats", "audio features", "feature_source = 'reccobeats'"),
    ("deezer", "bpm", "bpm IS NOT NULL"),
    ("musicbrainz", "recording", "mb_recording_id IS NOT NULL"),
    ("musicbrainz", "tags", "len(tags) > 0"),
)
"""What each source adds to a track in tracks_enriched: (source, what, the SQL test of a row)."""
TOP_MARKETS = 8
HOURS = 48
_ISO = "'%Y-%m-%dT%H:%M:%SZ'"
"""Times leave DuckDB as ISO text in UTC (the connection's time zone)."""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> list[dict[str, Any]]:
    relation = con.execute(sql, list(params))
    columns = [d[0] for d in relation.description or []]
    return [dict(zip(columns, row, strict=True)) for row in relation.fetchall()]


def releases(con: duckdb.DuckDBPyConnection, limit: int) -> list[dict[str, Any]]:
    """The albums seen last: id, title, type, release date, artists, markets of discovery."""
    return _rows(
        con,
        f"""
        SELECT a.album_id, a.name, a.album_type, a.release_date,
               [artist.name FOR artist IN a.artists] AS artists,
               coalesce(
                   (SELECT list(m.market ORDER BY m.market) FROM album_markets m
                    WHERE m.album_id = a.album_id),
                   [a.market]) AS markets,
               strftime(a.first_seen, {_ISO}) AS first_seen
        FROM albums a
        ORDER BY a.first_seen DESC, a.release_date DESC, a.album_id
        LIMIT ?
        """,
        limit,
    )


def distributions(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """Per feature, per market (the markets with the most tracks): count, mean and the five
    quantiles 0, ¼, ½, ¾, 1 of the tracks' values — what a box plot draws."""
    columns = ", ".join(FEATURES)
    rows = _rows(
        con,
        f"""
        WITH top AS (
            SELECT market FROM tracks_enriched WHERE has_audio_features
            GROUP BY market ORDER BY count(*) DESC, market LIMIT ?
        ), features AS (
            UNPIVOT (SELECT market, {columns} FROM tracks_enriched JOIN top USING (market))
            ON {columns} INTO NAME feature VALUE v
        )
        SELECT feature, market, count(v) AS tracks, avg(v) AS mean,
               quantile_cont(v, [0, 0.25, 0.5, 0.75, 1]) AS q
        FROM features WHERE v IS NOT NULL
        GROUP BY feature, market ORDER BY feature, market
        """,
        TOP_MARKETS,
    )
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in FEATURES}
    for row in rows:
        found[row.pop("feature")].append(row)
    return found


def trends(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Hourly means of each feature by market, for the markets with the most new albums."""
    means = ", ".join(f"{name}_mean" for name in FEATURES)
    rows = _rows(
        con,
        f"""
        WITH top AS (
            SELECT market FROM release_stats GROUP BY market
            ORDER BY sum(new_albums) DESC, market LIMIT ?
        )
        SELECT market, strftime(window_start, {_ISO}) AS hour, new_albums, {means}
        FROM release_stats JOIN top USING (market)
        WHERE window_start >= (SELECT max(window_start) FROM release_stats) - INTERVAL {HOURS} HOUR
        ORDER BY market, hour
        """,
        TOP_MARKETS,
    )
    by_market: dict[str, dict[str, list[Any]]] = {}
    for row in rows:
        series = by_market.setdefault(
            row["market"], {"t": [], "new_albums": [], **{name: [] for name in FEATURES}}
        )
        series["t"].append(row["hour"])
        series["new_albums"].append(row["new_albums"])
        for name in FEATURES:
            series[name].append(row[f"{name}_mean"])
    return by_market


def hourly(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    """Per hour, all markets together: albums, singles, compilations and new tracks."""
    rows = _rows(
        con,
        f"""
        SELECT strftime(window_start, {_ISO}) AS hour, sum(albums) AS albums,
               sum(singles) AS singles, sum(compilations) AS compilations,
               sum(new_tracks) AS tracks
        FROM release_stats
        WHERE window_start >= (SELECT max(window_start) FROM release_stats) - INTERVAL {HOURS} HOUR
        GROUP BY ALL ORDER BY hour
        """,
    )
    keys = ("hour", "albums", "singles", "compilations", "tracks")
    return {key: [row[key] for row in rows] for key in keys}


def coverage(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Of the tracks first seen in the last :data:`HOURS` hours (up to the newest), how many have
    what each source of :data:`COVERAGE` adds, and their share (None without tracks)."""
    counts = ", ".join(f"count(*) FILTER ({test}) AS n{i}" for i, (*_, test) in enumerate(COVERAGE))
    [row] = _rows(
        con,
        f"""
        SELECT count(*) AS tracks, {counts} FROM tracks_enriched
        WHERE first_seen >= (SELECT max(first_seen) FROM tracks_enriched) - INTERVAL {HOURS} HOUR
        """,
    )
    total = row["tracks"]
    return {
        "hours": HOURS,
        "tracks": total,
        "sources": [
            {
                "source": source,
                "what": what,
                "tracks": row[f"n{i}"],
                "share": row[f"n{i}"] / total if total else None,
            }
            for i, (source, what, _) in enumerate(COVERAGE)
        ],
    }
