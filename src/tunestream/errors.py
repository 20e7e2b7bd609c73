"""The one error hierarchy of tunestream.

Every error a user can see derives from :class:`TunestreamError`; the CLI turns it into one line
on stderr and the exit code the class names. Third-party exceptions (pydantic, confluent-kafka,
OS errors) are translated at the boundary where they occur, never passed up raw.

    TunestreamError
    ├── ConfigError              bad configuration file, environment variable or value  (exit 2)
    ├── FetchError               an HTTP source failed for good (after retries)         (exit 1)
    │   ├── AuthError            credentials refused, or no token could be had
    │   ├── RateLimited          429 with a Retry-After beyond the configured ceiling
    │   │   └── QuotaExceeded    a response the spec declares quota_exceeded (a used-up quota)
    │   ├── HttpStatusError      a non-retryable status (400, 404 …) or retries exhausted
    │   │   └── Forbidden        403: the credentials may not use this endpoint
    │   ├── DeclaredOutcome      a response the spec declares missing, dead_letter or step_down
    │   └── MalformedBody        the body stayed unparseable after retries
    ├── ComponentError           a component of the system (`tunestream up`, the dashboard)
    │                            could not be started, stopped or served                (exit 1)
    ├── SourceFailed             one of several sources failed: its error, named   (its exit)
    └── KafkaError               anything on the Kafka side                             (exit 1)
        ├── BrokerError          the local broker could not be prepared, started or stopped
        │   ├── JarsMissingError the Maven-resolved broker jars are not there
        │   └── PortInUseError   a port the local broker needs is taken
        ├── ClusterUnreachable   no broker answered the metadata call in time
        │   └── ClusterRefused   one answered, and refused our TLS check or SASL credentials
        ├── StateError           the source state topic holds a record that cannot be read
        ├── SinkError            records could not be written
        │   ├── TransactionAborted   the open transaction was aborted; the unit can be redone
        │   └── ProducerFenced   a newer producer with the same transactional.id took over
        └── TopicError           topic administration failed
            └── TopicConflict    a topic exists with settings other than the configured ones
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "AuthError",
    "BrokerError",
    "ClusterRefused",
    "ClusterUnreachable",
    "ComponentError",
    "ConfigError",
    "DeclaredAction",
    "DeclaredOutcome",
    "FetchError",
    "Forbidden",
    "HttpStatusError",
    "JarsMissingError",
    "KafkaError",
    "MalformedBody",
    "PortInUseError",
    "ProducerFenced",
    "QuotaExceeded",
    "RateLimited",
    "SinkError",
    "SourceFailed",
    "StateError",
    "TopicConflict",
    "TopicError",
    "TransactionAborted",
    "TunestreamError",
]


class TunestreamError(Exception):
    """Root of every error tunestream reports to a user."""

    exit_code: int = 1


class ConfigError(TunestreamError):
    """The configuration is invalid; the message names the key and what is allowed."""

    exit_code = 2


class FetchError(TunestreamError):
    """An HTTP source failed for good; ``url`` is the request that failed (secrets left out)."""

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class AuthError(FetchError):
    """The credentials were refused, or no access token could be obtained."""


class RateLimited(FetchError):
    """The API asked us to wait longer than the configured ceiling."""

    def __init__(self, message: str, *, url: str = "", retry_after_s: float) -> None:
        super().__init__(message, url=url)
        self.retry_after_s = retry_after_s


class QuotaExceeded(RateLimited):
    """A quota (not the rolling rate window) is used up; waiting is measured in hours."""


class HttpStatusError(FetchError):
    """The API answered with a status that retrying will not change."""

    def __init__(self, message: str, *, url: str = "", status: int, body: str = "") -> None:
        super().__init__(message, url=url)
        self.status = status
        self.body = body


class Forbidden(HttpStatusError):
    """403: these credentials may not use the endpoint (closed for the app's access mode)."""


DeclaredAction = Literal["missing", "dead_letter", "step_down"]
"""The response actions that end a request in a :class:`DeclaredOutcome`."""


class DeclaredOutcome(FetchError):
    """A response the spec's ``response_actions`` declare ``missing`` (the item does not exist),
    ``dead_letter`` (the request's items go to the dead-letter topic) or ``step_down`` (as a 403:
    the plan steps down), whatever its status; ``body`` is the response text (cut short)."""

    def __init__(
        self, message: str, *, url: str = "", action: DeclaredAction, status: int, body: str = ""
    ) -> None:
        super().__init__(message, url=url)
        self.action: DeclaredAction = action
        self.status = status
        self.body = body


class MalformedBody(FetchError):
    """The body could not be parsed as the expected JSON, even after retrying."""

    def __init__(self, message: str, *, url: str = "", body: bytes = b"") -> None:
        super().__init__(message, url=url)
        self.body = body


class ComponentError(TunestreamError):
    """A component of the system could not be started, stopped or served; the message names
    it, what went wrong and where its log is."""


class SourceFailed(TunestreamError):
    """One source of a producer running several failed (the others were stopped cleanly):
    its error, prefixed with its name, and that error's exit code."""

    def __init__(self, source: str, error: TunestreamError) -> None:
        super().__init__(f"source {source}: {error}")
        self.source = source
        self.error = error
        self.exit_code = error.exit_code


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


class ClusterRefused(ClusterUnreachable):
    """A broker answered, but the TLS handshake or the SASL authentication failed: the message
    says which, and the settings to check (never their secret values)."""


class StateError(KafkaError):
    """A record of the source state topic cannot be read; the message names its key."""


class SinkError(KafkaError):
    """Records could not be written to Kafka."""


class TransactionAborted(SinkError):
    """The transaction was aborted: nothing of it is visible, so the same unit can be redone."""


class ProducerFenced(SinkError):
    """Another producer with our transactional.id started: this one must stop."""


class TopicError(KafkaError):
    """Topic administration failed."""


class TopicConflict(TopicError):
    """A topic exists with settings that differ from the configured ones."""
