"""One registry for every source of a producer process: each series labelled by its source, read
back added up and source by source."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest

from tunestream.http.exchange import Attempt
from tunestream.runtime.metrics import Metrics, parse_metrics
from tunestream.runtime.report import CycleReport, RootReport

pytestmark = pytest.mark.unit


def report(*, completed: bool, duration_s: float) -> CycleReport:
    cycle = CycleReport("c1", "full", resumed=False, completed=completed, duration_s=duration_s)
    cycle.discovery = {"search": RootReport(4, 2, 10, 100, 50, stalest_read_at=1_000.0)}
    return cycle


def two_sources() -> Metrics:
    metrics = Metrics()
    spotify, github = metrics.source("spotify"), metrics.source("github")
    spotify.observe_attempt(Attempt("/albums", "200", 200, 0.1))
    spotify.observe_attempt(Attempt("/albums", "429", 429, 0.1))
    github.observe_attempt(Attempt("/repos", "200", 200, 0.1))
    github.observe_attempt(Attempt("/repos", "200", 200, 0.1))
    spotify.observe_commit({"spotify.albums": 20})
    github.observe_commit({"github.releases": 3})
    spotify.observe_cycle(report(completed=True, duration_s=4.0), ["audio_analysis"], 1_700.0)
    github.observe_cycle(report(completed=False, duration_s=2.0), [], 1_800.0)
    return metrics


def test_every_series_carries_its_source() -> None:
    text = generate_latest(two_sources().registry).decode()
    series = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert series
    assert all('source="spotify"' in line or 'source="github"' in line for line in series)
    for family in (
        "tunestream_http_requests_total",
        "tunestream_records_total",
        "tunestream_cycles_total",
        "tunestream_cycle_duration_seconds_sum",
        "tunestream_last_cycle_completed",
        "tunestream_discovery_coverage_ratio",
    ):
        for source in ("spotify", "github"):
            assert any(
                line.startswith(f"{family}{{") and f'source="{source}"' in line for line in series
            ), (family, source)
    assert 'tunestream_http_rate_limited_total{endpoint="/albums",source="spotify"} 1.0' in series
    assert 'tunestream_last_cycle_completed{source="github"} 0.0' in series


def test_the_sample_adds_the_sources_up_and_keeps_each() -> None:
    sample = parse_metrics(generate_latest(two_sources().registry).decode(), at=10.0)

    assert sample.records == {"spotify.albums": 20, "github.releases": 3}
    assert sample.cycles == {"completed": 1, "interrupted": 1}
    assert sample.cycle_seconds == 6.0
    assert sample.last_success == 1_700.0
    assert sample.last_cycle == "interrupted"  # one source's last cycle was
    assert set(sample.sources) == {"spotify", "github"}

    spotify, github = sample.sources["spotify"], sample.sources["github"]
    assert spotify.records == {"spotify.albums": 20}
    assert spotify.requests == {("/albums", "200"): 1, ("/albums", "429"): 1}
    assert (spotify.cycles, spotify.last_cycle, spotify.last_success) == (
        {"completed": 1},
        "completed",
        1_700.0,
    )
    assert spotify.skipped == ("audio_analysis",)
    assert github.records == {"github.releases": 3}
    assert github.requests == {("/repos", "200"): 2}
    assert (github.cycles, github.last_cycle, github.last_success) == (
        {"interrupted": 1},
        "interrupted",
        None,
    )
    assert github.skipped == ()


def test_a_source_before_its_first_cycle_has_no_last_cycle() -> None:
    metrics = Metrics()
    metrics.source("spotify").observe_commit({"spotify.albums": 1})
    sample = parse_metrics(generate_latest(metrics.registry).decode(), at=0.0)
    assert sample.sources["spotify"].last_cycle is None


def test_records_too_large_for_their_topic_are_counted_by_source_and_topic() -> None:
    metrics = Metrics()
    spotify = metrics.source("spotify")
    for count in (2, 1):
        cycle = report(completed=True, duration_s=1.0)
        cycle.oversized.update({"spotify.audio_analysis": count})
        spotify.observe_cycle(cycle, [], 1_700.0)
    series = generate_latest(metrics.registry).decode().splitlines()
    assert (
        'tunestream_records_oversized_total{source="spotify",topic="spotify.audio_analysis"} 3.0'
        in series
    )
