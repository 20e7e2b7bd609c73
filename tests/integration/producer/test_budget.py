"""The request budget as shipped: the Spotify spec's rate against the emulator's default rate
window, and a development app's quota running out in the middle of a cycle."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

import pytest

from tests.support.producer import emulator_spec, producer_settings, unthrottled
from tests.support.truth import assert_each_once, full_truth
from tunestream.config import KafkaSettings
from tunestream.runtime.service import Producer
from tunestream_emulator import EmulatorHandle, EmulatorSettings

pytestmark = pytest.mark.integration

ONLY_ALBUMS = ["album_tracks", "tracks", "audio_features", "audio_analysis", "artists"]


def refused(emulator: EmulatorHandle) -> tuple[int, int]:
    """Requests to the Web API and how many of them were answered 429, as the emulator counts."""
    endpoints = emulator.requests()["endpoints"]
    web = [outcomes for endpoint, outcomes in endpoints.items() if " /v1/" in endpoint]
    return sum(sum(o.values()) for o in web), sum(o.get("429", 0) for o in web)


def test_the_shipped_budget_stays_under_the_default_rate_window(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    window = EmulatorSettings().rate_limit_per_30s  # the emulator's default, as it ships
    assert window is not None
    emulator = start_emulator("producer", tracks_per_day=100, rate_limit_per_30s=window)
    settings = producer_settings(kafka_settings.bootstrap, mode="full", skip=["audio_analysis"])
    spec = emulator_spec(emulator)  # the rate budget as shipped
    budget = spec.client.rate_limit.requests_per_second * 30

    started = emulator.clock()["service_seconds"]
    report = asyncio.run(Producer(settings, spec=spec).run(once=True))
    assert report is not None and report.completed, report.interrupted
    seconds = emulator.clock()["service_seconds"] - started

    requests, too_many = refused(emulator)
    per_window = requests * 30 / seconds
    sent = f"{requests} requests in {seconds:.0f} s ({per_window:.0f} per 30 s, window {window})"
    assert too_many <= requests / 100, f"{too_many} answered 429: {sent}"
    # A budget past the window (30 s at its rate > 3,000) fails here, not through 429s: the window
    # is five times this budget and the producer does not come near it even unthrottled (about
    # 35 requests/s on two cores: a cycle that filled a window would take minutes), so what
    # keeps a cycle out of the window's 429s is the budget's headroom.
    assert budget <= window, f"the spec's budget ({budget:g} per 30 s) exceeds the window"


def test_a_used_up_development_quota_ends_the_cycle_and_the_next_runs_resume_it(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator = start_emulator("producer", tracks_per_day=50, dev_quota=80)
    now = emulator.clock(paused=True)["now"]
    truth = full_truth(emulator)
    assert len(truth.albums) > 80, "the quota must run out within the cycle"
    settings = producer_settings(kafka_settings.bootstrap, mode="full", skip=ONLY_ALBUMS)
    spec = unthrottled(emulator_spec(emulator, "development"))

    cycles = []
    caplog.set_level(logging.INFO, logger="tunestream")
    for _ in range(6):
        caplog.clear()
        report = asyncio.run(Producer(settings, spec=spec).run(once=True))  # as a new process
        assert report is not None
        cycles.append(report)
        if report.completed:
            break
        assert "429 QUOTA_EXCEEDED" in (report.interrupted or ""), report.interrupted
        messages = [r.getMessage() for r in caplog.records]
        told = [m for m in messages if "quota" in m.lower() or "paused" in m]
        assert len(told) == 1, told  # the cycle's line, not one per request in flight
        emulator.advance(emulator.settings.dev_quota_period_s)  # the quota's next period …
        emulator.clock(set=now)  # … over the same catalog
    assert cycles[-1].completed and len(cycles) >= 2, [c.interrupted for c in cycles]
    assert {c.cycle_id for c in cycles} == {cycles[0].cycle_id}
    assert [c.resumed for c in cycles] == [False] + [True] * (len(cycles) - 1)

    endpoints = emulator.requests()["endpoints"]
    # resumed where it stopped: no page and no album asked twice
    assert endpoints["GET /v1/albums/{id}"]["200"] == len(truth.albums)
    assert endpoints["GET /v1/search"]["200"] == -(-len(truth.albums) // 10)
    written = assert_each_once(settings.kafka, {**truth.expected("albums"), "dead_letter": set()})
    render, catalog = emulator.emulator.render, emulator.emulator.catalog
    for message in written["albums"]:
        album = catalog.album(catalog.ids.decode(message.key).index)
        assert message.value == json.loads(json.dumps(render.album(album, "development")))
