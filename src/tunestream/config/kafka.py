"""The Kafka cluster tunestream uses: the embedded local broker, or a cluster named by its
bootstrap servers and security settings, and the topics tunestream manages on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator

from tunestream.config.base import REPO_ROOT, JvmSize, Model, Port, TopicName
from tunestream.sources import plan, spotify

__all__ = ["DEFAULT_TOPICS", "KafkaSettings", "LocalBrokerSettings", "TopicSettings"]


def _existing_file(path: Path) -> Path:
    if not path.is_file():
        raise ValueError("no such file")
    return path


ExistingFile = Annotated[Path, AfterValidator(_existing_file)]
"""A file that is there when the settings are loaded: a certificate a client reads later."""


class LocalBrokerSettings(Model):
    """The embedded single-node KRaft broker, used when no ``bootstrap_servers`` is set."""

    port: Port = 9092
    controller_port: Port = 9093
    heap: JvmSize = "1g"
    start_timeout_s: Annotated[float, Field(gt=0)] = 120.0
    stop_grace_s: Annotated[float, Field(gt=0)] = 30.0
    jars_dir: Path = REPO_ROOT / "build" / "jars" / "kafka"

    @model_validator(mode="after")
    def _distinct_ports(self) -> LocalBrokerSettings:
        if self.port == self.controller_port:
            raise ValueError("port and controller_port must differ")
        return self


class TopicSettings(Model):
    """One topic as tunestream creates it; ``None`` leaves a setting to the broker's default."""

    name: TopicName
    partitions: Annotated[int, Field(ge=1)] = 1
    replication_factor: Annotated[int, Field(ge=1)] = 1
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
        return {**data, "topics": merged}

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
        return topic or TopicSettings(**_records_topic(spec, key))

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use: the configured cluster or the local broker."""
        return self.bootstrap_servers or f"127.0.0.1:{self.local.port}"
