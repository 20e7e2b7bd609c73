"""`tunestream up` on the embedded defaults: the dashboard's JSON API serves the real thing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.system import MARKETS, SystemUnderTest, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def test_status_shows_every_component_running(system: SystemUnderTest) -> None:
    done = system.run("status", timeout_s=60)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("kafka", "emulator", "producer", "spark", "dashboard"):
        line = next(line for line in done.stdout.splitlines() if f" {name} " in line)
        assert "running" in line, line
    assert system.dashboard_url in done.stdout


def test_a_second_up_starts_nothing(system: SystemUnderTest) -> None:
    done = system.up()
    for name in ("emulator", "producer", "spark", "dashboard"):
        assert f"{name}: already running" in done.stderr
    assert "kafka: already running" in done.stderr
    assert done.stdout.strip() == system.dashboard_url


def test_releases_come_from_the_tables_and_match_the_emulator(
    system: SystemUnderTest, tables_with_data: dict[str, Any]
) -> None:
    truth = system.truth_albums()
    releases = tables_with_data["releases"]
    assert releases
    for release in releases:
        album = truth.get(release["album_id"])
        assert album is not None, f"{release['album_id']} is not an album of the emulator"
        assert release["name"] == album["name"]
        assert release["release_date"] == album["release_date"]
        assert set(release["markets"]) <= set(MARKETS)
        assert release["artists"]
    # The newest first, and covers found in the albums topic.
    seen = [r["first_seen"] for r in releases]
    assert seen == sorted(seen, reverse=True)
    assert all(r["cover"].startswith("https://") for r in releases)


def test_features_and_hourly_stats_are_drawn_from_the_tables(
    tables_with_data: dict[str, Any],
) -> None:
    for feature in ("danceability", "energy", "valence"):
        for row in tables_with_data["distributions"][feature]:
            low, q1, median, q3, high = row["q"]
            assert 0 <= low <= q1 <= median <= q3 <= high <= 1
            assert row["market"] in MARKETS
            assert row["tracks"] > 0
    hourly = tables_with_data["hourly"]
    assert sum(hourly["albums"]) + sum(hourly["singles"]) + sum(hourly["compilations"]) > 0
    assert sum(hourly["tracks"]) > 0
    assert set(tables_with_data["trends"]) <= set(MARKETS)


def test_coverage_counts_the_new_tracks_each_source_enriches(
    tables_with_data: dict[str, Any],
) -> None:
    coverage = tables_with_data["coverage"]
    total = coverage["tracks"]
    assert coverage["hours"] == 48 and total > 0
    found = {f"{s['source']} {s['what']}": s for s in coverage["sources"]}
    assert list(found) == [
        "spotify audio features",
        "reccobeats audio features",
        "deezer bpm",
        "musicbrainz recording",
        "musicbrainz tags",
    ]
    for name, source in found.items():
        assert 0 <= source["tracks"] <= total, name
        assert source["share"] == pytest.approx(source["tracks"] / total), name
    assert found["musicbrainz tags"]["tracks"] <= found["musicbrainz recording"]["tracks"]
    # every track is new (the system has run for minutes) and the box plots count each market's
    # tracks with features: the same tracks, from the same view of the tables
    with_features = found["spotify audio features"]["tracks"]
    with_features += found["reccobeats audio features"]["tracks"]
    box_plots = sum(row["tracks"] for row in tables_with_data["distributions"]["danceability"])
    assert with_features == box_plots > 0


def test_producer_panel_reads_the_metrics_endpoint(system: SystemUnderTest) -> None:
    panel = wait_for(
        "producer metrics with records",
        lambda: p if (p := system.api("producer"))["state"] == "ok" and p["records"] else None,
        120,
    )
    metrics = httpx.get(f"http://127.0.0.1:{system.metrics_port}/metrics", timeout=10).text
    assert 'endpoint="/browse/new-releases"' in metrics
    assert "/browse/new-releases" in panel["requests"]
    assert "/browse/new-releases" in panel["plan"]["endpoints"]
    assert panel["plan"]["skipped"] == ["audio_analysis"]
    assert panel["records"]["spotify.albums"] > 0
    assert "audio_analysis" not in " ".join(panel["records"])
    assert panel["cycle_count"].get("completed", 0) >= 1


def test_kafka_panel_counts_topics_and_the_spark_lag(
    system: SystemUnderTest, tables_with_data: dict[str, Any]
) -> None:
    def committed() -> dict[str, Any] | None:
        panel = system.api("kafka")
        return panel if panel["state"] == "ok" and panel["spark"] is not None else None

    panel = wait_for("a committed Spark batch", committed, 120)
    topics = {row["key"]: row for row in panel["topics"]}
    albums = topics["albums"]
    assert albums["exists"] and albums["partitions"] == 4
    assert albums["records"] >= len(tables_with_data["releases"])
    assert albums["bytes"] > 0
    assert 0 <= albums["spark_lag"] <= albums["records"]
    assert topics["source_state"]["spark_lag"] is None  # not a topic the Spark job reads


def test_the_page_and_its_chart_library_are_served_locally(system: SystemUnderTest) -> None:
    page = httpx.get(system.dashboard_url, timeout=10)
    assert page.status_code == 200
    assert 'src="/vendor/plotly.min.js"' in page.text
    assert "://" not in page.text  # nothing from elsewhere: no CDN
    script = httpx.get(f"{system.dashboard_url}vendor/plotly.min.js", timeout=30)
    assert script.status_code == 200 and b"plotly" in script.content[:2000].lower()
