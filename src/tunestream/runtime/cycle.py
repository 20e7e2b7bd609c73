"""One cycle of a source: discover what is new, then fetch each resource, parents first.

1. Discovery pages through the plan's list roots (``discovery.py``), and reads its topic roots
   (``inputs.py``: records other sources wrote); each page or poll queues its items for the
   children.
2. Every other resource, in topological order, works off its queue (``lookups.py``) — in full
   batches, since all of its parents are done by then — and queues its own children's work.
3. The cycle ends when every queue is empty.

The cycle publishes its plan first (which topics it delivers to), and again whenever a resource
closes (``context.py``), so that readers of the topics know what not to wait for.

Each finished request's records and state changes go to the :class:`Committer`; a crash at any
moment resumes from the last committed unit. What a failed request means — a missing item, a
dead letter, a step down of the plan, the end of the cycle with its state saved, or an error —
is decided in one place (``outcomes.py``). The other parts: the bounded worker pool
(``pool.py``), the records' wire format (``wire.py``), what they share (``context.py``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from tunestream.errors import FetchError, RateLimited
from tunestream.http.client import RestClient
from tunestream.runtime.committer import Committer
from tunestream.runtime.context import CycleContext
from tunestream.runtime.discovery import Discovery
from tunestream.runtime.inputs import OpenFeed, read_topics
from tunestream.runtime.lookups import Lookups
from tunestream.runtime.outcomes import Outcome, outcome_of
from tunestream.runtime.plan import Plan
from tunestream.runtime.pool import Pool, Stopped
from tunestream.runtime.report import CycleReport, ResourceStats
from tunestream.runtime.wire import Wire
from tunestream.spec.models import ListResource, SourceSpec, TopicResource
from tunestream.state.work import WorkState

__all__ = ["CycleRunner"]

log = logging.getLogger(__name__)


class CycleRunner:
    """Runs (or resumes) the cycle recorded in the work state."""

    def __init__(
        self,
        spec: SourceSpec,
        client: RestClient,
        state: WorkState,
        committer: Committer,
        plan: Plan,
        topics: Mapping[str, str],
        *,
        concurrency: int,
        clock: Callable[[], float] = time.time,
        probe: bool = False,
        discovery_budget: int | None = None,
        open_feed: OpenFeed | None = None,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.spec = spec
        self.client = client
        self.state = state
        self.committer = committer
        self.plan = plan
        self.topics = topics
        self.clock = clock
        self.probe = probe
        """Try each resource once (the first page, the first batch) and stop: ``--plan``."""
        self.discovery_budget = discovery_budget
        self.open_feed = open_feed
        """Opens a topic root's feed; None: topic roots read nothing."""
        self.limits = limits or {}
        """The largest record each topic takes, by name (a topic not there: no limit)."""
        self._pool = Pool(concurrency)
        self.report = CycleReport("", "", resumed=False)

    def stop(self) -> None:
        """Start no new request; ``run`` returns once the ones in flight are committed."""
        self._pool.stop()

    async def run(self, mode: str) -> CycleReport:
        started = time.monotonic()
        cycle = self.state.cycle
        resumed = cycle is not None and cycle.running
        if cycle is None or not cycle.running:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            cycle = self.state.start_cycle(f"{stamp}-{uuid.uuid4().hex[:8]}", mode, self.clock())
        self.report = CycleReport(cycle.id, cycle.mode, resumed)
        self.report.stats = {name: ResourceStats() for name in self.spec.resources}
        ctx = CycleContext(
            self.spec,
            self.client,
            self.state,
            self.committer,
            self.plan,
            self._pool,
            Wire(self.spec.name, cycle.id, self.topics, limits=self.limits),
            self.report,
            self.clock,
            self.probe,
            self.discovery_budget,
        )
        ctx.publish_plan()  # before any record of the cycle: its readers know what will come
        lookups = Lookups(ctx)
        discovery = Discovery(ctx, lookups.fan_out)
        if not resumed:
            for root in self.plan.roots:
                if isinstance(self.spec.resources[root], ListResource):
                    discovery.start(root)
            self._forget_old()
        try:
            await discovery.run()
            self.report.discovery = discovery.report()
            if self.open_feed is not None:
                self.report.backlog = await read_topics(ctx, lookups.fan_out, self.open_feed)
            for name in self.spec.order():
                if not isinstance(self.spec.resources[name], ListResource | TopicResource):
                    await self._work_off(name, lookups)
            self.state.finish_cycle(self.clock())
            self.report.completed = True
        except Stopped:
            self.report.interrupted = "stopped"
        except FetchError as exc:
            if outcome_of(exc) is Outcome.RAISE:
                await self.committer.flush()
                raise
            self.report.interrupted = str(exc)
            if isinstance(exc, RateLimited):
                self.report.retry_after_s = exc.retry_after_s
        await self.committer.flush()
        self.report.duration_s = time.monotonic() - started
        return self.report

    def _forget_old(self) -> None:
        """Drop de-duplication memories past each resource's ``remember_days``."""
        for name, resource in self.spec.resources.items():
            dedupe = getattr(resource, "dedupe", None)
            if dedupe is not None:
                self.state.forget_before(name, self.clock() - dedupe.remember_days * 86_400)

    async def _work_off(self, name: str, lookups: Lookups) -> None:
        """Run the resource's queued work until none is left (the plan may change meanwhile)."""
        while self.plan.is_open(name) and self.state.todo(name):
            access_before = self.plan.access[name]
            batch = lookups.jobs(name)
            # The first request alone: if it teaches the plan a step (403), only it paid.
            self._pool.check()
            await batch[0]()
            if self.probe and self.plan.access[name] is access_before:
                break  # the first request told what there was to tell
            await self._pool.run(batch[1:])
        left = list(self.state.todo(name))
        if left and not self.probe:
            self.state.done(name, left, remember_at=None)
            self.report.stats[name].skipped += len(left)
            log.warning(
                "%s: %d %s item(s) skipped: %s",
                self.spec.name,
                len(left),
                name,
                self.plan.reasons.get(name, "closed"),
            )
