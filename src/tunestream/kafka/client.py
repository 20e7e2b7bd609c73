"""librdkafka client settings derived from the validated Kafka settings, the log every
client's own lines go to, and the admin client that tells a refusal from silence.

librdkafka reports a failed TLS handshake or SASL authentication only through its error
callback (``_SSL``, ``_AUTHENTICATION``), "served upon calling client.poll()"
(https://docs.confluent.io/platform/current/clients/confluent-kafka-python/html/index.html#kafka-client-configuration);
a metadata request meanwhile just times out, with ``_TRANSPORT``.
:class:`Admin` asks for metadata a second at a time and serves its callbacks in between, so a
refused certificate or password ends the wait at once, with librdkafka's reason.
"""

from __future__ import annotations

import logging
import time

from confluent_kafka import KafkaError as RdKafkaError
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ClusterMetadata

from tunestream.config import KafkaSettings
from tunestream.errors import ClusterRefused, ClusterUnreachable

__all__ = [
    "Admin",
    "ClientConfig",
    "ClientLog",
    "admin_client",
    "client_config",
    "wait_for_cluster",
]

ClientConfig = dict[str, str | int | float | bool]

log = logging.getLogger("tunestream.kafka.librdkafka")


class ClientLog:
    """A client's librdkafka log lines (pass it as ``logger``), into tunestream's log instead of
    raw lines on stderr: its warnings and errors as warnings (the client retries them, or the
    call that fails says why in tunestream's own error), the rest at debug, and so are the lines
    that end ``retrying`` (a coordinator still loading after a broker's restart, say): the client
    is already doing what they say. Keeps the first
    error line since :meth:`clear`: the cause of a failure that the failing call's own error
    can mask (a transaction's commit reporting a sequence error that followed it, say)."""

    def __init__(self, *, quiet: bool = False) -> None:
        """``quiet``: every line at debug (an admin client's: its calls' own errors say why)."""
        self.first_error: str | None = None
        self.refused: RdKafkaError | None = None
        self._quiet = quiet

    def clear(self) -> None:
        self.first_error = None

    def log(self, level: int, msg: str, *args: object) -> None:
        line = msg % args
        if level >= logging.ERROR and self.first_error is None:
            self.first_error = line
        loud = level >= logging.WARNING and not self._quiet and not line.endswith("retrying")
        log.log(logging.WARNING if loud else logging.DEBUG, "%s", line)

    def error(self, error: RdKafkaError) -> None:
        """The client's error callback (``error_cb``): keeps the first refusal, a TLS handshake
        or a SASL authentication that failed; the client retries the rest by itself."""
        if self.refused is None and error.code() in _HINTS:
            self.refused = error


_HINTS = {
    RdKafkaError._SSL: "check kafka.ssl_ca_location: the CA that signed the brokers' "
    "certificates, which must name the hosts of kafka.bootstrap_servers",
    RdKafkaError._AUTHENTICATION: "check kafka.sasl_mechanism, sasl_username and sasl_password",
}


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


class Admin(AdminClient):
    """An admin client whose metadata requests end with :class:`ClusterRefused` as soon as the
    cluster refuses its certificate check or its credentials."""

    def __init__(self, config: ClientConfig) -> None:
        self.client_log = ClientLog(quiet=True)
        self._bootstrap = str(config["bootstrap.servers"])
        super().__init__(config, logger=self.client_log, error_cb=self.client_log.error)

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> ClusterMetadata:
        deadline = time.monotonic() + timeout if timeout >= 0 else None
        while True:
            left = 1.0 if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return super().list_topics(topic, timeout=min(1.0, left))
            except KafkaException:
                self.poll(0)  # serves the error callback: a refusal, if there was one
                refused = self.client_log.refused
                if refused is not None:
                    raise ClusterRefused(
                        f"Kafka at {self._bootstrap} refused the connection: {refused.str()}; "
                        f"{_HINTS[refused.code()]}"
                    ) from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise


def admin_client(kafka: KafkaSettings) -> Admin:
    return Admin(client_config(kafka))


def wait_for_cluster(admin: AdminClient, bootstrap: str, timeout_s: float) -> int:
    """Block until a broker answers a metadata request; return how many brokers it reports."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:  # mapped at this boundary
        raise ClusterUnreachable(
            f"no Kafka broker answered at {bootstrap} within {timeout_s:g} s ({exc})"
        ) from exc
    return len(metadata.brokers)
