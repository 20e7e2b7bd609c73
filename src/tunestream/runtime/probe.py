"""A probe: one cycle that tries each resource once and keeps what it writes in memory.

The cycle is the producer's own (:class:`~tunestream.runtime.cycle.CycleRunner` with
``probe=True``): discovery reads the first page of each root (of its first part), every other
resource makes its first request — a batch of ids, one id, one next page — and the records go to
a committer whose writers are :class:`~tunestream.runtime.committer.MemoryWriter` s: nothing
reaches Kafka. A topic root reads nothing, or the records a sample is given for it.
``produce --plan`` learns from a probe what the credentials may use and what a cycle costs;
``tunestream spec try`` shows the records of a :func:`sample`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import httpx

from tunestream.http.client import RestClient
from tunestream.records import Record
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.runtime.cycle import CycleRunner
from tunestream.runtime.inputs import GivenFeed, OpenFeed
from tunestream.runtime.plan import Plan
from tunestream.runtime.report import CycleReport
from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sources.plan import PLAN
from tunestream.spec.models import ListResource, SourceSpec, TopicResource
from tunestream.state.work import WorkState

__all__ = ["Sample", "probe", "sample"]


async def probe(
    spec: SourceSpec,
    client: RestClient,
    plan: Plan,
    topics: Mapping[str, str],
    mode: str,
    *,
    on_unit: Callable[[list[Record]], object] = lambda unit: None,
    open_feed: OpenFeed | None = None,
) -> tuple[WorkState, CycleReport]:
    """Run a probe cycle of ``mode``; each committed unit of records goes to ``on_unit``.
    Returns the state it left (the roots' first cursors) and its report."""
    state = WorkState()
    committer = Committer(MemoryWriter.pair(on_unit), state, state_topic="", prefix="")
    runner = CycleRunner(
        spec, client, state, committer, plan, topics, concurrency=1, probe=True, open_feed=open_feed
    )
    return state, await runner.run(mode)


@dataclass(frozen=True)
class Sample:
    """What a probe wrote: the first records of each topic asked for, and the probe's report."""

    records: dict[str, list[Record]]
    """Topic (a ``kafka.topics`` key, which is also the records' topic) → its records, in the
    order of the resources asked for."""
    report: CycleReport


async def sample(
    spec: SourceSpec,
    mode: str,
    resources: Collection[str],
    limit: int,
    *,
    given: Mapping[str, Sequence[bytes]] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Sample:
    """The first ``limit`` records each of ``resources`` writes in a probe of ``mode``; a topic
    root reads the values ``given`` for it (JSON, as its topic would hold them), else nothing.

    Only what they need is fetched: the mode's roots, and the resources on the way from them to
    ``resources``; every other one is switched off. No configuration is read: the records'
    topics are named by their ``kafka.topics`` keys."""
    needed = set(resources)
    for name in reversed(spec.order()):  # children first: each adds its parents before they come
        if name in needed:
            needed.update(spec.parents(name))
    roots = spec.modes[mode]
    fallbacks = {
        fallback
        for root in roots
        if isinstance(resource := spec.resources[root], ListResource)
        and (fallback := resource.fallback)
    }
    # the mode's roots stay open (a probe reads the first page of each), and their fallbacks,
    # which replace a root the API forbids
    skip = frozenset(set(spec.resources) - needed - set(roots) - fallbacks)
    writes = {topic for name in spec.resources if (topic := spec.emits(name))}
    topics = {key: key for key in writes | {DEAD_LETTER_TOPIC, PLAN}}
    records: dict[str, list[Record]] = {
        topic: [] for name in resources if (topic := spec.emits(name))
    }

    def keep(unit: list[Record]) -> None:
        for record in unit:
            kept = records.get(record.topic)
            if kept is not None and len(kept) < limit:
                kept.append(record)

    by_topic = {
        resource.topic: values
        for root, values in (given or {}).items()
        if isinstance(resource := spec.resources[root], TopicResource)
    }

    def open_feed(resource: TopicResource) -> GivenFeed:
        return GivenFeed(
            resource.topic, [(None, value) for value in by_topic.get(resource.topic, ())]
        )

    plan = Plan.initial(spec, mode, skip)
    async with RestClient.from_config(spec.client, transport=transport) as client:
        _, report = await probe(spec, client, plan, topics, mode, on_unit=keep, open_feed=open_feed)
    return Sample(records, report)
