"""Topic roots: the records other sources wrote, read as this cycle's input.

A ``kind: topic`` root reads, each cycle, what its topic holds past the consumer group's committed
position (:class:`~tunestream.kafka.feed.TopicFeed`), a poll at a time. Each record's value
(JSON) goes to :meth:`Lookups.fan_out` like a list's item, which queues the ids its children
select, with the topic's name as their context (the records they give carry it: a
``tunestream.input`` header); the positions read to go to the committer at once
(:meth:`Committer.consumed`), in the same step as those queue changes, so one transaction holds
both: a crash before it commits re-reads the records, one after it finds them queued. A value
that is not JSON is a dead letter (its key names it). A cycle reads at most the root's
``max_records``; the rest is its backlog, read by the next cycle, which the producer starts at
once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import orjson

from tunestream.errors import MalformedBody
from tunestream.kafka.feed import TopicFeed
from tunestream.runtime.context import CycleContext
from tunestream.runtime.listed import FanOut
from tunestream.spec.models import TopicResource

__all__ = ["OpenFeed", "read_topics"]

OpenFeed = Callable[[TopicResource], TopicFeed]
"""Opens a feed on a topic root's topic (its position: the group's committed offsets)."""

_POLL = 500
"""Records a poll takes at most: the unit of fan-out between two chances to commit."""


async def read_topics(ctx: CycleContext, fan_out: FanOut, open_feed: OpenFeed) -> bool:
    """Read each open topic root of the plan to its end or its ``max_records``; return whether
    one has records left (a backlog)."""
    backlog = False
    for root in ctx.plan.roots:
        resource = ctx.spec.resources[root]
        if isinstance(resource, TopicResource) and ctx.plan.is_open(root):
            feed = await asyncio.to_thread(_opened, open_feed, resource)
            try:
                backlog |= await _read(ctx, fan_out, root, resource, feed)
            finally:
                await asyncio.to_thread(feed.close)
    return backlog


def _opened(open_feed: OpenFeed, resource: TopicResource) -> TopicFeed:
    feed = open_feed(resource)
    feed.open()
    return feed


async def _read(
    ctx: CycleContext, fan_out: FanOut, root: str, resource: TopicResource, feed: TopicFeed
) -> bool:
    stats = ctx.report.stats[root]
    group = feed.group_metadata()
    context = {"input": feed.topic}  # the records' provenance: a tunestream.input header
    taken = 0
    while taken < resource.max_records:
        ctx.pool.check()
        polled = await asyncio.to_thread(feed.poll, min(_POLL, resource.max_records - taken))
        for key, value in polled.records:
            item = key.decode("utf-8", "replace") if key is not None else ""
            if value is None:
                continue  # a tombstone: nothing to look up
            try:
                record = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                error = MalformedBody(f"topic {feed.topic}: record {item!r}: {exc}", body=value)
                ctx.dead_letter(root, [item], error)
                continue
            stats.fetched += 1
            fan_out(root, record, item, context)
        taken += len(polled.records)
        ctx.committer.consumed(polled.positions, group)  # with the queue changes just made
        await ctx.committer.maybe_flush()
        if polled.at_end:
            return False
    return True
