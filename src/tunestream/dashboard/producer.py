"""The producer as its Prometheus endpoint shows it, sampled over time.

One scrape is a :class:`Sample` of the counters; :class:`History` keeps the last samples and
turns them into what a person looks at: records per second by topic, and one entry per cycle
(when it ended, how long it took, how it ended, what it wrote). A counter that goes down means the
producer restarted; the new value then counts from zero.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["History", "Sample", "parse_metrics", "scrape"]

_PREFIX = "tunestream_"


@dataclass(frozen=True)
class Sample:
    """The producer's counters at one moment (Unix time ``at``)."""

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
    skipped: tuple[str, ...] = ()
    coverage: dict[str, float] = field(default_factory=dict)

    @property
    def cycle_count(self) -> float:
        return sum(self.cycles.values())


def parse_metrics(text: str, at: float) -> Sample:
    """A sample from the Prometheus text exposition format."""
    records: dict[str, float] = {}
    requests: dict[tuple[str, str], float] = {}
    rate_limited: dict[str, float] = {}
    cycles: dict[str, float] = {}
    cycle_seconds = 0.0
    last_success: float | None = None
    skipped: list[str] = []
    coverage: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels, value = sample.name.removeprefix(_PREFIX), sample.labels, sample.value
            if name == "records_total":
                records[labels["topic"]] = records.get(labels["topic"], 0.0) + value
            elif name == "http_requests_total":
                key = (labels["endpoint"], labels["outcome"])
                requests[key] = requests.get(key, 0.0) + value
            elif name == "http_rate_limited_total":
                rate_limited[labels["endpoint"]] = value
            elif name == "cycles_total":
                cycles[labels["result"]] = value
            elif name == "cycle_duration_seconds_sum":
                cycle_seconds += value
            elif name == "last_successful_cycle_timestamp_seconds":
                last_success = max(last_success or 0.0, value)
            elif name == "resource_skipped" and value > 0:
                skipped.append(labels["resource"])
            elif name == "discovery_coverage_ratio":
                coverage[labels["root"]] = value
    return Sample(
        at,
        records,
        requests,
        rate_limited,
        cycles,
        cycle_seconds,
        last_success,
        tuple(sorted(skipped)),
        coverage,
    )


def scrape(url: str, at: float, timeout_s: float = 3.0) -> Sample:
    """Read the endpoint once; raises httpx.HTTPError when it does not answer."""
    response = httpx.get(url, timeout=timeout_s)
    response.raise_for_status()
    return parse_metrics(response.text, at)


def _increase(now: float, before: float) -> float:
    """How much a counter grew; after a restart (it went down) all of ``now`` is new."""
    return now - before if now >= before else now


@dataclass(frozen=True)
class _Cycle:
    ended: float
    result: str
    duration_s: float
    """Mean duration of the ``cycles`` cycles this entry stands for."""
    records: float
    cycles: float = 1.0


class History:
    """The last samples, and the cycles seen end between them."""

    def __init__(self, max_points: int) -> None:
        self._samples: deque[Sample] = deque(maxlen=max_points)
        self._cycles: deque[_Cycle] = deque(maxlen=max_points)
        self._records_since_cycle = 0.0

    @property
    def latest(self) -> Sample | None:
        return self._samples[-1] if self._samples else None

    def add(self, sample: Sample) -> None:
        previous = self.latest
        self._samples.append(sample)
        if previous is None:
            if sample.cycle_count > 0:  # the cycles before the first sample, as one entry
                self._cycles.append(
                    _Cycle(
                        sample.last_success or sample.at,
                        "earlier",
                        sample.cycle_seconds / sample.cycle_count,
                        sum(sample.records.values()),
                        sample.cycle_count,
                    )
                )
            return
        written = sum(
            _increase(n, previous.records.get(topic, 0.0)) for topic, n in sample.records.items()
        )
        self._records_since_cycle += written
        ended = _increase(sample.cycle_count, previous.cycle_count)
        if ended <= 0:
            return
        seconds = _increase(sample.cycle_seconds, previous.cycle_seconds)
        results = [
            result
            for result, n in sample.cycles.items()
            if _increase(n, previous.cycles.get(result, 0.0)) > 0
        ]
        self._cycles.append(
            _Cycle(
                sample.at,
                "+".join(sorted(results)) or "completed",
                seconds / ended,
                self._records_since_cycle,
                ended,
            )
        )
        self._records_since_cycle = 0.0

    def view(self) -> dict[str, Any]:
        """The JSON the dashboard draws: rates, cycles, requests, 429s, plan, coverage."""
        latest = self.latest
        assert latest is not None, "view() after the first sample only"
        samples = list(self._samples)
        times: list[float] = []
        rates: dict[str, list[float]] = {topic: [] for topic in latest.records}
        for before, after in itertools.pairwise(samples):
            span = after.at - before.at
            if span <= 0:
                continue
            times.append(after.at)
            for topic in rates:
                grown = _increase(after.records.get(topic, 0.0), before.records.get(topic, 0.0))
                rates[topic].append(grown / span)
        endpoints: dict[str, dict[str, float]] = {}
        for (endpoint, outcome), n in sorted(latest.requests.items()):
            endpoints.setdefault(endpoint, {})[outcome] = n
        return {
            "at": latest.at,
            "records": latest.records,
            "rate": {"t": times, "by_topic": rates},
            "cycles": [
                {
                    "ended": c.ended,
                    "result": c.result,
                    "duration_s": c.duration_s,
                    "records": c.records,
                    "cycles": c.cycles,
                }
                for c in self._cycles
            ],
            "cycle_count": latest.cycles,
            "last_success": latest.last_success,
            "requests": endpoints,
            "rate_limited": latest.rate_limited,
            "plan": {
                "endpoints": sorted(endpoints),
                "skipped": list(latest.skipped),
            },
            "coverage": latest.coverage,
        }
