"""The benchmark's synthetic catalog follows the producer's record contract."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tunestream_benchmarks.spark import synthetic_records

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "spotify"
ENTITY = {
    "albums": "album",
    "tracks": "track",
    "audio_features": "audio_features",
    "audio_analysis": "audio_analysis",
    "artists": "artist",
}


def test_synthetic_records_validate_and_carry_the_headers() -> None:
    validators = {
        key: Draft202012Validator(json.loads((SCHEMAS / f"{e}.v1.json").read_text()))
        for key, e in ENTITY.items()
    }
    counts: Counter[str] = Counter()
    for topic, key, value, headers in synthetic_records(4, 3, prefix="x"):
        doc = json.loads(value)
        assert not list(validators[topic].iter_errors(doc)), topic
        assert key == doc.get("id", key) and key.startswith("x")
        names = {name for name, _ in headers}
        assert {"tunestream.market", "tunestream.fetched_at", "tunestream.schema"} <= names
        counts[topic] += 1
    assert counts == {
        "artists": 2,
        "albums": 4,
        "tracks": 12,
        "audio_features": 12,
        "audio_analysis": 12,
    }


def test_synthetic_records_take_the_mix_and_reuse_analyses() -> None:
    records = list(synthetic_records(6, 3, artists_per_album=2, analyses=True, distinct_analyses=4))
    counts = Counter(topic for topic, *_ in records)
    assert counts == {
        "artists": 12,
        "albums": 6,
        "tracks": 18,
        "audio_features": 18,
        "audio_analysis": 18,
    }
    analyses = [value for topic, _, value, _ in records if topic == "audio_analysis"]
    assert len(set(analyses)) == 4
    keys = [key for topic, key, _, _ in records if topic == "audio_analysis"]
    assert len(set(keys)) == 18
    without = Counter(topic for topic, *_ in synthetic_records(6, 3, analyses=False))
    assert "audio_analysis" not in without and without["tracks"] == 18
