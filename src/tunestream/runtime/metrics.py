"""The producer's Prometheus metrics, and how they read back.

One process, one registry (so tests can read it, and one endpoint serves every source): a
:class:`Metrics` holds the collectors, and each source observes through its
:class:`SourceMetrics`, which labels every series with the source's name (``source``).
:func:`parse_metrics` reads the text exposition back into a :class:`Sample` — every source's
counters added up, and each source's own — for the dashboard and ``tunestream status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from tunestream.errors import ComponentError
from tunestream.http.exchange import Attempt
from tunestream.net import LOOPBACK, ensure_free
from tunestream.runtime.report import CycleReport

__all__ = ["Metrics", "Sample", "SourceMetrics", "parse_metrics", "scrape"]

_PREFIX = "tunestream_"


class Metrics:
    """The collectors of one producer process, each labelled by source."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tunestream_http_requests",
            "HTTP attempts by endpoint and outcome (status code, timeout, connection, …).",
            ["source", "endpoint", "outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "tunestream_http_rate_limited",
            "Responses with status 429.",
            ["source", "endpoint"],
            registry=self.registry,
        )
        self.records = Counter(
            "tunestream_records",
            "Records committed to Kafka, by topic.",
            ["source", "topic"],
            registry=self.registry,
        )
        self.oversized = Counter(
            "tunestream_records_oversized",
            "Records too large for their topic, sent as dead letters instead, by topic.",
            ["source", "topic"],
            registry=self.registry,
        )
        self.cycle_duration = Histogram(
            "tunestream_cycle_duration_seconds",
            "Wall time of a cycle (or of the part of it run by one attempt).",
            ["source"],
            buckets=(1, 5, 15, 60, 300, 900, 1800, 3600, 7200),
            registry=self.registry,
        )
        self.last_success = Gauge(
            "tunestream_last_successful_cycle_timestamp_seconds",
            "When the last cycle completed (Unix time).",
            ["source"],
            registry=self.registry,
        )
        self.last_completed = Gauge(
            "tunestream_last_cycle_completed",
            "1 when the source's last cycle completed, 0 when it was interrupted.",
            ["source"],
            registry=self.registry,
        )
        self.cycles = Counter(
            "tunestream_cycles",
            "Cycle attempts by result (completed, interrupted).",
            ["source", "result"],
            registry=self.registry,
        )
        self.skipped = Gauge(
            "tunestream_resource_skipped",
            "1 when the plan skips a resource (closed to the credentials, or switched off).",
            ["source", "resource"],
            registry=self.registry,
        )
        self.coverage = Gauge(
            "tunestream_discovery_coverage_ratio",
            "Share of a discovery root's results read in the last cycle (1: a complete pass).",
            ["source", "root"],
            registry=self.registry,
        )
        self.stalest = Gauge(
            "tunestream_discovery_stalest_read_timestamp_seconds",
            "When the part of a discovery root read longest ago was read (epoch seconds).",
            ["source", "root"],
            registry=self.registry,
        )

    def source(self, name: str) -> SourceMetrics:
        """What source ``name`` observes through."""
        return SourceMetrics(self, name)

    def serve(self, port: int) -> None:
        """Serve ``/metrics`` on 127.0.0.1:``port``; a taken port is one line naming the
        setting."""
        ensure_free(port, setting="producer.metrics_port", error=ComponentError)
        start_http_server(port, addr=LOOPBACK, registry=self.registry)


class SourceMetrics:
    """One source's observations, each labelled with its name."""

    def __init__(self, metrics: Metrics, source: str) -> None:
        self.metrics = metrics
        self.source = source

    @property
    def registry(self) -> CollectorRegistry:
        return self.metrics.registry

    def observe_attempt(self, attempt: Attempt) -> None:
        self.metrics.requests.labels(self.source, attempt.endpoint, attempt.outcome).inc()
        if attempt.status == 429:
            self.metrics.rate_limited.labels(self.source, attempt.endpoint).inc()

    def observe_commit(self, counts: Mapping[str, int]) -> None:
        """A unit committed: its records per topic."""
        for topic, count in counts.items():
            self.metrics.records.labels(self.source, topic).inc(count)

    def observe_cycle(self, report: CycleReport, skipped: list[str], finished_at: float) -> None:
        m = self.metrics
        m.cycle_duration.labels(self.source).observe(report.duration_s)
        m.cycles.labels(self.source, "completed" if report.completed else "interrupted").inc()
        m.last_completed.labels(self.source).set(1 if report.completed else 0)
        if report.completed:
            m.last_success.labels(self.source).set(finished_at)
        for topic, count in report.oversized.items():
            m.oversized.labels(self.source, topic).inc(count)
        for name in skipped:
            m.skipped.labels(self.source, name).set(1)
        for root, discovery in report.discovery.items():
            m.coverage.labels(self.source, root).set(discovery.coverage)
            if discovery.stalest_read_at is not None:
                m.stalest.labels(self.source, root).set(discovery.stalest_read_at)


@dataclass(frozen=True)
class Sample:
    """The producer's counters at one moment (Unix time ``at``): of all its sources added up, or
    of one source."""

    at: float
    records: dict[str, float] = field(default_factory=dict)
    """Records committed, by topic."""
    requests: dict[tuple[str, str], float] = field(default_factory=dict)
    """HTTP attempts by (endpoint, outcome)."""
    rate_limited: dict[str, float] = field(default_factory=dict)
    """429s by endpoint."""
    cycles: dict[str, float] = field(default_factory=dict)
    """Cycle attempts by result (completed, interrupted)."""
    cycle_seconds: float = 0.0
    """The sum of all cycles' durations."""
    last_success: float | None = None
    """When the last cycle completed (of any source: the latest)."""
    last_completed: float | None = None
    """1 when the last cycle completed, 0 when interrupted (of all sources: the lowest)."""
    skipped: tuple[str, ...] = ()
    coverage: dict[str, float] = field(default_factory=dict)
    """Per discovery root (of all sources: the lowest)."""
    sources: dict[str, Sample] = field(default_factory=dict)
    """Each source's own sample, by name (empty in a source's sample)."""

    @property
    def cycle_count(self) -> float:
        return sum(self.cycles.values())

    @property
    def last_cycle(self) -> str | None:
        """How the last cycle ended: ``completed`` or ``interrupted``; None before the first
        (of all sources: ``interrupted`` when one's was)."""
        if self.last_completed is None:
            return None
        return "completed" if self.last_completed else "interrupted"


_Item = tuple[str, dict[str, str], float]


def parse_metrics(text: str, at: float) -> Sample:
    """A sample from the Prometheus text exposition format, with each source's in ``sources``."""
    items = [
        (sample.name.removeprefix(_PREFIX), sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]
    by_source: dict[str, list[_Item]] = {}
    for item in items:
        by_source.setdefault(item[1].get("source", ""), []).append(item)
    return replace(
        _sample(items, at),
        sources={name: _sample(group, at) for name, group in sorted(by_source.items())},
    )


def _sample(items: list[_Item], at: float) -> Sample:
    records: dict[str, float] = {}
    requests: dict[tuple[str, str], float] = {}
    rate_limited: dict[str, float] = {}
    cycles: dict[str, float] = {}
    cycle_seconds = 0.0
    last_success: float | None = None
    last_completed: float | None = None
    skipped: set[str] = set()
    coverage: dict[str, float] = {}
    for name, labels, value in items:
        if name == "records_total":
            records[labels["topic"]] = records.get(labels["topic"], 0.0) + value
        elif name == "http_requests_total":
            key = (labels["endpoint"], labels["outcome"])
            requests[key] = requests.get(key, 0.0) + value
        elif name == "http_rate_limited_total":
            rate_limited[labels["endpoint"]] = rate_limited.get(labels["endpoint"], 0.0) + value
        elif name == "cycles_total":
            cycles[labels["result"]] = cycles.get(labels["result"], 0.0) + value
        elif name == "cycle_duration_seconds_sum":
            cycle_seconds += value
        elif name == "last_successful_cycle_timestamp_seconds":
            last_success = max(last_success or 0.0, value)
        elif name == "last_cycle_completed":
            last_completed = value if last_completed is None else min(last_completed, value)
        elif name == "resource_skipped" and value > 0:
            skipped.add(labels["resource"])
        elif name == "discovery_coverage_ratio":
            coverage[labels["root"]] = min(coverage.get(labels["root"], value), value)
    return Sample(
        at,
        records,
        requests,
        rate_limited,
        cycles,
        cycle_seconds,
        last_success,
        last_completed,
        tuple(sorted(skipped)),
        coverage,
    )


def scrape(url: str, at: float, timeout_s: float = 3.0) -> Sample:
    """Read the endpoint once; raises httpx.HTTPError when it does not answer."""
    response = httpx.get(url, timeout=timeout_s)
    response.raise_for_status()
    return parse_metrics(response.text, at)
