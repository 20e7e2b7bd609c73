"""What a cycle did: per resource counts, coverage of the roots, how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CycleReport", "ResourceStats"]


@dataclass
class ResourceStats:
    fetched: int = 0
    emitted: int = 0
    missing: int = 0
    dead_letters: int = 0
    skipped: int = 0


@dataclass
class CycleReport:
    cycle_id: str
    mode: str
    resumed: bool
    completed: bool = False
    interrupted: str | None = None
    retry_after_s: float | None = None
    stats: dict[str, ResourceStats] = field(default_factory=dict)
    coverage: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per discovery root with a reported total: (distinct items found, items the API has)."""
    duration_s: float = 0.0
