"""The producer: a source spec run on a schedule into Kafka, exactly once.

Start-up, in this order (the order is what makes restarts safe):

1. check the spec against the settings (mode, skipped resources, topics), and the topics on the
   cluster (there, and keeping records as configured: nothing is written into a topic the
   broker would make up);
2. register the transactional producers (two, taking turns with units: ``<id>`` and
   ``<id>.1``): this fences any older process with the same ids and aborts the transactions it
   left open;
3. read the source state from the state topic — now nothing uncommitted can hide in it;
4. run cycles: resume the cycle the state says is running, else start one; between cycles,
   sleep until the next is due (``interval_s`` ± ``jitter_s``), or as long as the API asked.

SIGINT/SIGTERM stop taking new requests, let the ones in flight finish, commit what they
fetched, and return.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

import httpx

from tunestream.config import Settings
from tunestream.errors import ConfigError, SinkError
from tunestream.http.client import RestClient
from tunestream.http.models import RateLimitConfig
from tunestream.kafka.client import admin_client, client_config, wait_for_cluster
from tunestream.kafka.topics import TopicAdmin
from tunestream.runtime.committer import Committer
from tunestream.runtime.cycle import CycleRunner
from tunestream.runtime.estimate import CycleEstimate, estimate
from tunestream.runtime.metrics import Metrics
from tunestream.runtime.plan import Plan
from tunestream.runtime.probe import probe
from tunestream.runtime.report import CycleReport, ResourceStats
from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sink.transactional import SinkPair
from tunestream.sources.plan import PLAN
from tunestream.spec.loader import load_spec
from tunestream.spec.models import SourceSpec
from tunestream.state.store import KafkaStateStore
from tunestream.state.work import WorkState

__all__ = ["Producer", "check_spec"]

log = logging.getLogger(__name__)

STATE_TOPIC = "source_state"
_RETRY_INTERRUPTED_S = 60.0
_CLUSTER_TIMEOUT_S = 15.0


def check_spec(spec: SourceSpec, settings: Settings) -> tuple[str, frozenset[str], dict[str, str]]:
    """The mode, the skipped resources and the topic names; ConfigError if they do not fit."""
    source = settings.source
    mode = source.mode or next(iter(spec.modes))
    if mode not in spec.modes:
        raise ConfigError(
            f"source.mode: {mode!r} is not a mode of spec {spec.name} "
            f"(modes: {', '.join(spec.modes)})"
        )
    unknown = sorted(set(source.skip) - set(spec.resources))
    if unknown:
        raise ConfigError(
            f"source.skip: {', '.join(unknown)} not in spec {spec.name} "
            f"(resources: {', '.join(spec.resources)})"
        )
    wanted = {STATE_TOPIC, DEAD_LETTER_TOPIC, PLAN}
    wanted.update(topic for name in spec.resources if (topic := spec.emits(name)))
    configured = settings.kafka.topics
    missing = sorted(wanted - set(configured))
    if missing:
        raise ConfigError(
            f"kafka.topics: spec {spec.name} writes to {', '.join(missing)}, which the "
            "configuration does not name; add them under kafka.topics"
        )
    return mode, frozenset(source.skip), {key: configured[key].name for key in wanted}


def _with_budget(spec: SourceSpec, budget: RateLimitConfig | None) -> SourceSpec:
    if budget is None:
        return spec
    return spec.model_copy(update={"client": spec.client.model_copy(update={"rate_limit": budget})})


class Producer:
    """Runs one source spec into Kafka; build it, then ``await run(...)``."""

    def __init__(
        self,
        settings: Settings,
        *,
        spec: SourceSpec | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.spec = _with_budget(
            spec or load_spec(settings.source.spec, variables=settings.source.variables),
            settings.source.rate_limit,
        )
        self.mode, self.skip, self.topics = check_spec(self.spec, settings)
        self.metrics = Metrics(self.spec.name)
        self._transport = transport
        self._stop = asyncio.Event()
        self._runner: CycleRunner | None = None

    @property
    def current(self) -> CycleReport | None:
        """The report of the cycle running now (its counts grow as it goes)."""
        return self._runner.report if self._runner is not None else None

    def stop(self) -> None:
        """Finish the requests in flight, commit their records, and return from ``run``."""
        self._stop.set()
        if self._runner is not None:
            self._runner.stop()

    async def run(self, *, once: bool = False) -> CycleReport | None:
        """Run cycles until stopped (or one, with ``once``); return the last cycle's report."""
        source = self.settings.source
        transactional_id = source.transactional_id or f"tunestream-{self.spec.name}"
        await asyncio.to_thread(self._check_topics)
        base = client_config(self.settings.kafka)
        sinks = SinkPair(base, transactional_id)
        await asyncio.to_thread(sinks.start, self.topics.values())
        prefix = f"{self.spec.name}/"
        store = KafkaStateStore(base, self.topics[STATE_TOPIC], prefix)
        state = WorkState(await asyncio.to_thread(store.load))
        plan = Plan.initial(self.spec, self.mode, self.skip)
        committer = Committer(
            sinks.sinks,
            state,
            state_topic=self.topics[STATE_TOPIC],
            prefix=prefix,
            max_records=source.commit_max_records,
            max_bytes=source.commit_max_bytes,
            max_delay_s=source.commit_max_delay_s,
            on_commit=self.metrics.observe_commit,
        )
        report: CycleReport | None = None
        async with self._client() as client:
            while not self._stop.is_set():
                self._runner = CycleRunner(
                    self.spec,
                    client,
                    state,
                    committer,
                    plan,
                    self.topics,
                    concurrency=self.spec.client.rate_limit.max_concurrency,
                    discovery_budget=source.discovery_max_requests,
                )
                if self._stop.is_set():
                    break
                report = await self._runner.run(self.mode)
                self._record(report, plan)
                if once or self._stop.is_set():
                    break
                await self._sleep(self._delay(report, state))
        await asyncio.to_thread(sinks.close)
        return report

    def _check_topics(self) -> None:
        kafka = self.settings.kafka
        admin = admin_client(kafka)
        wait_for_cluster(admin, kafka.bootstrap, _CLUSTER_TIMEOUT_S)
        topics = [kafka.topics[key] for key in self.topics]
        for difference in TopicAdmin(admin).check(topics):
            log.warning("topic %s (other than configured)", difference)

    async def detect_plan(self) -> Plan:
        """Find out what the credentials may use by trying each resource once (the first page,
        the first batch); nothing is written to Kafka."""
        plan, _, _ = await self._probe()
        return plan

    async def estimate(self) -> tuple[Plan, CycleEstimate]:
        """The plan, and what a cycle under it is expected to cost (``produce --plan``): from a
        probe, and the query trees of the source state where Kafka is reachable."""
        plan, probe, stats = await self._probe()
        kept = await asyncio.to_thread(self._kept_state)
        source = self.settings.source
        expected = estimate(
            self.spec,
            plan,
            probe,
            stats,
            kept,
            interval_s=source.interval_s,
            discovery_cap=source.discovery_max_requests,
        )
        return plan, expected

    async def _probe(self) -> tuple[Plan, WorkState, dict[str, ResourceStats]]:
        plan = Plan.initial(self.spec, self.mode, self.skip)
        async with self._client() as client:
            state, report = await probe(self.spec, client, plan, self.topics, self.mode)
        return plan, state, report.stats

    def _kept_state(self) -> WorkState:
        """The source state in Kafka; empty (with a note) where it cannot be read."""
        kafka = self.settings.kafka
        store = KafkaStateStore(
            client_config(kafka), self.topics[STATE_TOPIC], f"{self.spec.name}/", timeout_s=10
        )
        try:
            return WorkState(store.load())
        except SinkError as exc:
            log.info("plan: no source state to estimate from (%s)", exc)
            return WorkState()

    def _client(self) -> RestClient:
        return RestClient.from_config(
            self.spec.client, observer=self.metrics.observe_attempt, transport=self._transport
        )

    def _record(self, report: CycleReport, plan: Plan) -> None:
        skipped = [name for name in self.spec.resources if not plan.is_open(name)]
        self.metrics.observe_cycle(report, skipped, time.time())
        emitted = ", ".join(
            f"{name} {stats.emitted}" for name, stats in report.stats.items() if stats.emitted
        )
        coverage = "".join(
            f"; {root}: {r.read}/{r.parts} parts read in {r.requests} requests"
            f" ({r.coverage:.0%} of its results), {r.found} found"
            + (
                ""
                if r.stalest_read_at is None
                else f", stalest part read {_ago(r.stalest_read_at)}"
            )
            for root, r in report.discovery.items()
        )
        outcome = "completed" if report.completed else f"interrupted ({report.interrupted})"
        log.info(
            "cycle %s %s in %.1f s: %s%s",
            report.cycle_id,
            outcome,
            report.duration_s,
            emitted or "nothing new",
            coverage,
        )
        for name in skipped:
            log.info("cycle %s: %s skipped: %s", report.cycle_id, name, plan.reasons.get(name))

    def _delay(self, report: CycleReport, state: WorkState) -> float:
        source = self.settings.source
        if not report.completed:
            wait = report.retry_after_s or _RETRY_INTERRUPTED_S
            log.warning("cycle %s resumes in %.0f s", report.cycle_id, wait)
            return wait
        cycle = state.cycle
        started = cycle.started_at if cycle is not None else time.time()
        due = started + source.interval_s + random.uniform(-source.jitter_s, source.jitter_s)
        return max(0.0, due - time.time())

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)


def _ago(at: float) -> str:
    return f"{(time.time() - at) / 3600:.1f} h ago"
