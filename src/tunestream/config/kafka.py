"""The Kafka cluster tunestream uses: the embedded local broker, or a cluster named by its
bootstrap servers and security settings, and the topics tunestream manages on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, ValidationError, model_validator

from tunestream.config.base import REPO_ROOT, JvmSize, Model, Port, TopicName
from tunestream.sources import plan, spotify

__all__ = [
    "CLUSTER_MIN_INSYNC_REPLICAS",
    "CLUSTER_REPLICATION_FACTOR",
    "DEFAULT_TOPICS",
    "KafkaSettings",
    "LocalBrokerSettings",
    "TopicSettings",
]

CLUSTER_REPLICATION_FACTOR = 3
"""Copies of every partition on a local cluster of 3 or more brokers ..."""
CLUSTER_MIN_INSYNC_REPLICAS = 2
"""... of which an ``acks=all`` write must reach this many: one broker may be down at a time."""


def _existing_file(path: Path) -> Path:
    if not path.is_file():
        raise ValueError("no such file")
    return path


ExistingFile = Annotated[Path, AfterValidator(_existing_file)]
"""A file that is there when the settings are loaded: a certificate a client reads later."""


class LocalBrokerSettings(Model):
    """The embedded KRaft cluster, used when no ``bootstrap_servers`` is set: ``brokers`` nodes on
    127.0.0.1, each a broker and a controller in one JVM, all of them voters of the metadata
    quorum. Node ``i`` (1 to ``brokers``) listens for clients on ``port + 2(i-1)`` and for the
    quorum on ``controller_port + 2(i-1)``: with the defaults and 3 brokers, 9092/9093,
    9094/9095 and 9096/9097. One node (the default) keeps one copy of everything; 3 or more
    keep :data:`CLUSTER_REPLICATION_FACTOR` copies of every partition, the internal topics'
    too, and ask :data:`CLUSTER_MIN_INSYNC_REPLICAS` of them to acknowledge a write. Two are
    refused: a quorum of two voters stops when either stops."""

    brokers: Annotated[int, Field(ge=1)] = 1
    port: Port = 9092
    controller_port: Port = 9093
    heap: JvmSize = "1g"
    start_timeout_s: Annotated[float, Field(gt=0)] = 120.0
    stop_grace_s: Annotated[float, Field(gt=0)] = 30.0
    jars_dir: Path = REPO_ROOT / "build" / "jars" / "kafka"

    @model_validator(mode="after")
    def _nodes_fit(self) -> LocalBrokerSettings:
        if self.brokers == 2:
            raise ValueError(
                "brokers: 2 cannot lose either broker (a quorum of two voters needs both); "
                "use 1, or 3 or more"
            )
        if self.port == self.controller_port:
            raise ValueError("port and controller_port must differ")
        ports = [port for pair in self.node_ports() for port in pair]
        if len(set(ports)) != len(ports):
            raise ValueError(
                f"the {self.brokers} brokers' ports collide (node i: port + 2(i-1) and "
                "controller_port + 2(i-1)); make port and controller_port differ by an odd "
                f"number or by {2 * self.brokers} or more"
            )
        if max(ports) > 65535:
            raise ValueError(f"the {self.brokers} broker(s) need ports up to {max(ports)}")
        return self

    def node_ports(self) -> list[tuple[int, int]]:
        """Each node's client and controller port, node 1 first."""
        return [(self.port + 2 * i, self.controller_port + 2 * i) for i in range(self.brokers)]

    @property
    def bootstrap(self) -> str:
        """Every node's client address, comma-separated."""
        return ",".join(f"127.0.0.1:{port}" for port, _ in self.node_ports())

    @property
    def replication_factor(self) -> int:
        """Copies of each partition: of the topics tunestream creates and of the internal ones."""
        return CLUSTER_REPLICATION_FACTOR if self.brokers >= CLUSTER_REPLICATION_FACTOR else 1

    @property
    def min_insync_replicas(self) -> int:
        return CLUSTER_MIN_INSYNC_REPLICAS if self.brokers >= CLUSTER_REPLICATION_FACTOR else 1


class TopicSettings(Model):
    """One topic as tunestream creates it; ``None`` leaves a setting to the broker's default."""

    name: TopicName
    partitions: Annotated[int, Field(ge=1)] = 1
    replication_factor: Annotated[int, Field(ge=1)] = 1
    """On a local cluster of 3 or more brokers, an entry that does not set it gets 3, and
    ``min.insync.replicas`` 2 (or its copies, when fewer) unless ``configs`` sets it."""
    retention_ms: Annotated[int, Field(ge=-1)] | None = None
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    max_message_bytes: Annotated[int, Field(ge=1024)] | None = None
    compression_type: (
        Literal["producer", "zstd", "lz4", "snappy", "gzip", "uncompressed"] | None
    ) = None
    configs: dict[str, str] = Field(default_factory=dict)

    def topic_configs(self) -> dict[str, str]:
        """The topic-level Kafka configs this entry asks for, by their Kafka names."""
        named = {
            "retention.ms": self.retention_ms,
            "cleanup.policy": self.cleanup_policy,
            "max.message.bytes": self.max_message_bytes,
            "compression.type": self.compression_type,
        }
        out = {k: str(v) for k, v in named.items() if v is not None}
        out.update(self.configs)
        return out


_WEEK_MS = 7 * 24 * 3600 * 1000
# Audio analysis documents pass 1 MB for long tracks; 16 MiB leaves room for the longest.
_LARGE_MESSAGE_BYTES = 16 * 1024 * 1024

_LARGE_TOPIC = {"max_message_bytes": _LARGE_MESSAGE_BYTES, "compression_type": "zstd"}

_SPOTIFY_SPEC = "spotify"
_SPOTIFY_TOPICS = frozenset(e.topic for e in spotify.ENTITIES)


def _records_topic(spec: str, key: str) -> dict[str, Any]:
    """A spec's records topic as tunestream makes it: ``<spec>.<key>``, 4 partitions, a week."""
    return {"name": f"{spec}.{key}", "partitions": 4, "retention_ms": _WEEK_MS}


DEFAULT_TOPICS: dict[str, dict[str, Any]] = {
    **{
        e.topic: {**_records_topic(_SPOTIFY_SPEC, e.topic), **(_LARGE_TOPIC if e.large else {})}
        for e in spotify.ENTITIES
    },
    "dead_letter": {
        "name": "tunestream.dead_letter",
        "partitions": 1,
        "retention_ms": 4 * _WEEK_MS,
        "max_message_bytes": _LARGE_MESSAGE_BYTES,
    },
    "source_state": {
        "name": "tunestream.source_state",
        "partitions": 1,
        "cleanup_policy": "compact",
    },
    plan.PLAN: {
        "name": "tunestream.source_plan",
        "partitions": 1,
        "cleanup_policy": "compact",
    },
}


def _local_cluster(data: Mapping[str, Any]) -> LocalBrokerSettings | None:
    """The local cluster the raw settings use, if they use it and it replicates (3 or more
    brokers); None too when its settings are invalid (their validation says why)."""
    if data.get("bootstrap_servers") is not None:
        return None
    try:
        local = LocalBrokerSettings.model_validate(data.get("local") or {})
    except ValidationError:
        return None
    return local if local.replication_factor > 1 else None


def _replicated(topic: Any, local: LocalBrokerSettings) -> Any:
    """A topic entry as tunestream makes it on a local cluster that replicates: the cluster's
    copies unless it sets ``replication_factor``, and ``min.insync.replicas`` the cluster's or,
    for fewer copies, their number (a ``configs`` key of its own wins). An entry that is not a
    valid topic is left for validation to refuse."""
    try:
        entry = TopicSettings.model_validate(topic)
    except ValidationError:
        return topic
    copies = (
        entry.replication_factor
        if "replication_factor" in entry.model_fields_set
        else local.replication_factor
    )
    in_sync = str(min(copies, local.min_insync_replicas))
    return TopicSettings.model_validate(
        {
            **entry.model_dump(exclude_unset=True),
            "replication_factor": copies,
            "configs": {"min.insync.replicas": in_sync, **entry.configs},
        }
    )


class KafkaSettings(Model):
    """Which cluster to use, how to reach it, and the topics tunestream manages on it."""

    bootstrap_servers: Annotated[str, Field(min_length=1)] | None = None
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: (
        Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"] | None
    ) = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: ExistingFile | None = None
    ssl_certificate_location: ExistingFile | None = None
    ssl_key_location: ExistingFile | None = None
    ssl_key_password: SecretStr | None = None
    client_properties: dict[str, str] = Field(default_factory=dict)
    """Any other librdkafka property, passed to every client unchanged."""
    local: LocalBrokerSettings = LocalBrokerSettings()
    topics: dict[str, TopicSettings] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _merge_default_topics(cls, data: Any) -> Any:
        """A topic named in the file changes only the keys it gives; the defaults stay."""
        if not isinstance(data, Mapping):
            return data
        given = data.get("topics") or {}
        if not isinstance(given, Mapping):
            return data
        merged: dict[str, Any] = {k: dict(v) for k, v in DEFAULT_TOPICS.items()}
        for key, value in given.items():
            base = merged.get(key, {})
            merged[key] = {**base, **value} if isinstance(value, Mapping) else value
        local = _local_cluster(data)
        if local is not None:
            merged = {key: _replicated(value, local) for key, value in merged.items()}
        return {**data, "topics": merged}

    @model_validator(mode="after")
    def _copies_fit_the_local_cluster(self) -> KafkaSettings:
        if not self.uses_local_broker:
            return self
        for key, topic in self.topics.items():
            if topic.replication_factor > self.local.brokers:
                raise ValueError(
                    f"topics.{key}: replication_factor {topic.replication_factor} is more than "
                    f"the {self.local.brokers} local broker(s) (kafka.local.brokers)"
                )
        return self

    @model_validator(mode="after")
    def _security_is_consistent(self) -> KafkaSettings:
        if self.bootstrap_servers is None and self.security_protocol != "PLAINTEXT":
            raise ValueError(
                "the local broker speaks PLAINTEXT only; set bootstrap_servers to use "
                f"{self.security_protocol}"
            )
        if self.security_protocol.startswith("SASL") and self.sasl_mechanism is None:
            raise ValueError(f"security_protocol {self.security_protocol} needs sasl_mechanism")
        return self

    @property
    def uses_local_broker(self) -> bool:
        return self.bootstrap_servers is None

    def records_topic(self, spec: str, key: str) -> TopicSettings:
        """The topic where spec ``spec`` writes its records of ``key`` (a resource's ``emit``):
        ``topics."<spec>.<key>"``, else ``topics.<key>`` — but Spotify's keys (albums …) are the
        spotify spec's alone: the Spark job reads them as Spotify's — else ``<spec>.<key>``, 4
        partitions, a week. So a new spec needs no topic settings, and two specs share a topic
        only where a key added under ``topics`` says so."""
        topic = self.topics.get(f"{spec}.{key}")
        if topic is None and not (key in _SPOTIFY_TOPICS and spec != _SPOTIFY_SPEC):
            topic = self.topics.get(key)
        if topic is not None:
            return topic
        made = TopicSettings(**_records_topic(spec, key))
        replicates = self.uses_local_broker and self.local.replication_factor > 1
        return _replicated(made, self.local) if replicates else made

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use: the configured cluster or every local node."""
        return self.bootstrap_servers or self.local.bootstrap
