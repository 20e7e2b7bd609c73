"""librdkafka client settings derived from the validated Kafka settings."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient

from tunestream.config import KafkaSettings
from tunestream.errors import ClusterUnreachable

__all__ = ["ClientConfig", "admin_client", "client_config", "wait_for_cluster"]

ClientConfig = dict[str, str | int | float | bool]


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


def admin_client(kafka: KafkaSettings) -> AdminClient:
    return AdminClient(client_config(kafka))


def wait_for_cluster(admin: AdminClient, bootstrap: str, timeout_s: float) -> int:
    """Block until a broker answers a metadata request; return how many brokers it reports."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except Exception as exc:  # confluent_kafka.KafkaException: mapped at this boundary
        raise ClusterUnreachable(
            f"no Kafka broker answered at {bootstrap} within {timeout_s:g} s ({exc})"
        ) from exc
    return len(metadata.brokers)
