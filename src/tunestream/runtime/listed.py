"""The records of one page of a list — a root's or a sublist's: emitted once, queued onward.

A record is emitted once: lists are read again (from the start, or from an inclusive ``since``),
so an emitting list with ``dedupe`` remembers what it wrote. An incremental list remembers each
record's id with its version (``<id>@<version>``): the same version is not written twice, a new
version (an edit) is. Within a cycle, a record met twice (overlapping queries, a list that shifted
while it was paged) is taken once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tunestream.records import Record
from tunestream.runtime.context import CycleContext
from tunestream.runtime.versions import higher, version_of
from tunestream.spec.models import ListResource, SubListResource, select_ids
from tunestream.state.work import Context

__all__ = ["FanOut", "take_listed"]

FanOut = Callable[[str, Any, str, Context], None]
"""Queues the children's work of a record: (resource, record, item id, context)."""


def take_listed(
    ctx: CycleContext,
    name: str,
    resource: ListResource | SubListResource,
    records: list[Any],
    context: Context,
    found: set[str],
    fan_out: FanOut,
) -> str | None:
    """Emit the page's records not emitted before, queue their children's work; return the
    highest version on the page (incremental lists; else None)."""
    incremental = resource.incremental
    high: str | None = None
    out: list[Record] = []
    for record in records:
        ids = select_ids(record, resource.key)
        if not ids:
            continue
        item = ids[0]
        version = version_of(incremental, record) if incremental is not None else None
        high = higher(high, version)
        taken = item if version is None else f"{item}@{version}"
        if taken in found:
            continue
        found.add(taken)
        if resource.emit:
            if resource.dedupe is not None:
                if ctx.state.seen(name, taken):
                    continue
                ctx.state.remember(name, taken, ctx.clock())
            out.append(ctx.wire.record(resource.emit, resource.schema_id, item, record, context))
        fan_out(name, record, item, context)
    stats = ctx.report.stats[name]
    stats.fetched += len(records)
    stats.emitted += len(out)
    ctx.committer.add(out)
    return high
