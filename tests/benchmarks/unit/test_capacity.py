"""Capacity: requests follow the spec's batch limits and the plan, and scale with the tracks."""

from __future__ import annotations

import math
import statistics

import orjson
import pytest

from tunestream.config import TopicSettings
from tunestream.records import Record
from tunestream.runtime.plan import Plan
from tunestream.spec.loader import load_spec
from tunestream.spec.models import LookupResource, SourceSpec
from tunestream_benchmarks.capacity import (
    CYCLES_PER_DAY,
    bytes_per_day,
    requests_per_hour,
    retention_days,
    storage,
)
from tunestream_benchmarks.discovery import Measure
from tunestream_benchmarks.sample import ENTITY_TOPICS, MODE, Sample, record_bytes

pytestmark = pytest.mark.unit

TRACKS = 200  # in the sample day
ALBUMS = 20  # 10 tracks each, but one album has 120 (70 past its embedded first page of 50)
ARTISTS = 30


def _spec() -> SourceSpec:
    return load_spec(
        "spotify",
        environ={"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "secret"},
    )


def _album(n: int) -> bytes:
    total = 120 if n == 0 else 10
    items = [{"id": f"t{n}-{i}"} for i in range(min(total, 50))]
    return orjson.dumps({"id": f"al{n}", "tracks": {"items": items, "total": total, "limit": 50}})


def _sample() -> Sample:
    spec = _spec()
    records = [Record("albums", f"al{n}".encode(), _album(n)) for n in range(ALBUMS)]
    for topic, count, size in (
        ("tracks", TRACKS, 2_000),
        ("audio_features", TRACKS, 600),
        ("audio_analysis", TRACKS, 300_000),
        ("artists", ARTISTS, 800),
    ):
        records += [Record(topic, f"{topic}{i}".encode(), b"x" * size) for i in range(count)]
    extended = Plan.initial(spec, MODE, frozenset())
    development = Plan.initial(spec, MODE, frozenset())
    for name in ("albums", "tracks", "audio_features", "artists"):
        development.forbidden(spec, name, "HTTP 403")  # batch → single
    for name in ("audio_features", "audio_analysis"):
        development.forbidden(spec, name, "HTTP 403")  # → closed
    return Sample(spec, records, TRACKS, {"extended": extended, "development": development})


def _batch_max(spec: SourceSpec, name: str) -> int:
    resource = spec.resources[name]
    assert isinstance(resource, LookupResource) and resource.batch is not None
    return resource.batch.max


def test_requests_follow_the_batch_limits_of_the_spec() -> None:
    sample = _sample()
    tracks_per_day = 100_000
    hour = tracks_per_day / CYCLES_PER_DAY / TRACKS  # sample days in an hour
    extended = requests_per_hour(sample, "extended", tracks_per_day)
    spec = sample.spec
    assert extended["tracks"] == math.ceil(TRACKS * hour / _batch_max(spec, "tracks"))
    assert extended["albums"] == math.ceil(ALBUMS * hour / _batch_max(spec, "albums"))
    assert extended["audio_features"] == math.ceil(
        TRACKS * hour / _batch_max(spec, "audio_features")
    )
    assert extended["audio_analysis"] == math.ceil(TRACKS * hour)  # no batch endpoint
    assert extended["album_tracks"] == math.ceil(2 * hour)  # 70 more tracks: 2 pages of 50
    assert "new_albums" not in extended  # discovery: only from `bench discovery`
    assert extended["new_releases"] == 0  # not a root of full discovery
    measure = Measure("extended", 50, 100_000, 241_000, 30_000, 25_000, 0.4, "today")
    with_discovery = requests_per_hour(sample, "extended", 1_000_000, {"extended": measure})
    # a rolling cycle at ten times the window: 0.4 x ceil(2,410,000 / 50)
    assert with_discovery["new_albums"] == 19_280
    assert measure.at(1_000_000) == (2_410_000, 300_000, 250_000, 19_280, 13)

    development = requests_per_hour(sample, "development", tracks_per_day)
    assert development["tracks"] == math.ceil(TRACKS * hour)
    assert development["artists"] == math.ceil(ARTISTS * hour)
    assert development["audio_features"] == development["audio_analysis"] == 0


def test_requests_scale_linearly_with_tracks() -> None:
    sample = _sample()
    for plan in ("extended", "development"):
        small = sum(requests_per_hour(sample, plan, 100_000).values())
        large = sum(requests_per_hour(sample, plan, 1_000_000).values())
        assert large / small == pytest.approx(10, rel=0.01), plan


def test_bytes_and_storage_follow_sizes_and_topic_settings() -> None:
    sample = _sample()
    daily = bytes_per_day(sample, 1_000_000)
    analysis = [r for r in sample.records if r.topic == "audio_analysis"]
    mean = statistics.mean(record_bytes(r) for r in analysis)
    assert daily["audio_analysis"] == pytest.approx(1_000_000 * mean)
    topics = {
        topic: TopicSettings(name=topic, retention_ms=2 * 86_400_000, replication_factor=3)
        for topic in ENTITY_TOPICS
    }
    ratios = dict.fromkeys(ENTITY_TOPICS, 4.0)
    stored = {s.topic: s.stored_bytes for s in storage(sample, 1_000_000, topics, ratios)}
    assert stored["tracks"] == pytest.approx(daily["tracks"] / 4 * 2 * 3)


def test_retention_days() -> None:
    assert retention_days(TopicSettings(name="a", retention_ms=7 * 86_400_000)) == 7
    assert retention_days(TopicSettings(name="a", retention_ms=-1)) == math.inf
    assert retention_days(TopicSettings(name="a")) == 7  # the broker's default
