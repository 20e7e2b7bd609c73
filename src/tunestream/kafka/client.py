"""librdkafka client settings derived from the validated Kafka settings, and the log every
client's own lines go to."""

from __future__ import annotations

import logging

from confluent_kafka.admin import AdminClient

from tunestream.config import KafkaSettings
from tunestream.errors import ClusterUnreachable

__all__ = ["ClientConfig", "ClientLog", "admin_client", "client_config", "wait_for_cluster"]

ClientConfig = dict[str, str | int | float | bool]

log = logging.getLogger("tunestream.kafka.librdkafka")


class ClientLog:
    """A client's librdkafka log lines (pass it as ``logger``), into tunestream's log instead of
    raw lines on stderr: its warnings and errors as warnings (the client retries them, or the
    call that fails says why in tunestream's own error), the rest at debug. Keeps the first
    error line since :meth:`clear`: the cause of a failure that the failing call's own error
    can mask (a transaction's commit reporting a sequence error that followed it, say)."""

    def __init__(self) -> None:
        self.first_error: str | None = None

    def clear(self) -> None:
        self.first_error = None

    def log(self, level: int, msg: str, *args: object) -> None:
        line = msg % args
        if level >= logging.ERROR and self.first_error is None:
            self.first_error = line
        log.log(logging.WARNING if level >= logging.WARNING else logging.DEBUG, "%s", line)


def client_config(kafka: KafkaSettings) -> ClientConfig:
    """The properties every confluent-kafka client gets: address, security, pass-through keys."""
    conf: ClientConfig = {
        "bootstrap.servers": kafka.bootstrap,
        "security.protocol": kafka.security_protocol,
    }
    optional = {
        "sasl.mechanism": kafka.sasl_mechanism,
        "sasl.username": kafka.sasl_username,
        "sasl.password": kafka.sasl_password.get_secret_value() if kafka.sasl_password else None,
        "ssl.ca.location": kafka.ssl_ca_location,
        "ssl.certificate.location": kafka.ssl_certificate_location,
        "ssl.key.location": kafka.ssl_key_location,
        "ssl.key.password": (
            kafka.ssl_key_password.get_secret_value() if kafka.ssl_key_password else None
        ),
    }
    conf.update({k: str(v) for k, v in optional.items() if v is not None})
    conf.update(kafka.client_properties)
    return conf


def committed_reader(config: ClientConfig, group_id: str) -> ClientConfig:
    """A consumer's properties for reading what transactions committed (``read_committed``), each
    partition to its end (an end-of-partition event), its position moved by the caller alone (no
    offsets stored or committed for it), records up to the producer's 16 MiB."""
    return {
        **config,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
        "auto.offset.reset": "earliest",
        "fetch.message.max.bytes": 16 * 1024 * 1024,
    }


def admin_client(kafka: KafkaSettings) -> AdminClient:
    return AdminClient(client_config(kafka), logger=ClientLog())


def wait_for_cluster(admin: AdminClient, bootstrap: str, timeout_s: float) -> int:
    """Block until a broker answers a metadata request; return how many brokers it reports."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except Exception as exc:  # confluent_kafka.KafkaException: mapped at this boundary
        raise ClusterUnreachable(
            f"no Kafka broker answered at {bootstrap} within {timeout_s:g} s ({exc})"
        ) from exc
    return len(metadata.brokers)
