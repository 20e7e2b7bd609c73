"""One producer cycle against the emulator and the real broker."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.support.emulator import MARKETS
from tests.support.producer import emulator_spec, producer_settings, unthrottled
from tests.support.truth import assert_each_once, new_releases_truth
from tunestream.config import KafkaSettings
from tunestream.runtime.service import Producer
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "spotify"


def test_a_cycle_writes_every_entity_once_with_the_fewest_requests(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator("producer")
    settings = producer_settings(kafka_settings.bootstrap)
    spec = unthrottled(emulator_spec(emulator, markets=MARKETS))
    truth = new_releases_truth(emulator, MARKETS)

    report = asyncio.run(Producer(settings, spec=spec).run(once=True))
    assert report is not None and report.completed, report

    written = assert_each_once(settings.kafka, {**truth.expected(), "dead_letter": set()})

    for name in ("albums", "tracks", "audio_features", "audio_analysis", "artists"):
        for message in written[name][:25]:
            schema = SCHEMAS / (message.headers["tunestream.schema"].split(".", 1)[1] + ".json")
            Draft202012Validator(json.loads(schema.read_text())).validate(message.value)

    sample = written["albums"][0]
    assert sample.value["id"] == sample.key
    assert sample.headers["tunestream.source"] == "spotify"
    assert sample.headers["tunestream.market"] in MARKETS
    assert sample.headers["tunestream.schema"] == "spotify.album.v1"
    assert sample.headers["tunestream.cycle"] == report.cycle_id

    counted = Counter(
        {
            endpoint: sum(outcomes.values())
            for endpoint, outcomes in emulator.requests()["endpoints"].items()
        }
    )
    expected = +truth.minimum_requests()  # drops endpoints with no request
    assert counted == expected


def test_a_second_cycle_writes_only_what_is_new(
    kafka_settings: KafkaSettings, start_emulator: Callable[..., EmulatorHandle]
) -> None:
    emulator = start_emulator("producer")
    settings = producer_settings(kafka_settings.bootstrap, skip=["audio_analysis"])
    spec = unthrottled(emulator_spec(emulator, markets=MARKETS))
    first = new_releases_truth(emulator, MARKETS)
    asyncio.run(Producer(settings, spec=spec).run(once=True))

    emulator.advance(6 * 3600)
    second = new_releases_truth(emulator, MARKETS)
    assert second.albums - first.albums, "the clock moved but nothing new was selected"
    report = asyncio.run(Producer(settings, spec=spec).run(once=True))
    assert report is not None and report.completed

    assert_each_once(settings.kafka, {"albums": first.albums | second.albums})
    assert report.stats["albums"].emitted == len(second.albums - first.albums)
