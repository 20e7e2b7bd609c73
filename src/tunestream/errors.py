"""The one error hierarchy of tunestream.

Every error a user can see derives from :class:`TunestreamError`; the CLI turns it into one line
on stderr and the exit code the class names. Third-party exceptions (pydantic, confluent-kafka,
OS errors) are translated at the boundary where they occur, never passed up raw.

    TunestreamError
    ├── ConfigError              bad configuration file, environment variable or value  (exit 2)
    └── KafkaError               anything on the Kafka side                             (exit 1)
        ├── BrokerError          the local broker could not be prepared, started or stopped
        │   ├── JarsMissingError the Maven-resolved broker jars are not there
        │   └── PortInUseError   a port the local broker needs is taken
        ├── ClusterUnreachable   no broker answered the metadata call in time
        └── TopicError           topic administration failed
            └── TopicConflict    a topic exists with settings other than the configured ones
"""

from __future__ import annotations

__all__ = [
    "BrokerError",
    "ClusterUnreachable",
    "ConfigError",
    "JarsMissingError",
    "KafkaError",
    "PortInUseError",
    "TopicConflict",
    "TopicError",
    "TunestreamError",
]


class TunestreamError(Exception):
    """Root of every error tunestream reports to a user."""

    exit_code: int = 1


class ConfigError(TunestreamError):
    """The configuration is invalid; the message names the key and what is allowed."""

    exit_code = 2


class KafkaError(TunestreamError):
    """A failure on the Kafka side."""


class BrokerError(KafkaError):
    """The local broker could not be prepared, started or stopped."""


class JarsMissingError(BrokerError):
    """The broker's jars have not been resolved with Maven yet."""


class PortInUseError(BrokerError):
    """A port the local broker needs is already bound by another process."""


class ClusterUnreachable(KafkaError):
    """No broker answered within the timeout."""


class TopicError(KafkaError):
    """Topic administration failed."""


class TopicConflict(TopicError):
    """A topic exists with settings that differ from the configured ones."""
