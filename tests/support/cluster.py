"""Broker failures for the cluster tests: topics made as on the local cluster, which broker leads
what a producer writes, and a thread that SIGKILLs such brokers at random moments and restarts
each, one failure at a time.

Kafka maps a transactional id to the ``__transaction_state`` partition
``Utils.abs(id.hashCode) % partitions`` (Java's ``String.hashCode``); that partition's leader is
the id's transaction coordinator (``TransactionStateManager.partitionFor``,
https://github.com/apache/kafka/blob/4.1/core/src/main/scala/kafka/coordinator/transaction/TransactionStateManager.scala).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tunestream.config import DEFAULT_TOPICS, KafkaSettings, Settings
from tunestream.kafka.broker import LocalBroker
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin

__all__ = [
    "BrokerKiller",
    "Kill",
    "await_in_sync",
    "coordinator",
    "exit_line",
    "leaders",
    "replicated",
]

TRANSACTION_STATE = "__transaction_state"


def _admin(bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, "log_level": "0"})


def leaders(bootstrap: str, topics: Sequence[str]) -> set[int]:
    """The brokers leading a partition of the topics."""
    metadata = _admin(bootstrap).list_topics(timeout=30)
    return {
        partition.leader
        for topic in topics
        if topic in metadata.topics
        for partition in metadata.topics[topic].partitions.values()
        if partition.leader >= 0
    }


def _partition_for(transactional_id: str, partitions: int) -> int:
    """Kafka's ``Utils.abs(transactionalId.hashCode) % partitions``."""
    units = transactional_id.encode("utf-16-be")  # a Java String's chars
    value = 0
    for i in range(0, len(units), 2):
        value = (31 * value + int.from_bytes(units[i : i + 2], "big")) & 0xFFFFFFFF
    signed = value - (1 << 32) if value >= 1 << 31 else value
    return (0 if signed == -(1 << 31) else abs(signed)) % partitions


def coordinator(bootstrap: str, transactional_id: str) -> int | None:
    """The transaction coordinator of ``transactional_id`` (None while it has no leader, or
    before the first transactional producer made the topic)."""
    topic = _admin(bootstrap).list_topics(TRANSACTION_STATE, timeout=30).topics[TRANSACTION_STATE]
    if topic.error is not None or not topic.partitions:
        return None
    partition = _partition_for(transactional_id, len(topic.partitions))
    leader = topic.partitions[partition].leader
    return leader if leader >= 0 else None


def await_in_sync(bootstrap: str, timeout_s: float) -> None:
    """Wait until every partition of every topic has all its replicas in sync and a leader."""
    admin = _admin(bootstrap)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            metadata = admin.list_topics(timeout=10)
            lagging = [
                f"{name}-{p.id}"
                for name, topic in metadata.topics.items()
                for p in topic.partitions.values()
                if p.leader < 0 or set(p.isrs) != set(p.replicas)
            ]
        except KafkaException as exc:  # a cluster between leaders: ask again
            lagging = [str(exc)]
        if not lagging:
            return
        assert time.monotonic() < deadline, f"not in sync after {timeout_s:g} s: {lagging[:5]}"
        time.sleep(0.5)


@dataclass(frozen=True)
class Kill:
    node_id: int
    role: str
    """What the node was when it was killed: ``leader`` of a written partition, or
    ``coordinator`` of the producer's transactions."""
    at_s: float
    """Seconds since the killer started."""


@dataclass
class BrokerKiller:
    """SIGKILLs, at random moments of a seeded draw, a broker that ``victims`` names (role →
    candidate node ids, asked afresh each time; the role killed least so far), waits
    ``down_s`` (drawn), restarts it, and waits until every replica is in sync before the next
    kill: one failure at a time, the failures three replicas with ``min.insync.replicas`` 2
    promise to survive. Stops after ``max_kills`` or when :meth:`stop` is called."""

    cluster: LocalBroker
    rng: random.Random
    """The draw (:func:`tests.support.kills.seeded_random`: a new seed each run, printed)."""
    victims: Callable[[], dict[str, set[int]]]
    max_kills: int
    pause_s: tuple[float, float] = (2.0, 8.0)
    down_s: tuple[float, float] = (0.0, 3.0)
    kills: list[Kill] = field(default_factory=list)
    failure: BaseException | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="broker-killer", daemon=True)
        self._thread.start()

    def stop(self) -> list[Kill]:
        """Stop killing; return once the last victim is back and in sync. Raises what failed."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self.failure is not None:
            raise self.failure
        return self.kills

    def _run(self) -> None:
        rng = self.rng
        began = time.monotonic()
        try:
            while len(self.kills) < self.max_kills:
                if self._stopping.wait(rng.uniform(*self.pause_s)):
                    return
                choices = {role: ids for role, ids in self.victims().items() if ids}
                if not choices:
                    continue
                used = Counter(kill.role for kill in self.kills)
                fewest = min(used[role] for role in choices)
                role = rng.choice(sorted(r for r in choices if used[r] == fewest))
                node_id = rng.choice(sorted(choices[role]))
                if self.cluster.node(node_id).kill():
                    self.kills.append(Kill(node_id, role, round(time.monotonic() - began, 1)))
                time.sleep(rng.uniform(*self.down_s))
                self.cluster.start_node(node_id)
                await_in_sync(self.cluster.bootstrap, 300)
        except BaseException as exc:  # raised to the test by stop()
            self.failure = exc


def replicated(settings: Settings, cluster: LocalBroker) -> Settings:
    """The settings with their topics as tunestream makes them on the local cluster (three
    copies, ``min.insync.replicas`` 2), created there, and the cluster named by its bootstrap
    servers, as a config file for a command can name it."""
    given = {
        key: t.model_dump(exclude={"replication_factor"})
        for key, t in settings.kafka.topics.items()
    }
    local = KafkaSettings(local=cluster.settings, topics=given)
    kafka = KafkaSettings(
        bootstrap_servers=cluster.bootstrap,
        topics={key: topic.model_dump() for key, topic in local.topics.items()},
    )
    TopicAdmin(admin_client(kafka)).create([kafka.topics[key] for key in DEFAULT_TOPICS])
    return settings.model_copy(update={"kafka": kafka})


def exit_line(stderr: str) -> str:
    """What a command's stderr says of its end: its one-line error if it gave one, else its last
    line."""
    lines = stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("tunestream: error")]
    return (errors or lines or [""])[-1]
