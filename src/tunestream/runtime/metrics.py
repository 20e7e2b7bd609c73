"""The producer's Prometheus metrics, on their own registry (so tests can read them)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from tunestream.http.exchange import Attempt
from tunestream.runtime.report import CycleReport

__all__ = ["Metrics"]


class Metrics:
    def __init__(self, source: str) -> None:
        self.source = source
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

    def observe_attempt(self, attempt: Attempt) -> None:
        self.requests.labels(self.source, attempt.endpoint, attempt.outcome).inc()
        if attempt.status == 429:
            self.rate_limited.labels(self.source, attempt.endpoint).inc()

    def observe_commit(self, counts: Mapping[str, int]) -> None:
        """A unit committed: its records per topic."""
        for topic, count in counts.items():
            self.records.labels(self.source, topic).inc(count)

    def observe_cycle(self, report: CycleReport, skipped: list[str], finished_at: float) -> None:
        self.cycle_duration.labels(self.source).observe(report.duration_s)
        self.cycles.labels(self.source, "completed" if report.completed else "interrupted").inc()
        if report.completed:
            self.last_success.labels(self.source).set(finished_at)
        for name in skipped:
            self.skipped.labels(self.source, name).set(1)
        for root, discovery in report.discovery.items():
            self.coverage.labels(self.source, root).set(discovery.coverage)
            if discovery.stalest_read_at is not None:
                self.stalest.labels(self.source, root).set(discovery.stalest_read_at)

    def serve(self, port: int) -> None:
        start_http_server(port, addr="127.0.0.1", registry=self.registry)
