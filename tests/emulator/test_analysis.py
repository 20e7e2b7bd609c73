"""Audio analysis: the recorded structure, sized by duration, fast enough to serve."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from tests.support.emulator import emulator_settings
from tunestream_emulator.analysis import audio_analysis
from tunestream_emulator.catalog import Catalog
from tunestream_emulator.service import encode

RECORDED = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures/spotify/track_audio_analysis.json").read_text()
)


def _analysis(catalog, seconds):
    track = dataclasses.replace(
        catalog.track(catalog.first_index, 0), duration_ms=int(seconds * 1000)
    )
    return audio_analysis(track, catalog.features(catalog.first_index, 0), 1_700_000_000)


@pytest.mark.unit
def test_structure_matches_the_recording():
    analysis = _analysis(Catalog(emulator_settings()), 226.86)
    assert analysis.keys() == RECORDED.keys()
    assert analysis["meta"].keys() == RECORDED["meta"].keys()
    assert analysis["track"].keys() == RECORDED["track"].keys()
    for part in ("bars", "beats", "sections", "tatums"):
        assert analysis[part][0].keys() == RECORDED[part][0].keys(), part
    assert analysis["segments"][0].keys() == RECORDED["segments"][0].keys()
    assert len(analysis["segments"]) == pytest.approx(811, rel=0.1)
    assert len(analysis["tatums"]) == pytest.approx(2 * len(analysis["beats"]), abs=2)
    assert all(len(s["pitches"]) == 12 and len(s["timbre"]) == 12 for s in analysis["segments"])


@pytest.mark.unit
def test_size_follows_duration():
    catalog = Catalog(emulator_settings())
    recorded_size = len(encode(RECORDED))
    size_227 = len(encode(_analysis(catalog, 226.86)))
    assert size_227 == pytest.approx(recorded_size, rel=0.15)  # about 700 KB
    assert len(encode(_analysis(catalog, 600))) > 1_048_576  # past Kafka's default 1 MB


@pytest.mark.unit
def test_generation_is_fast_and_deterministic():
    catalog = Catalog(emulator_settings())
    started = time.perf_counter()
    first = _analysis(catalog, 300)
    assert time.perf_counter() - started < 0.5
    assert first == _analysis(Catalog(emulator_settings()), 300)


@pytest.mark.integration
def test_served_analysis_matches_the_track(emulator, api):
    client = api(emulator)
    catalog = emulator.emulator.catalog
    track = catalog.track(catalog.first_index + 1, 0)
    response = client.get(f"/audio-analysis/{track.id}")
    body = response.json()
    assert body["track"]["duration"] == pytest.approx(track.duration_ms / 1000, abs=0.001)
    assert body["track"]["tempo"] == catalog.features(track.album_index, 0).tempo
    assert len(response.content) > 300_000
