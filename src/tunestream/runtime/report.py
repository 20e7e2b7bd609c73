"""What a cycle did: per resource counts, coverage of the roots, how it ended."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["CycleReport", "ResourceStats", "RootReport"]


@dataclass
class ResourceStats:
    fetched: int = 0
    emitted: int = 0
    missing: int = 0
    dead_letters: int = 0
    skipped: int = 0
    filtered: int = 0
    """Records the resource's ``shape.filter`` dropped."""


@dataclass
class RootReport:
    """What discovery read of one root this cycle, out of the parts its query tree has; a cycle
    resumed after an interruption counts what it read before it too."""

    parts: int
    """Leaves of the root's tree (the parts read; split parts are not)."""
    read: int
    """Parts read to their end this cycle."""
    requests: int
    """Pages this root asked for this cycle."""
    results: int
    """Results the parts reported when last read (an album that matches two parts counts twice)."""
    results_read: int
    """Of those, the results of the parts read this cycle."""
    stalest_read_at: float | None
    """When the part read longest ago was read; None: a part was never read to its end."""
    found: int = 0
    """Distinct items found this cycle. Across an interruption the two sides' counts add up (the
    items are not kept): an item met on both counts twice."""

    @property
    def coverage(self) -> float:
        """Share of the root's results read this cycle (1.0: a complete pass)."""
        return self.results_read / self.results if self.results else 0.0


@dataclass
class CycleReport:
    cycle_id: str
    mode: str
    resumed: bool
    completed: bool = False
    interrupted: str | None = None
    retry_after_s: float | None = None
    backlog: bool = False
    """A topic root has records past its ``max_records`` left: the next cycle is due at once."""
    stats: dict[str, ResourceStats] = field(default_factory=dict)
    discovery: dict[str, RootReport] = field(default_factory=dict)
    """Per discovery root: what this cycle read of its query tree."""
    oversized: Counter[str] = field(default_factory=Counter)
    """Records too large for their topic (dead letters instead), by topic."""
    duration_s: float = 0.0

    def summary(self, now: float) -> str:
        """One line: how the cycle ended, what it wrote, what it read of each root."""
        emitted = ", ".join(
            f"{name} {stats.emitted}" for name, stats in self.stats.items() if stats.emitted
        )
        coverage = "".join(
            f"; {root}: {r.read}/{r.parts} parts read in {r.requests} requests"
            + (f" ({r.coverage:.0%} of its results)" if r.results else "")
            + f", {r.found} found"
            + (
                ""
                if r.stalest_read_at is None
                else f", stalest part read {(now - r.stalest_read_at) / 3600:.1f} h ago"
            )
            for root, r in self.discovery.items()
        )
        outcome = "completed" if self.completed else f"interrupted ({self.interrupted})"
        backlog = "; records left in its input topics: the next cycle starts now"
        return (
            f"cycle {self.cycle_id} {outcome} in {self.duration_s:.1f} s: "
            f"{emitted or 'nothing new'}{coverage}{backlog if self.backlog else ''}"
        )
