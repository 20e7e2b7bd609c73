"""The producer against a misbehaving API: errors, resets, broken bodies, 429s, expiring tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest

from tests.support.emulator import MARKETS
from tests.support.kafka import read_topic
from tests.support.producer import emulator_spec, producer_settings, unthrottled
from tests.support.truth import assert_each_once, assert_values_match, new_releases_truth
from tunestream.config import KafkaSettings
from tunestream.runtime.service import Producer
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration


def test_the_cycle_completes_through_faults_429s_and_token_expiry(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator("producer", rate_limit_per_30s=15)
    emulator.clock(paused=True)  # the releases stay put while the token's lifetime is skipped
    emulator.set_faults(
        script=["reset", "ok", "500", "ok", "truncate", "502", "ok", "malformed", "503"],
        error_rate=0.10,
        reset_rate=0.02,
        truncate_rate=0.03,
        malformed_rate=0.03,
        seed=5,
    )
    truth = new_releases_truth(emulator, MARKETS)
    settings = producer_settings(kafka_settings.bootstrap, skip=["audio_analysis"])
    spec = unthrottled(emulator_spec(emulator, markets=MARKETS))
    upstream = httpx.AsyncHTTPTransport()
    lifetime = emulator.settings.token_lifetime_s
    release = emulator.clock()["now"]

    class ExpiringOnce(httpx.AsyncBaseTransport):
        """Before the first audio-features request, the service clock skips the token's whole
        lifetime (the release clock stays where it was): the token expires mid-cycle, once."""

        expired = False

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if not self.expired and request.url.path.endswith("/audio-features"):
                self.expired = True
                skip = {"set": _before(release, lifetime), "advance": lifetime}
                await asyncio.to_thread(emulator.clock, **skip)
            return await upstream.handle_async_request(request)

    producer = Producer(settings, spec=spec, transport=ExpiringOnce())
    report = asyncio.run(producer.run(once=True))
    assert report is not None and report.completed, report.interrupted

    endpoints = emulator.requests()["endpoints"]
    tokens = endpoints.pop("POST /api/token")
    seen = {outcome for by_outcome in endpoints.values() for outcome in by_outcome}
    assert {"429", "malformed", "truncate", "reset", "401"} <= seen, seen
    assert seen & {"500", "502", "503"}, seen
    assert tokens == {"200": 2}, "one token at the start, one renewal after it expired"

    expected = truth.expected("albums", "tracks", "audio_features", "artists")
    written = assert_each_once(settings.kafka, {**expected, "dead_letter": set()})
    assert_values_match(emulator, written)


def _before(moment: str, seconds: float) -> str:
    """The ISO time ``seconds`` before ``moment``."""
    return (datetime.fromisoformat(moment) - timedelta(seconds=seconds)).isoformat()


def test_a_body_malformed_for_good_goes_to_the_dead_letter_topic(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    """The one analysis the API always garbles is dead-lettered; everything else arrives."""
    emulator = start_emulator("producer", new_releases_size=5)
    truth = new_releases_truth(emulator, MARKETS)
    broken = sorted(truth.tracks)[0]
    upstream = httpx.AsyncHTTPTransport()

    class Garbling(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await upstream.handle_async_request(request)
            if request.url.path.endswith(f"/audio-analysis/{broken}"):
                await response.aread()
                return httpx.Response(200, content=b'{"meta": {"analyzer_version": "4.0.0", ')
            return response

    settings = producer_settings(kafka_settings.bootstrap)
    spec = unthrottled(emulator_spec(emulator, markets=MARKETS))
    quick = spec.client.retry.model_copy(update={"attempts": 3, "backoff_base_s": 0.05})
    spec = spec.model_copy(update={"client": spec.client.model_copy(update={"retry": quick})})
    report = asyncio.run(Producer(settings, spec=spec, transport=Garbling()).run(once=True))
    assert report is not None and report.completed, report.interrupted

    assert_each_once(
        settings.kafka, {"audio_analysis": truth.tracks - {broken}, "tracks": truth.tracks}
    )
    [letter] = read_topic(kafka_settings.bootstrap, settings.kafka.topics["dead_letter"].name)
    assert letter.value["resource"] == "audio_analysis"
    assert letter.value["items"] == [broken]
    assert letter.value["url"].endswith(f"/audio-analysis/{broken}")
    assert letter.value["body"].startswith('{"meta"')
    assert "not valid JSON" in letter.value["error"]
    assert letter.key == f"spotify/audio_analysis/{broken}"
    assert letter.value["source"] == "spotify"
