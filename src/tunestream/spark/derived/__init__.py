"""The derived tables, one module each with its builder, the slices or keys a batch touches and
the entities that trigger it; the job loops over :func:`tables`."""

from __future__ import annotations

from tunestream.spark.derived import artist_activity, release_stats
from tunestream.spark.derived.base import Derived
from tunestream.spark.derived.tracks_enriched import TracksEnriched

__all__ = ["tables"]


def tables() -> tuple[Derived, ...]:
    """The derived tables, in the order a batch writes them (concurrently); a run's own state
    (how far tracks_enriched has swept) is new each call."""
    return (TracksEnriched(), release_stats.TABLE, artist_activity.TABLE)
