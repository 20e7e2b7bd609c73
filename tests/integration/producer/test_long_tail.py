"""The long tail against the real broker: an analysis past its topic's 16 MiB is a dead letter
naming it, the cycle completes, and the next run does not meet it again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.support.producer import emulator_spec, producer_settings, unthrottled
from tests.support.truth import assert_each_once, new_releases_truth
from tunestream.config import KafkaSettings
from tunestream.runtime.metrics import Metrics
from tunestream.runtime.service import Producer
from tunestream_emulator import EmulatorHandle

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

_TAIL_MINUTES = (170.0, 180.0)
"""Every tail track's analysis is past 16 MiB of compact JSON (~1.8 KB a second of audio)."""
_TAIL_SHARE = 0.026
"""Two tail tracks among the producer catalog's new releases in the US (88 tracks)."""
MARKETS = ["US"]


def test_an_analysis_too_large_for_its_topic_is_a_dead_letter_and_the_cycle_goes_on(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator(
        "producer", long_tail_share=_TAIL_SHARE, long_tail_minutes=_TAIL_MINUTES
    )
    settings = producer_settings(kafka_settings.bootstrap)
    spec = unthrottled(emulator_spec(emulator, markets=MARKETS), concurrency=4)
    truth = new_releases_truth(emulator, MARKETS)
    catalog = emulator.emulator.catalog
    long = set()
    for track_id in truth.tracks:
        ref = catalog.ids.decode(track_id)
        assert ref is not None
        if catalog.track(ref.index, ref.track).duration_ms >= _TAIL_MINUTES[0] * 60_000:
            long.add(track_id)
    assert len(long) >= 1, "the catalog's new releases hold no tail track"

    metrics = Metrics()
    report = asyncio.run(Producer(settings, spec=spec, metrics=metrics).run(once=True))
    assert report is not None and report.completed, report

    analysis_topic = settings.kafka.topics["audio_analysis"].name
    expected = {
        **truth.expected(),
        "audio_analysis": truth.tracks - long,  # every other analysis, once
        "dead_letter": {f"spotify/audio_analysis/{track_id}" for track_id in long},
    }
    dead = [m.value for m in assert_each_once(settings.kafka, expected)["dead_letter"]]
    limit = 16 * 1024 * 1024
    for letter in dead:
        assert letter["resource"] == "audio_analysis" and letter["topic"] == analysis_topic
        assert letter["limit"] == limit and letter["size"] > limit
        assert letter["body"] == "" and letter["error"].endswith("> 16 MiB topic limit")
    counted = metrics.registry.get_sample_value(
        "tunestream_records_oversized_total", {"source": "spotify", "topic": analysis_topic}
    )
    assert counted == len(long)
    print(f"dead-lettered {len(dead)}: " + ", ".join(f"{d['size']:,} bytes" for d in dead))

    # a restart is not stuck on them, and meets them no more
    again = asyncio.run(Producer(settings, spec=spec).run(once=True))
    assert again is not None and again.completed, again
    assert_each_once(settings.kafka, {"dead_letter": expected["dead_letter"]})
    assert emulator.requests()["endpoints"]["GET /v1/audio-analysis/{id}"] == {
        "200": len(truth.tracks)
    }
