"""The records of one page of a list — a root's or a sublist's: emitted once, queued onward —
and the one way every resource turns a record into its Kafka record (:func:`emitted`).

A record is emitted once: lists are read again (from the start, or from an inclusive ``since``),
so an emitting list with ``dedupe`` remembers what it wrote. An incremental list remembers each
record's id with its version (``<id>@<version>``): the same version is not written twice, a new
version (an edit) is. Within a cycle, a record met twice (overlapping queries, a list that shifted
while it was paged) is taken once. A record without an id (none at the resource's ``key``) is a
dead letter, never dropped unseen; a null in the list is counted missing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import orjson

from tunestream.errors import MalformedBody
from tunestream.records import Record
from tunestream.runtime.context import CycleContext
from tunestream.runtime.versions import higher, version_of
from tunestream.spec.models import ListResource, LookupResource, SubListResource, select_ids
from tunestream.state.work import Context

__all__ = ["FanOut", "emitted", "take_listed"]

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
    parent: str | None = None,
) -> str | None:
    """Emit the page's records not emitted before (in their version, where they have one), queue
    their children's work; return the highest version on the page (incremental lists; else
    None). ``parent``: a sublist's item."""
    incremental = resource.incremental
    path = incremental.cursor_path if incremental else resource.dedupe and resource.dedupe.version
    high: str | None = None
    out: list[Record] = []
    for record in records:
        ids = select_ids(record, resource.key)
        if not ids:
            _idless(ctx, name, resource.key, record)
            continue
        item = ids[0]
        version = version_of(path, record) if path else None
        high = higher(high, version) if incremental is not None else None
        taken = item if version is None else f"{item}@{version}"
        if taken in found:
            continue
        found.add(taken)
        written = emitted(ctx, resource, item, record, context, parent)
        if written is False:
            ctx.report.stats[name].filtered += 1
            continue
        if written is not None:
            if resource.dedupe is not None:
                if ctx.state.seen(name, taken):
                    continue
                ctx.state.remember(name, taken, ctx.clock())
            if ctx.fits(name, item, written):
                out.append(written)
        fan_out(name, record, item, context)
    stats = ctx.report.stats[name]
    stats.fetched += len(records)
    stats.emitted += len(out)
    ctx.committer.add(out)
    return high


def _idless(ctx: CycleContext, name: str, key: str, record: Any) -> None:
    if record is None:
        ctx.report.stats[name].missing += 1
        return
    error = MalformedBody(f"{name}: a record without an id at {key!r}", body=orjson.dumps(record))
    ctx.dead_letter(name, [], error)


def emitted(
    ctx: CycleContext,
    resource: ListResource | SubListResource | LookupResource,
    item: str,
    record: Any,
    context: Context,
    parent: str | None = None,
) -> Record | Literal[False] | None:
    """The Kafka record of a fetched record, shaped as the resource says (keyed by ``item``
    unless the shape names a key): None for a resource that writes nothing, False when the
    shape's filter drops the record (it goes nowhere, not to the children either)."""
    shape = resource.shape
    value, key, stamp = record, item, None
    if shape is not None:
        document = {**context, "parent": {"id": parent}} if parent is not None else context
        shaped = shape.apply(record, document)
        if shaped is None:
            return False
        value, key, stamp = shaped.value, shaped.key or item, shaped.timestamp_ms
    if not resource.emit:
        return None
    return ctx.wire.record(
        resource.emit, resource.schema_id, key, value, context, timestamp_ms=stamp
    )
