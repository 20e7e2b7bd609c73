"""The producer's metrics, as the dashboard samples them: parsed, then turned into rates and
cycles (a restarted producer's counters start again from zero)."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from tunestream.dashboard.producer import History
from tunestream.runtime.metrics import Metrics, parse_metrics

pytestmark = pytest.mark.unit


def exposition(metrics: Metrics) -> str:
    return generate_latest(metrics.registry).decode()


def test_the_producers_own_metrics_parse_into_a_sample() -> None:
    metrics = Metrics()
    metrics.requests.labels("spotify", "/albums", "200").inc(3)
    metrics.requests.labels("spotify", "/albums", "429").inc()
    metrics.rate_limited.labels("spotify", "/albums").inc()
    metrics.records.labels("spotify", "spotify.albums").inc(20)
    metrics.cycle_duration.labels("spotify").observe(4.0)
    metrics.cycles.labels("spotify", "completed").inc()
    metrics.last_success.labels("spotify").set(1_700_000_000)
    metrics.skipped.labels("spotify", "audio_analysis").set(1)
    metrics.coverage.labels("spotify", "new_albums").set(0.5)

    sample = parse_metrics(exposition(metrics), at=10.0)

    assert sample.requests == {("/albums", "200"): 3, ("/albums", "429"): 1}
    assert sample.rate_limited == {"/albums": 1}
    assert sample.records == {"spotify.albums": 20}
    assert sample.cycles == {"completed": 1}
    assert sample.cycle_seconds == 4.0
    assert sample.last_success == 1_700_000_000
    assert sample.skipped == ("audio_analysis",)
    assert sample.coverage == {"new_albums": 0.5}


def test_rates_and_cycles_between_samples() -> None:
    metrics = Metrics()
    history = History(max_points=100)
    history.add(parse_metrics(exposition(metrics), at=100.0))
    metrics.records.labels("spotify", "spotify.albums").inc(50)
    history.add(parse_metrics(exposition(metrics), at=105.0))
    metrics.records.labels("spotify", "spotify.albums").inc(10)
    metrics.cycle_duration.labels("spotify").observe(12.0)
    metrics.cycles.labels("spotify", "completed").inc()
    history.add(parse_metrics(exposition(metrics), at=110.0))

    view = history.view()

    assert view["rate"] == {"t": [105.0, 110.0], "by_topic": {"spotify.albums": [10.0, 2.0]}}
    assert view["cycles"] == [
        {"ended": 110.0, "result": "completed", "duration_s": 12.0, "records": 60.0, "cycles": 1.0}
    ]


def test_a_restarted_producer_counts_from_zero_again() -> None:
    history = History(max_points=100)
    before = Metrics()
    before.records.labels("spotify", "spotify.albums").inc(1_000)
    history.add(parse_metrics(exposition(before), at=0.0))
    after = Metrics()  # a new process: counters at zero
    after.records.labels("spotify", "spotify.albums").inc(30)
    history.add(parse_metrics(exposition(after), at=10.0))

    assert history.view()["rate"]["by_topic"] == {"spotify.albums": [3.0]}


def test_cycles_before_the_first_sample_are_one_entry() -> None:
    metrics = Metrics()
    for seconds in (2.0, 4.0):
        metrics.cycle_duration.labels("spotify").observe(seconds)
        metrics.cycles.labels("spotify", "completed").inc()
    metrics.last_success.labels("spotify").set(50.0)
    metrics.records.labels("spotify", "spotify.tracks").inc(7)
    history = History(max_points=100)
    history.add(parse_metrics(exposition(metrics), at=60.0))

    assert history.view()["cycles"] == [
        {"ended": 50.0, "result": "earlier", "duration_s": 3.0, "records": 7.0, "cycles": 2.0}
    ]


def test_each_source_has_its_line() -> None:
    metrics = Metrics()
    spotify, github = metrics.source("spotify"), metrics.source("github")
    history = History(max_points=100)
    spotify.observe_commit({"spotify.albums": 10})
    history.add(parse_metrics(exposition(metrics), at=100.0))
    spotify.observe_commit({"spotify.albums": 40})
    github.observe_commit({"github.releases": 5})
    metrics.cycles.labels("github", "interrupted").inc()
    metrics.last_completed.labels("github").set(0)
    history.add(parse_metrics(exposition(metrics), at=110.0))

    sources = history.view()["sources"]

    assert list(sources) == ["github", "spotify"]
    assert sources["spotify"]["records"] == 50.0
    assert sources["spotify"]["rate"] == 4.0
    assert sources["spotify"]["last_cycle"] is None
    assert sources["github"]["records"] == 5.0
    assert sources["github"]["rate"] is None  # its first sample: no rate yet
    assert sources["github"]["cycle_count"] == {"interrupted": 1.0}
    assert sources["github"]["last_cycle"] == "interrupted"
