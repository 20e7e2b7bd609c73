"""The synthetic catalog: determinism, release rate, realistic shapes and distributions."""

from __future__ import annotations

import statistics
import time
from collections import Counter

import pytest

from tests.support.emulator import emulator_settings
from tunestream_emulator import EmulatorSettings, start_in_thread
from tunestream_emulator.catalog import MEAN_TRACKS_PER_ALBUM, Catalog


@pytest.mark.unit
def test_same_seed_and_clock_same_catalog():
    one, two = Catalog(emulator_settings()), Catalog(emulator_settings())
    indexes = range(one.first_index, one.first_index + 300)
    assert [one.album(i) for i in indexes] == [two.album(i) for i in indexes]
    assert [one.track(i, 0) for i in indexes] == [two.track(i, 0) for i in indexes]
    assert [one.features(i, 0) for i in indexes] == [two.features(i, 0) for i in indexes]
    other = Catalog(emulator_settings(seed=8))
    assert [a.id for a in map(one.album, indexes)] != [a.id for a in map(other.album, indexes)]


@pytest.mark.integration
def test_same_seed_and_clock_same_ground_truth_over_http(start_emulator):
    first, second = start_emulator(), start_emulator()
    for handle in (first, second):
        handle.clock(set="2026-11-20T18:00:00Z", paused=True)
    truth_one, truth_two = first.truth(), second.truth()
    for key in ("albums", "tracks", "new", "first_index", "last_index"):
        assert truth_one[key] == truth_two[key]
    assert first.truth_albums() == second.truth_albums()


@pytest.mark.unit
def test_releases_arrive_at_the_configured_rate():
    catalog = Catalog(emulator_settings(tracks_per_day=100_000, history_days=1))
    day = catalog.start + 86_400
    albums = catalog.last_released(day) - catalog.last_released(catalog.start)
    tracks = catalog.tracks_before(catalog.last_released(day) + 1) - catalog.tracks_before(
        catalog.last_released(catalog.start) + 1
    )
    assert albums == pytest.approx(100_000 / MEAN_TRACKS_PER_ALBUM, rel=0.01)
    assert tracks == pytest.approx(100_000, rel=0.03)
    # the backlog: history_days of releases before the start
    assert catalog.last_released(catalog.start) - catalog.first_index + 1 == pytest.approx(
        albums, rel=0.01
    )
    released = [catalog.released_at(i) for i in range(0, 1000)]
    assert released == sorted(released)


@pytest.mark.unit
def test_album_shapes_and_distributions():
    catalog = Catalog(emulator_settings())
    albums = [catalog.album(i) for i in range(catalog.first_index, catalog.first_index + 4000)]
    types = Counter(a.album_type for a in albums)
    assert types["single"] / len(albums) == pytest.approx(0.7, abs=0.03)  # mostly singles
    assert all(1 <= a.total_tracks <= 3 for a in albums if a.album_type == "single")
    assert all(8 <= a.total_tracks <= 20 for a in albums if a.album_type == "album")
    assert all(len(a.upc) == 12 and a.upc.isdigit() for a in albums)
    assert all(a.release_date.startswith("2026") for a in albums)
    assert {a.release_date_precision for a in albums} == {"day", "month", "year"}
    assert Counter(len(a.markets) == len(catalog.markets) for a in albums)[True] > 0.7 * len(albums)
    tracks = [catalog.track(a.index, n) for a in albums[:1500] for n in range(a.total_tracks)]
    minutes = [t.duration_ms / 60_000 for t in tracks]
    assert 2.5 <= statistics.median(minutes) <= 4
    assert any(m > 10 for m in minutes)  # a few long tracks
    assert sum(t.explicit for t in tracks) / len(tracks) == pytest.approx(0.25, abs=0.05)
    assert all(len(t.isrc) == 12 and t.isrc[:2].isalpha() for t in tracks)
    artists = [catalog.artist(i) for i in range(500)]
    assert sum(bool(a.genres) for a in artists) > 300


@pytest.mark.unit
def test_audio_features_have_realistic_joint_distributions():
    catalog = Catalog(emulator_settings())
    features = [
        catalog.features(i, 0) for i in range(catalog.first_index, catalog.first_index + 5000)
    ]

    def column(name):
        return [getattr(f, name) for f in features]

    assert statistics.mean(column("danceability")) == pytest.approx(0.56, abs=0.03)
    assert statistics.mean(column("energy")) == pytest.approx(0.54, abs=0.04)
    assert statistics.mean(column("loudness")) == pytest.approx(-10, abs=1)
    assert statistics.mean(column("tempo")) == pytest.approx(118, abs=3)
    assert statistics.median(column("speechiness")) == pytest.approx(0.05, abs=0.015)
    assert statistics.median(column("liveness")) == pytest.approx(0.13, abs=0.03)
    instrumental = sum(v > 0.5 for v in column("instrumentalness")) / len(features)
    assert instrumental == pytest.approx(0.1, abs=0.03)
    acoustic = column("acousticness")
    assert sum(v < 0.2 for v in acoustic) > 0.3 * len(acoustic) and sum(
        v > 0.8 for v in acoustic
    ) > 0.2 * len(acoustic)
    assert sum(column("mode")) / len(features) == pytest.approx(0.66, abs=0.03)
    assert Counter(column("time_signature"))[4] / len(features) == pytest.approx(0.9, abs=0.03)
    assert set(column("key")) == set(range(-1, 12))
    assert statistics.correlation(column("energy"), column("loudness")) == pytest.approx(
        0.75, abs=0.12
    )
    assert statistics.correlation(column("energy"), column("acousticness")) == pytest.approx(
        -0.7, abs=0.15
    )
    assert statistics.correlation(column("danceability"), column("valence")) == pytest.approx(
        0.5, abs=0.1
    )


@pytest.mark.integration
def test_the_default_full_scale_catalog_starts_fast_and_counts_cheaply():
    started = time.perf_counter()
    with start_in_thread(EmulatorSettings(clock_start="2026-11-20T00:00:00Z")) as handle:
        truth = handle.truth()
    assert time.perf_counter() - started < 10
    assert truth["new"]["albums"] == pytest.approx(14 * 100_000 / MEAN_TRACKS_PER_ALBUM, rel=0.01)
    assert truth["tracks"] == pytest.approx(1_400_000, rel=0.02)  # two weeks at 100,000 a day
