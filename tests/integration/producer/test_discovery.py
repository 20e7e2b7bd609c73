"""Full discovery (search tag:new, split past its cap) and the development access profile."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable

import pytest

from tests.support.kafka import read_topic
from tests.support.producer import emulator_spec, producer_settings, unthrottled
from tests.support.truth import assert_each_once, full_truth
from tunestream.config import KafkaSettings
from tunestream.runtime.service import Producer
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration


def test_full_mode_finds_every_release_of_the_period_past_the_search_cap(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator("producer", tracks_per_day=900, history_days=14)
    truth = full_truth(emulator)
    assert len(truth.albums) > 2_000, "the catalog must pass the 1,000-result cap"
    settings = producer_settings(
        kafka_settings.bootstrap, mode="full", skip=["audio_analysis", "audio_features"]
    )
    spec = unthrottled(emulator_spec(emulator))

    report = asyncio.run(Producer(settings, spec=spec).run(once=True))
    assert report is not None and report.completed, report.interrupted

    discovery = report.discovery["new_albums"]
    assert discovery.found == len(truth.albums)  # 100 % coverage
    assert discovery.coverage == 1.0 and discovery.read == discovery.parts
    assert_each_once(settings.kafka, truth.expected("albums", "tracks"))
    searches = emulator.requests()["endpoints"]["GET /v1/search"]["200"]
    assert searches > len(truth.albums) / 50, "the search was not split"


def test_rolling_discovery_finds_every_release_within_n_cycles_as_the_clock_moves(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    """Search ranked by relevance (no date order): hourly cycles with a request budget a third
    of a complete pass find every album within N = 3 cycles, each once."""
    emulator = start_emulator("producer", tracks_per_day=900, history_days=14)
    assert emulator.settings.search_order == "relevance"
    emulator.clock(paused=True)
    only_albums = ["album_tracks", "tracks", "audio_features", "audio_analysis", "artists"]
    spec = unthrottled(emulator_spec(emulator))
    settings = producer_settings(
        kafka_settings.bootstrap, mode="full", skip=only_albums, discovery_max_requests=None
    )

    def searches() -> int:
        return sum(emulator.requests()["endpoints"]["GET /v1/search"].values())

    def cycle(budget: int | None) -> None:
        source = settings.sources[0].model_copy(update={"discovery_max_requests": budget})
        producer = Producer(settings, source, spec=spec)
        report = asyncio.run(producer.run(once=True))
        assert report is not None and report.completed, report.interrupted

    first_pass = emulator.truth()["now_epoch"]
    cycle(None)  # the first pass builds the query tree
    emulator.advance(3600)
    before = searches()
    cycle(None)  # a complete pass over the kept tree: its leaves only
    complete = searches() - before
    n = 3
    budget = math.ceil(complete * 1.1 / n)
    released_at = [emulator.truth()["now_epoch"]]
    for _ in range(n + 1):
        emulator.advance(3600)
        before = searches()
        cycle(budget)
        assert searches() - before <= budget + 5  # a part that grew is read to its end
        released_at.append(emulator.truth()["now_epoch"])

    window_start = released_at[-1] - 14 * 86_400
    due = {a["id"] for a in emulator.truth_albums(since=window_start, until=released_at[-n])}
    written = Counter(
        m.key for m in read_topic(kafka_settings.bootstrap, settings.kafka.topics["albums"].name)
    )
    released = {a["id"] for a in emulator.truth_albums(since=first_pass - 14 * 86_400)}
    assert due - set(written) == set()  # released N cycles before the last: found
    assert set(written) - released == set()
    assert {key for key, count in written.items() if count > 1} == set()  # each once

    # `produce --plan` reads the kept tree: its complete pass is what the cycles measured
    _, expected = asyncio.run(Producer(settings, spec=spec).estimate())
    discovery = expected.lines[0]
    assert discovery.resource == "new_albums"
    assert discovery.requests is not None and abs(discovery.requests - complete) <= 5


def test_development_profile_adapts_the_plan_and_reports_what_it_skips(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator("producer", tracks_per_day=60, history_days=2, artists=300)
    truth = full_truth(emulator)
    settings = producer_settings(kafka_settings.bootstrap)
    spec = unthrottled(emulator_spec(emulator, profile="development"))

    producer = Producer(settings, spec=spec)
    report = asyncio.run(producer.run(once=True))
    assert report is not None and report.completed, report.interrupted

    expected = truth.expected("albums", "tracks", "artists")
    written = assert_each_once(
        settings.kafka, {**expected, "audio_features": set(), "audio_analysis": set()}
    )
    albums = written["albums"]
    assert all("popularity" not in a.value and "label" not in a.value for a in albums)
    assert report.stats["audio_features"].skipped == len(truth.tracks)

    requests = emulator.requests()["endpoints"]
    # each closed endpoint cost one 403, and the plan stepped down
    assert requests["GET /v1/browse/new-releases"] == {"403": 1}
    assert requests["GET /v1/albums"] == {"403": 1}
    assert requests["GET /v1/audio-features"] == {"403": 1}
    assert requests["GET /v1/audio-analysis/{id}"] == {"403": 1}
    assert requests["GET /v1/search"].get("400") == 1  # 50 a page refused, then 10
    assert requests["GET /v1/albums/{id}"] == {"200": len(truth.albums)}
    assert requests["GET /v1/tracks/{id}"] == {"200": len(truth.tracks)}
    skipped = producer.metrics.registry.get_sample_value(
        "tunestream_resource_skipped", {"source": "spotify", "resource": "audio_features"}
    )
    assert skipped == 1.0


def test_the_plan_is_detected_from_what_the_credentials_may_use(
    start_emulator: Callable[..., EmulatorHandle], kafka_settings: KafkaSettings
) -> None:
    emulator = start_emulator("producer", tracks_per_day=60, history_days=2, artists=300)
    settings = producer_settings(kafka_settings.bootstrap)
    extended = asyncio.run(Producer(settings, spec=emulator_spec(emulator)).detect_plan())
    development = asyncio.run(
        Producer(settings, spec=emulator_spec(emulator, profile="development")).detect_plan()
    )
    spec = emulator_spec(emulator)
    assert extended.describe(spec) == [
        "discovery: new_releases",
        "new_releases: list: GET /browse/new-releases, 50 a page",
        "new_albums: not used",
        "albums: batch: GET /albums (up to 20 ids)",
        "album_tracks: pages: embedded in albums at tracks, then next URLs",
        "tracks: batch: GET /tracks (up to 50 ids)",
        "audio_features: batch: GET /audio-features (up to 100 ids)",
        "audio_analysis: single: GET /audio-analysis/{id}",
        "artists: batch: GET /artists (up to 50 ids)",
    ]
    assert development.describe(spec) == [
        "discovery: new_albums",
        "new_releases: skipped: forbidden to these credentials (HTTP 403)",
        "new_albums: list: GET /search, 10 a page",
        "albums: single: GET /albums/{id}",
        "album_tracks: pages: embedded in albums at tracks, then next URLs",
        "tracks: single: GET /tracks/{id}",
        "audio_features: skipped: forbidden to these credentials (HTTP 403)",
        "audio_analysis: skipped: forbidden to these credentials (HTTP 403)",
        "artists: single: GET /artists/{id}",
    ]
    assert_each_once(settings.kafka, {"albums": set()})
