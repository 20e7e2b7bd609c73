"""A local broker with a SASL_SSL listener, as a secured cluster is reached: SCRAM-SHA-512 over
TLS, a certificate signed by a CA made for the test, host names verified.

The broker is :class:`~tunestream.kafka.broker.LocalBroker` with one listener more,
``SASL_SSL://127.0.0.1:<port>`` (its controller and inter-broker listeners stay PLAINTEXT on
loopback), its PEM keystore from :mod:`tests.support.tls` and the SCRAM user stored when the
storage is formatted (``kafka-storage format --add-scram``, KIP-900:
https://cwiki.apache.org/confluence/display/KAFKA/KIP-900%3A+KRaft+kafka-storage.sh+API+additions+to+support+SCRAM+for+Kafka+Brokers).
The listener's server side needs a JAAS entry naming the SCRAM login module
(https://kafka.apache.org/documentation/#security_sasl_scram_brokerconfig). Clients bootstrap
through ``localhost`` and are sent on to the advertised ``127.0.0.1``: the certificate's DNS and
IP names are both checked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.kafka import local_broker_settings
from tests.support.net import free_port
from tests.support.tls import certificate_authority
from tunestream.kafka.broker import LocalBroker

__all__ = ["SCRAM", "SaslSslCluster", "sasl_ssl_broker"]

SCRAM = "SCRAM-SHA-512"
_LISTENER = "SASL_SSL"


@dataclass(frozen=True)
class SaslSslCluster:
    """How a client reaches the broker's SASL_SSL listener."""

    bootstrap: str
    username: str
    password: str
    ca_file: Path
    """The CA that signed the broker's certificate."""
    stranger_ca_file: Path
    """A CA that signed nothing the broker has."""

    def kafka(self, **overrides: Any) -> dict[str, Any]:
        """The ``kafka`` section of a configuration that reaches the listener, with overrides;
        the password is not in it: it comes from the environment (:meth:`environment`)."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": SCRAM,
            "sasl_username": self.username,
            "ssl_ca_location": str(self.ca_file),
            **overrides,
        }

    def environment(self, password: str | None = None) -> dict[str, str]:
        """The variable that gives the password (this one, else the right one)."""
        return {"TUNESTREAM_KAFKA__SASL_PASSWORD": self.password if password is None else password}


def sasl_ssl_broker(folder: Path) -> tuple[LocalBroker, SaslSslCluster]:
    """A broker (not started) in ``folder`` with a SASL_SSL listener, and how to reach it."""
    certs = folder / "certs"
    certs.mkdir(parents=True)
    authority = certificate_authority(certs, "tunestream-test-ca")
    keystore = authority.issue(certs / "broker.pem", "broker", ["localhost", "127.0.0.1"])
    stranger = certificate_authority(certs, "stranger-ca")
    settings = local_broker_settings()
    port, cport, sasl_port = settings.port, settings.controller_port, free_port()
    plain = f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}"
    prefix = f"listener.name.{_LISTENER.lower()}"
    properties = {
        "listeners": f"{plain},{_LISTENER}://127.0.0.1:{sasl_port}",
        "advertised.listeners": f"{plain},{_LISTENER}://127.0.0.1:{sasl_port}",
        "listener.security.protocol.map": (
            f"CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,{_LISTENER}:{_LISTENER}"
        ),
        "sasl.enabled.mechanisms": SCRAM,
        f"{prefix}.{SCRAM.lower()}.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        ),
        f"{prefix}.ssl.keystore.type": "PEM",
        f"{prefix}.ssl.keystore.location": str(keystore),
    }
    username, password = "tunestream", secrets.token_urlsafe(18)
    broker = LocalBroker(
        settings,
        folder,
        extra_properties=properties,
        scram_credentials=[f"{SCRAM}=[name={username},password={password}]"],
    )
    cluster = SaslSslCluster(
        f"localhost:{sasl_port}", username, password, authority.ca_file, stranger.ca_file
    )
    return broker, cluster
