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
