"""The catalog's long tail: a configured share of tracks from 20 minutes to 3 hours, whose
analyses grow with them."""

from __future__ import annotations

import math

import pytest

from tests.support.emulator import emulator_settings
from tunestream_emulator.catalog import Catalog

_TAIL_S = (20 * 60, 180 * 60)


def _durations_s(catalog: Catalog, albums: int) -> list[float]:
    first = catalog.first_index
    return [
        catalog.track(index, number).duration_ms / 1000
        for index in range(first, first + albums)
        for number in range(catalog.total_tracks(index))
    ]


@pytest.mark.unit
def test_the_long_tail_holds_the_configured_share_spread_over_its_range():
    durations = _durations_s(Catalog(emulator_settings(long_tail_share=0.05)), 1_000)
    tail = [d for d in durations if d >= _TAIL_S[0]]
    assert len(tail) / len(durations) == pytest.approx(0.05, abs=0.01)
    assert _TAIL_S[0] <= min(tail) and max(tail) <= _TAIL_S[1]
    # log-uniform: as many below the geometric mean (~60 min) as above, within the noise
    middle = math.sqrt(_TAIL_S[0] * _TAIL_S[1])
    shorter = sum(d < middle for d in tail)
    assert shorter / len(tail) == pytest.approx(0.5, abs=0.12)


@pytest.mark.unit
def test_without_a_tail_no_track_passes_the_regular_longest():
    durations = _durations_s(Catalog(emulator_settings(long_tail_share=0.0)), 600)
    assert max(durations) <= 900


@pytest.mark.unit
def test_the_tail_changes_no_other_track():
    with_tail = Catalog(emulator_settings(long_tail_share=0.05))
    without = Catalog(emulator_settings(long_tail_share=0.0))
    first = with_tail.first_index
    for index in range(first, first + 300):
        for number in range(with_tail.total_tracks(index)):
            kept, plain = with_tail.track(index, number), without.track(index, number)
            if kept.duration_ms < _TAIL_S[0] * 1000:
                assert kept == plain
            else:
                assert kept.name == plain.name and kept.isrc == plain.isrc


@pytest.mark.integration
def test_a_served_analysis_grows_with_the_track(start_emulator, api):
    emulator = start_emulator(long_tail_share=0.05, long_tail_minutes=(25.0, 30.0))
    client = api(emulator)
    catalog = emulator.emulator.catalog
    first = catalog.first_index
    tracks = (catalog.track(first + i, 0) for i in range(400))
    regular, long = None, None
    for track in tracks:
        if track.duration_ms < 900_000:
            regular = regular or track
        else:
            long = long or track
        if regular and long:
            break
    assert regular is not None and long is not None
    sizes, segments = {}, {}
    for track in (regular, long):
        response = client.get(f"/audio-analysis/{track.id}")
        assert response.status_code == 200
        served = client.json(f"/tracks/{track.id}")["duration_ms"] / 1000
        sizes[track.id] = len(response.content) / served
        segments[track.id] = len(response.json()["segments"]) / served
    assert long.duration_ms >= 25 * 60_000
    # the same density per second of audio: ~3.6 segments, the same bytes
    for density in (sizes, segments):
        assert density[long.id] == pytest.approx(density[regular.id], rel=0.15)
    assert segments[long.id] == pytest.approx(3.6, rel=0.1)
