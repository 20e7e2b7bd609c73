"""Certificates for a TLS listener: a CA, and a server certificate it signs, as PEM files.

Made with ``cryptography`` (RSA 2048, valid a day, from an hour ago): the CA file is what a
client trusts (``ssl_ca_location``); the server file holds the private key (PKCS#8, not
encrypted) and then the certificate, the form a Kafka broker reads as a PEM keystore
(``ssl.keystore.type=PEM``, https://kafka.apache.org/documentation/#brokerconfigs_ssl.keystore.type).
The server certificate names every host and address given (SubjectAltName DNS and IP entries):
a client that verifies host names accepts it under those alone.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Authority", "certificate_authority"]

_VALID = timedelta(days=1)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Authority:
    """A CA: its key, its self-signed certificate, and that certificate's PEM file."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    ca_file: Path

    def issue(self, path: Path, common_name: str, hosts: list[str]) -> Path:
        """A server certificate for ``hosts`` (names and IP addresses), signed by this CA, with
        its key, written to ``path`` as a PEM keystore: the key first, then the certificate."""
        key = _key()
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + _VALID)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.write_bytes(private + _pem(certificate))
        return path


def certificate_authority(folder: Path, common_name: str) -> Authority:
    """A new self-signed CA; its certificate in ``<folder>/<common_name>.pem``."""
    key = _key()
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + _VALID)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    ca_file = folder / f"{common_name}.pem"
    ca_file.write_bytes(_pem(certificate))
    return Authority(key, certificate, ca_file)
