"""Topic administration from configuration: create (idempotently), describe, list, delete."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from confluent_kafka import KafkaError as RdKafkaError
from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    ClusterMetadata,
    ConfigResource,
    ConfigSource,
    NewTopic,
    ResourceType,
)

from tunestream.config import TopicSettings
from tunestream.errors import TopicConflict, TopicError

__all__ = [
    "KAFKA_MAX_MESSAGE_BYTES",
    "CreateOutcome",
    "Outcome",
    "TopicAdmin",
    "TopicCheck",
    "TopicState",
]

KAFKA_MAX_MESSAGE_BYTES = 1_048_588
"""Kafka's default ``max.message.bytes`` of a topic (the broker's ``message.max.bytes``:
https://kafka.apache.org/documentation/#brokerconfigs_message.max.bytes)."""


@dataclass(frozen=True)
class TopicState:
    """A topic as the cluster has it."""

    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)
    """Every config entry the broker reports for the topic."""
    overrides: dict[str, str] = field(default_factory=dict)
    """The entries set on the topic itself (not inherited from broker defaults)."""


@dataclass(frozen=True)
class TopicCheck:
    """What :meth:`TopicAdmin.check` found of topics that are there to be written."""

    differences: tuple[str, ...]
    """How they differ from their settings (but for ``cleanup.policy``), ``<topic>: <key>: want
    X, have Y`` each."""
    max_message_bytes: dict[str, int]
    """Each topic's ``max.message.bytes`` by name: as the broker reports it (the topic's own or
    the broker's default), else as configured, else Kafka's default."""


class Outcome(Enum):
    CREATED = "created"
    EXISTS = "exists"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class CreateOutcome:
    topic: TopicSettings
    outcome: Outcome
    differences: tuple[str, ...] = ()


class TopicAdmin:
    """Thin typed layer over confluent-kafka's AdminClient; Kafka errors become TopicError."""

    def __init__(self, admin: AdminClient, timeout_s: float = 30.0) -> None:
        self._admin = admin
        self._timeout = timeout_s

    def names(self) -> list[str]:
        """User topics in the cluster (internal ``__``-topics left out), sorted."""
        metadata = self._metadata()
        return sorted(name for name in metadata.topics if not name.startswith("__"))

    def describe(self, names: Iterable[str]) -> dict[str, TopicState | None]:
        """The state of each named topic; None for a topic that does not exist."""
        wanted = list(names)
        metadata = self._metadata()
        present = [n for n in wanted if n in metadata.topics and not metadata.topics[n].error]
        configs = self._configs(present)
        result: dict[str, TopicState | None] = dict.fromkeys(wanted)
        for name in present:
            partitions = metadata.topics[name].partitions
            replication = max((len(p.replicas) for p in partitions.values()), default=0)
            entries = configs[name]
            result[name] = TopicState(
                name=name,
                partitions=len(partitions),
                replication_factor=replication,
                configs={k: v for k, (v, _) in entries.items()},
                overrides={k: v for k, (v, own) in entries.items() if own},
            )
        return result

    def create(self, topics: Sequence[TopicSettings]) -> list[CreateOutcome]:
        """Create what is missing; report what exists, and how it differs from the settings."""
        existing = self.describe(t.name for t in topics)
        missing = [t for t in topics if existing[t.name] is None]
        created = self._create_missing(missing)
        self._await_leaders(created)
        outcomes = []
        for topic in topics:
            if topic.name in created:
                outcomes.append(CreateOutcome(topic, Outcome.CREATED))
                continue
            # None here: someone else created it between our describe and our create.
            state = existing[topic.name] or self.describe([topic.name])[topic.name]
            if state is None:
                raise TopicError(f"topic {topic.name} vanished while it was being created")
            diffs = differences(topic, state)
            kind = Outcome.CONFLICT if diffs else Outcome.EXISTS
            outcomes.append(CreateOutcome(topic, kind, diffs))
        return outcomes

    def check(self, topics: Sequence[TopicSettings]) -> TopicCheck:
        """That the topics are there to be written, and keep records as configured: TopicError
        naming the missing ones (a producer would otherwise get them made by the broker's
        defaults: a state topic that deletes by age and loses the state with it), TopicConflict
        naming those with another ``cleanup.policy``. Returns the other ways they differ from
        their settings, and the largest record batch each takes."""
        states = self.describe(t.name for t in topics)
        missing: list[str] = []
        policies: list[str] = []
        others: list[str] = []
        limits: dict[str, int] = {}
        for topic in topics:
            state = states[topic.name]
            if state is None:
                missing.append(topic.name)
                continue
            reported = state.configs.get("max.message.bytes")
            configured = topic.max_message_bytes or KAFKA_MAX_MESSAGE_BYTES
            limits[topic.name] = int(reported) if reported is not None else configured
            if (policy := state.configs.get("cleanup.policy")) != topic.cleanup_policy:
                policies.append(f"{topic.name} has {policy}, configured {topic.cleanup_policy}")
            else:
                others.extend(f"{topic.name}: {d}" for d in differences(topic, state))
        if missing:
            raise TopicError(
                f"topics missing: {', '.join(missing)}; create them with `tunestream topics create`"
            )
        if policies:
            raise TopicConflict(
                f"topics keep records otherwise than configured (cleanup.policy): "
                f"{'; '.join(policies)}"
            )
        return TopicCheck(tuple(others), limits)

    def delete(self, names: Sequence[str]) -> list[str]:
        """Delete the topics that exist; return their names."""
        existing = [n for n, s in self.describe(names).items() if s is not None]
        if not existing:
            return []
        futures = self._admin.delete_topics(
            existing, operation_timeout=self._timeout, request_timeout=self._timeout
        )
        for name, future in futures.items():
            try:
                future.result()
            except KafkaException as exc:
                raise TopicError(f"deleting topic {name} failed: {_reason(exc)}") from exc
        return existing

    # -- helpers -----------------------------------------------------------------------------

    def _metadata(self) -> ClusterMetadata:
        try:
            return self._admin.list_topics(timeout=self._timeout)
        except KafkaException as exc:
            raise TopicError(f"listing topics failed: {_reason(exc)}") from exc

    def _configs(self, names: Sequence[str]) -> dict[str, dict[str, tuple[str, bool]]]:
        if not names:
            return {}
        resources = [ConfigResource(ResourceType.TOPIC, n) for n in names]
        futures = self._admin.describe_configs(resources, request_timeout=self._timeout)
        out: dict[str, dict[str, tuple[str, bool]]] = {}
        for resource, future in futures.items():
            try:
                entries = future.result()
            except KafkaException as exc:
                raise TopicError(f"describing {resource.name} failed: {_reason(exc)}") from exc
            out[resource.name] = {
                key: (entry.value, entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value)
                for key, entry in entries.items()
                if entry.value is not None
            }
        return out

    def _await_leaders(self, names: set[str]) -> None:
        """Wait until the broker serves the new topics: a CreateTopics answer comes once the
        controller has them, and for a moment after it the topic's partitions have no leader
        (metadata says LEADER_NOT_AVAILABLE), so a producer started right away would find it
        missing."""
        deadline = time.monotonic() + self._timeout
        waiting = set(names)
        while waiting:
            topics = self._metadata().topics
            waiting = {
                n
                for n in waiting
                if n not in topics
                or topics[n].error is not None
                or any(p.error is not None or p.leader < 0 for p in topics[n].partitions.values())
            }
            if waiting and time.monotonic() > deadline:
                raise TopicError(
                    f"topics created but not served after {self._timeout:g} s: "
                    + ", ".join(sorted(waiting))
                )
            if waiting:
                time.sleep(0.1)

    def _create_missing(self, topics: Sequence[TopicSettings]) -> set[str]:
        if not topics:
            return set()
        new = [
            NewTopic(
                t.name,
                num_partitions=t.partitions,
                replication_factor=t.replication_factor,
                config=t.topic_configs(),
            )
            for t in topics
        ]
        futures = self._admin.create_topics(
            new, operation_timeout=self._timeout, request_timeout=self._timeout
        )
        created = set()
        for name, future in futures.items():
            try:
                future.result()
                created.add(name)
            except KafkaException as exc:
                if exc.args[0].code() == RdKafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                raise TopicError(f"creating topic {name} failed: {_reason(exc)}") from exc
        return created


def differences(topic: TopicSettings, state: TopicState) -> tuple[str, ...]:
    """How an existing topic differs from its settings, one ``key: want X, have Y`` each."""
    diffs = []
    if state.partitions != topic.partitions:
        diffs.append(f"partitions: want {topic.partitions}, have {state.partitions}")
    if state.replication_factor != topic.replication_factor:
        diffs.append(
            f"replication_factor: want {topic.replication_factor}, have {state.replication_factor}"
        )
    for key, want in topic.topic_configs().items():
        have = state.configs.get(key)
        if have != want:
            diffs.append(f"{key}: want {want}, have {have}")
    return tuple(diffs)


def _reason(exc: KafkaException) -> str:
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, RdKafkaError) else str(exc)
