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
once. A probe (``tunestream spec try --input``) reads records given in memory instead
(:class:`GivenFeed`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

import orjson

from tunestream.errors import MalformedBody
from tunestream.kafka.feed import Polled
from tunestream.runtime.context import CycleContext
from tunestream.runtime.listed import FanOut
from tunestream.spec.models import TopicResource

__all__ = ["Feed", "GivenFeed", "OpenFeed", "read_topics"]


class Feed(Protocol):
    """What a topic root reads: :class:`~tunestream.kafka.feed.TopicFeed`, or records given."""

    topic: str

    def open(self) -> None: ...

    def poll(self, limit: int, timeout_s: float = 1.0) -> Polled: ...

    def group_metadata(self) -> object: ...

    def close(self) -> None: ...


OpenFeed = Callable[[TopicResource], Feed]
"""Opens a topic root's feed (a Kafka topic's starts at the group's committed offsets)."""


class GivenFeed:
    """Records given in memory as a topic's (keys and values), read once; no positions."""

    def __init__(self, topic: str, records: Sequence[tuple[bytes | None, bytes | None]]) -> None:
        self.topic = topic
        self._left = list(records)

    def open(self) -> None:
        pass

    def poll(self, limit: int, timeout_s: float = 1.0) -> Polled:
        taken, self._left = self._left[:limit], self._left[limit:]
        return Polled(taken, [], at_end=not self._left)

    def group_metadata(self) -> object:
        return None

    def close(self) -> None:
        pass


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


def _opened(open_feed: OpenFeed, resource: TopicResource) -> Feed:
    feed = open_feed(resource)
    feed.open()
    return feed


async def _read(
    ctx: CycleContext, fan_out: FanOut, root: str, resource: TopicResource, feed: Feed
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
