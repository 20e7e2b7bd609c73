"""The producer: each configured source's spec run on a schedule into Kafka, exactly once.

A :class:`Producer` runs one source (``sources:`` in the settings). Start-up, in this order (the
order is what makes restarts safe):

1. check the spec against the source's settings (mode, skipped resources) and find its topics
   (:func:`spec_topics`), and check the topics on the cluster (there, and keeping records as
   configured: nothing is written into a topic the broker would make up), learning the largest
   record each takes (a larger one is a dead letter instead: ``wire.py``);
2. register the transactional producers (two, taking turns with units: ``<id>`` and
   ``<id>.1``): this fences any older process with the same ids and aborts the transactions it
   left open;
3. read the source state from the state topic (its keys ``<source name>/…``) — now nothing
   uncommitted can hide in it;
4. run cycles: resume the cycle the state says is running, else start one; between cycles,
   sleep until the next is due (``interval_s`` ± ``jitter_s``), or as long as the API asked —
   not at all while a topic root has a backlog.

:func:`run_together` runs several side by side in one event loop, their metrics on one registry.
SIGINT/SIGTERM (``stop``) stop taking new requests, let the ones in flight finish, commit what
they fetched, and return; so does a source whose neighbour failed, before the failure is raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping, Sequence
from functools import partial

import httpx

from tunestream.config import KafkaSettings, Settings, SourceSettings, TopicSettings
from tunestream.errors import (
    ClusterUnreachable,
    ConfigError,
    SinkError,
    SourceFailed,
    TunestreamError,
)
from tunestream.http.client import RestClient
from tunestream.kafka.client import ClientConfig, admin_client, client_config, wait_for_cluster
from tunestream.kafka.feed import TopicFeed
from tunestream.kafka.topics import TopicAdmin
from tunestream.runtime.committer import Committer
from tunestream.runtime.cycle import CycleRunner
from tunestream.runtime.estimate import CycleEstimate, estimate
from tunestream.runtime.lock import source_lock
from tunestream.runtime.metrics import Metrics
from tunestream.runtime.plan import Plan
from tunestream.runtime.probe import probe
from tunestream.runtime.report import CycleReport, ResourceStats
from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sink.transactional import MAX_MESSAGE_BYTES, SinkPair
from tunestream.sources.plan import PLAN
from tunestream.sources.settings import named
from tunestream.spec.loader import load_spec
from tunestream.spec.models import SourceSpec, TopicResource
from tunestream.state.credentials import StateCredentials
from tunestream.state.store import KafkaStateStore
from tunestream.state.work import WorkState

__all__ = [
    "Producer",
    "check_spec",
    "configured_topics",
    "input_topic",
    "producers",
    "run_together",
    "spec_topics",
]

log = logging.getLogger(__name__)

STATE_TOPIC = "source_state"
_RETRY_INTERRUPTED_S = 60.0
_CLUSTER_TIMEOUT_S = 15.0


def spec_topics(spec: SourceSpec, kafka: KafkaSettings) -> dict[str, TopicSettings]:
    """The topics a source of ``spec`` writes, by ``kafka.topics`` key: the state, plan and
    dead-letter topics every source shares, and the key of each resource's ``emit``
    (:meth:`KafkaSettings.records_topic`: configured, or ``<spec name>.<key>``)."""
    shared = {key: kafka.topics[key] for key in (STATE_TOPIC, DEAD_LETTER_TOPIC, PLAN)}
    emitted = sorted({topic for name in spec.resources if (topic := spec.emits(name))})
    return {**shared, **{key: kafka.records_topic(spec.name, key) for key in emitted}}


def input_topic(kafka: KafkaSettings, resource: TopicResource) -> str:
    """The topic a topic root reads: the one ``kafka.topics`` names by its key, else its name."""
    configured = kafka.topics.get(resource.topic)
    return configured.name if configured is not None else resource.topic


def check_spec(
    spec: SourceSpec, source: SourceSettings, settings: Settings
) -> tuple[str, frozenset[str], dict[str, TopicSettings]]:
    """The mode, the skipped resources and the topics; ConfigError if they do not fit."""
    mode = source.mode or next(iter(spec.modes))
    if mode not in spec.modes:
        raise ConfigError(
            f"source {source.name}: mode {mode!r} is not a mode of spec {spec.name} "
            f"(modes: {', '.join(spec.modes)})"
        )
    unknown = sorted(set(source.skip) - set(spec.resources))
    if unknown:
        raise ConfigError(
            f"source {source.name}: skip: {', '.join(unknown)} not in spec {spec.name} "
            f"(resources: {', '.join(spec.resources)})"
        )
    return mode, frozenset(source.skip), spec_topics(spec, settings.kafka)


def configured_topics(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> list[TopicSettings]:
    """Every topic the configuration asks for (``topics create``): those ``kafka.topics``
    names, and each source's records topics, its spec loaded with ``environ`` (default: the
    process's) to know them."""
    found = {topic.name: topic for topic in settings.kafka.topics.values()}
    for source in settings.sources:  # only the topic keys matter: credentials may be unset
        spec = load_spec(
            source.spec, variables=source.variables, environ=environ, unset="https://unset.invalid"
        )
        for topic in spec_topics(spec, settings.kafka).values():
            found.setdefault(topic.name, topic)
    return list(found.values())


def producers(settings: Settings, names: Sequence[str], metrics: Metrics) -> list[Producer]:
    """A producer for each source of ``names`` (none: every configured one), all observed
    through ``metrics``; ConfigError for a name the configuration does not have."""
    return [
        Producer(settings, source, metrics=metrics) for source in named(settings.sources, names)
    ]


async def run_together(
    running: Sequence[Producer], *, once: bool = False
) -> dict[str, CycleReport | None]:
    """Run the producers side by side until each returns: the last cycle's report of each, by
    source name. The first to fail stops the others (each commits what it has in flight), then
    its error is raised — as :class:`SourceFailed`, naming it, where it is one of several (not
    an unreachable cluster: that is every source's); another's failure for another cause is
    logged."""
    tasks = {asyncio.create_task(producer.run(once=once)): producer for producer in running}
    failure: tuple[Producer, BaseException] | None = None
    pending = set(tasks)
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            error = task.exception()
            if error is None:
                continue
            if failure is not None:
                if str(error) != str(failure[1]):  # the same cause (no cluster) is told once
                    log.error("%s failed too: %s", tasks[task].source.name, error)
                continue
            failure = (tasks[task], error)
            for producer in running:
                producer.stop()
    if failure is not None:
        failed, error = failure
        named = len(running) > 1 and not isinstance(error, ClusterUnreachable)  # every source's
        if isinstance(error, TunestreamError) and named:
            raise SourceFailed(failed.source.name, error) from error
        raise error
    return {producer.source.name: task.result() for task, producer in tasks.items()}


def _as_source(spec: SourceSpec, source: SourceSettings) -> SourceSpec:
    """The spec as the source runs it: named after the source (its records' and plan's
    ``tunestream.source``), with the source's request budget where it sets one."""
    client = spec.client
    if source.rate_limit is not None:
        client = client.model_copy(update={"rate_limit": source.rate_limit})
    return spec.model_copy(update={"name": source.name, "client": client})


class Producer:
    """Runs one configured source into Kafka; build it, then ``await run(...)``.

    ``source`` defaults to the first configured; ``spec`` to the one it names (loaded from the
    environment); ``metrics`` to a registry of its own.
    """

    def __init__(
        self,
        settings: Settings,
        source: SourceSettings | None = None,
        *,
        spec: SourceSpec | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.source = source or settings.sources[0]
        loaded = spec or load_spec(self.source.spec, variables=self.source.variables)
        self.mode, self.skip, topics = check_spec(loaded, self.source, settings)
        self.topics = {key: topic.name for key, topic in topics.items()}
        self._topic_settings = list(topics.values())
        self.spec = _as_source(loaded, self.source)
        self.metrics = (metrics or Metrics()).source(self.source.name)
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
        with source_lock(self.settings.data_dir, self.source.name, doing="start a producer"):
            return await self._run(once=once)

    async def _run(self, *, once: bool) -> CycleReport | None:
        source = self.source
        limits = await asyncio.to_thread(self._check_topics)
        base = client_config(self.settings.kafka)
        sinks = SinkPair(base, source.transactional_id)
        await asyncio.to_thread(sinks.start, self.topics.values())
        prefix = self._prefix
        store = KafkaStateStore(base, self.topics[STATE_TOPIC], prefix)
        loaded = await asyncio.to_thread(store.load)
        state = WorkState(loaded)
        credentials = StateCredentials(
            base,
            topic=self.topics[STATE_TOPIC],
            prefix=prefix,
            transactional_id=source.transactional_id,
            loaded=loaded,
        )
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
        async with self._client(credentials) as client:
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
                    open_feed=partial(self._open_feed, base),
                    limits=limits,
                )
                if self._stop.is_set():
                    break
                report = await self._runner.run(self.mode)
                self._record(report, plan)
                if once or self._stop.is_set():
                    break
                await self._sleep(self._delay(report, state))
        await asyncio.to_thread(sinks.close)
        credentials.close()
        return report

    @property
    def _prefix(self) -> str:
        """Of the source's keys in the state topic: its name (its spec's, unless named)."""
        return f"{self.source.name}/"

    def _check_topics(self) -> dict[str, int]:
        """Check the topics; return the largest record (``wire.record_bytes``) each takes: its
        ``max.message.bytes``, capped by what the producer sends."""
        kafka = self.settings.kafka
        admin = admin_client(kafka)
        wait_for_cluster(admin, kafka.bootstrap, _CLUSTER_TIMEOUT_S)
        checked = TopicAdmin(admin).check(self._topic_settings)
        for difference in checked.differences:
            log.warning("topic %s (other than configured)", difference)
        return {
            topic: min(limit, MAX_MESSAGE_BYTES)
            for topic, limit in checked.max_message_bytes.items()
        }

    async def detect_plan(self) -> Plan:
        """Find out what the credentials may use by trying each resource once (the first page,
        the first batch); nothing is written to Kafka."""
        plan, _, _ = await self._probe()
        return plan

    async def estimate(self) -> tuple[Plan, CycleEstimate]:
        """The plan, and what a cycle under it is expected to cost (``produce --plan``): from a
        probe, and the query trees of the source state where Kafka is reachable."""
        kept = await asyncio.to_thread(self._kept_state)
        credentials = None
        if kept is not None:  # a refresh token the probe rotates is kept, as the producer keeps it
            credentials = StateCredentials(
                client_config(self.settings.kafka),
                topic=self.topics[STATE_TOPIC],
                prefix=self._prefix,
                transactional_id=self.source.transactional_id,
                loaded=kept,
            )
        try:
            plan, probe, stats = await self._probe(credentials)
        finally:
            if credentials is not None:
                credentials.close()
        source = self.source
        expected = estimate(
            self.spec,
            plan,
            probe,
            stats,
            WorkState(kept or {}),
            interval_s=source.interval_s,
            discovery_cap=source.discovery_max_requests,
        )
        return plan, expected

    async def _probe(
        self, credentials: StateCredentials | None = None
    ) -> tuple[Plan, WorkState, dict[str, ResourceStats]]:
        plan = Plan.initial(self.spec, self.mode, self.skip)
        async with self._client(credentials) as client:
            state, report = await probe(self.spec, client, plan, self.topics, self.mode)
        return plan, state, report.stats

    def _kept_state(self) -> dict[str, bytes] | None:
        """The source state in Kafka; None (with a note) where it cannot be read."""
        kafka = self.settings.kafka
        store = KafkaStateStore(
            client_config(kafka), self.topics[STATE_TOPIC], self._prefix, timeout_s=10
        )
        try:
            return store.load()
        except SinkError as exc:
            log.info("plan: no source state to estimate from (%s)", exc)
            return None

    def _client(self, credentials: StateCredentials | None = None) -> RestClient:
        return RestClient.from_config(
            self.spec.client,
            observer=self.metrics.observe_attempt,
            transport=self._transport,
            credentials=credentials,
        )

    def _record(self, report: CycleReport, plan: Plan) -> None:
        skipped = [name for name in self.spec.resources if not plan.is_open(name)]
        self.metrics.observe_cycle(report, skipped, time.time())
        log.info("%s: %s", self.source.name, report.summary(time.time()))
        for name in skipped:
            log.info(
                "%s: cycle %s: %s skipped: %s",
                self.source.name,
                report.cycle_id,
                name,
                plan.reasons.get(name),
            )

    def _open_feed(self, base: ClientConfig, resource: TopicResource) -> TopicFeed:
        """A feed on a topic root's topic, read for the consumer group named after the source's
        transactional id."""
        topic = input_topic(self.settings.kafka, resource)
        return TopicFeed(base, topic, self.source.transactional_id)

    def _delay(self, report: CycleReport, state: WorkState) -> float:
        source = self.source
        if report.completed and report.backlog:
            return 0.0
        if not report.completed:
            wait = report.retry_after_s or _RETRY_INTERRUPTED_S
            log.warning("%s: cycle %s resumes in %.0f s", source.name, report.cycle_id, wait)
            return wait
        cycle = state.cycle
        started = cycle.started_at if cycle is not None else time.time()
        due = started + source.interval_s + random.uniform(-source.jitter_s, source.jitter_s)
        return max(0.0, due - time.time())

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
