"""The producer as its Prometheus endpoint shows it, sampled over time.

One scrape is a :class:`~tunestream.runtime.metrics.Sample` of the counters; :class:`History`
keeps the last samples and turns them into what a person looks at: records per second by topic,
one entry per cycle (when it ended, how long it took, how it ended, what it wrote), and a line
per source (its rate, its cycles, how its last one ended). A counter that goes down means the
producer restarted; the new value then counts from zero.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any

from tunestream.runtime.metrics import Sample

__all__ = ["History"]


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


def _rates(before: Sample, after: Sample) -> dict[str, float] | None:
    """Records per second by topic from one sample to the next; None when no time passed."""
    span = after.at - before.at
    if span <= 0:
        return None
    return {
        topic: _increase(n, before.records.get(topic, 0.0)) / span
        for topic, n in after.records.items()
    }


class History:
    """The last samples, the cycles seen end between them, and each source's own history."""

    def __init__(self, max_points: int) -> None:
        self._max_points = max_points
        self._samples: deque[Sample] = deque(maxlen=max_points)
        self._cycles: deque[_Cycle] = deque(maxlen=max_points)
        self._records_since_cycle = 0.0
        self._sources: dict[str, History] = {}

    @property
    def latest(self) -> Sample | None:
        return self._samples[-1] if self._samples else None

    def add(self, sample: Sample) -> None:
        previous = self.latest
        self._samples.append(sample)
        for name, own in sample.sources.items():
            self._sources.setdefault(name, History(self._max_points)).add(own)
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
        """The JSON the dashboard draws: rates, cycles, requests, 429s, plan, coverage, and a
        line per source (:meth:`summary`)."""
        latest = self.latest
        assert latest is not None, "view() after the first sample only"
        times: list[float] = []
        rates: dict[str, list[float]] = {topic: [] for topic in latest.records}
        for before, after in itertools.pairwise(self._samples):
            step = _rates(before, after)
            if step is None:
                continue
            times.append(after.at)
            for topic, series in rates.items():
                series.append(step.get(topic, 0.0))
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
            "sources": {name: own.summary() for name, own in sorted(self._sources.items())},
        }

    def summary(self) -> dict[str, Any]:
        """A source's line: records written, records/s between the last two samples (None
        before the second), cycles by result, how the last cycle ended, when the last good one
        did, requests, 429s and the resources skipped."""
        latest = self.latest
        assert latest is not None, "summary() after the first sample only"
        step = _rates(self._samples[-2], latest) if len(self._samples) > 1 else None
        return {
            "records": sum(latest.records.values()),
            "rate": None if step is None else sum(step.values()),
            "cycle_count": latest.cycles,
            "last_cycle": latest.last_cycle,
            "last_success": latest.last_success,
            "requests": sum(latest.requests.values()),
            "rate_limited": sum(latest.rate_limited.values()),
            "skipped": list(latest.skipped),
        }
