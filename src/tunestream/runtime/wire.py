"""What the producer writes besides state: records with their headers, and dead letters.

A record is keyed by the item's id; its value is the item's JSON as the API gave it; its headers
say where it came from::

    tunestream.source       the source's name (its spec's, unless the configuration names it)
    tunestream.cycle        the cycle that fetched it
    tunestream.fetched_at   when (UTC, milliseconds: 2026-11-20T12:00:00.000Z)
    tunestream.schema       the spec's schema id of the records, where it names one
    tunestream.<name>       the item's context (``for_each`` values, e.g. ``tunestream.market``;
                            ``tunestream.input``: the topic a topic root read the item from)

A dead letter, keyed ``<source>/<resource>/<first item>``, is a JSON object: ``source``,
``resource``, ``items``, ``cycle``, ``url``, ``error``, ``status`` (null unless an HTTP status),
``body`` (the answer, at most 1 MiB of text) and ``at``.

A record its topic would refuse is never sent: it becomes a dead letter that names it, with
``error`` saying why, ``topic``, ``size`` and ``limit`` (bytes) besides, ``url`` null and no
``body``. The
size rule is conservative: Kafka's ``max.message.bytes`` bounds the record batch as the broker
stores it, compressed (https://kafka.apache.org/documentation/#topicconfigs_max.message.bytes),
and librdkafka checks ``message.max.bytes`` against the uncompressed key, value and headers at
``produce()`` (https://github.com/confluentinc/librdkafka/pull/2513); a record is sent only if
its uncompressed key, value and headers plus the framing of a batch holding it alone
(:func:`record_bytes`) are within the limit, so no compression ratio is counted on.

The plan record, keyed by the source's name, says which topics the source delivers to and what it
does not fetch (:mod:`tunestream.sources.plan`); its headers are a record's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from tunestream.errors import DeclaredOutcome, FetchError, HttpStatusError, MalformedBody
from tunestream.records import Record
from tunestream.sources import plan

__all__ = ["DEAD_LETTER_BODY_LIMIT", "DEAD_LETTER_TOPIC", "Wire", "record_bytes"]

DEAD_LETTER_TOPIC = "dead_letter"
"""The ``kafka.topics`` key of the dead-letter topic."""
DEAD_LETTER_BODY_LIMIT = 1024 * 1024
"""Characters of an answer's body a dead letter keeps."""
_BATCH_FRAMING = 61 + 5 + 1 + 10 + 5 + 5 + 5 + 5
"""The most a batch of one record adds to its key, value and headers
(https://kafka.apache.org/documentation/#recordbatch): the batch header (61 bytes), the record's
length, attributes, timestamp and offset deltas, key and value lengths and header count (varints
at their widest)."""
_HEADER_FRAMING = 5 + 5
"""The most a header adds to its key and value: their lengths (varints at their widest)."""


def record_bytes(record: Record) -> int:
    """The size a record is held to (the module's size rule): its uncompressed key, value and
    headers, and the framing of a batch holding it alone."""
    headers = sum(len(k.encode()) + len(v) + _HEADER_FRAMING for k, v in record.headers)
    return _BATCH_FRAMING + len(record.key) + len(record.value or b"") + headers


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _mebibytes(size: int) -> str:
    mib = size / 1024**2
    return f"{mib:g} MiB" if mib == int(mib) else f"{size:,} bytes"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Wire:
    """Builds the records of one cycle of one source; ``topics`` maps topic keys to names,
    ``limits`` topic names to the largest record (:func:`record_bytes`) each takes (a topic not
    there has no limit)."""

    source: str
    cycle: str
    topics: Mapping[str, str]
    now: Callable[[], datetime] = field(default=_utc_now)
    limits: Mapping[str, int] = field(default_factory=dict)

    def record(
        self,
        topic: str,
        schema: str | None,
        key: str,
        value: Any,
        context: Mapping[str, str],
        *,
        at: str | None = None,
        timestamp_ms: int | None = None,
    ) -> Record:
        """An item's record; context names starting with ``_`` are work details, not sent;
        ``at``: the ``fetched_at`` stamp (default now); ``timestamp_ms``: the Kafka timestamp
        (default: when it is produced)."""
        headers = [
            ("tunestream.source", self.source.encode()),
            ("tunestream.cycle", self.cycle.encode()),
            ("tunestream.fetched_at", (at or self._stamp()).encode()),
        ]
        if schema:
            headers.append(("tunestream.schema", schema.encode()))
        headers += [
            (f"tunestream.{k}", v.encode()) for k, v in context.items() if not k.startswith("_")
        ]
        return Record(
            self.topics[topic], key.encode(), orjson.dumps(value), tuple(headers), timestamp_ms
        )

    def dead_letter(self, resource: str, items: list[str], error: FetchError) -> Record:
        """The dead letter of the items a request for ``resource`` failed with ``error``."""
        with_body = HttpStatusError | MalformedBody | DeclaredOutcome
        body: str | bytes = error.body if isinstance(error, with_body) else ""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        letter = {
            "source": self.source,
            "resource": resource,
            "items": items,
            "cycle": self.cycle,
            "url": error.url,
            "error": str(error),
            "status": error.status
            if isinstance(error, HttpStatusError | DeclaredOutcome)
            else None,
            "body": text[:DEAD_LETTER_BODY_LIMIT],
            "at": self._stamp(),
        }
        key = f"{self.source}/{resource}/{items[0] if items else ''}"
        return Record(self.topics[DEAD_LETTER_TOPIC], key.encode(), orjson.dumps(letter))

    def refused(self, resource: str, item: str, record: Record) -> tuple[Record, str] | None:
        """The dead letter of a record of ``resource``'s ``item`` its topic would refuse (it is
        over the topic's limit), and why; None when it fits."""
        limit = self.limits.get(record.topic)
        size = record_bytes(record)
        if limit is None or size <= limit:
            return None
        error = f"too large: {_megabytes(size)} > {_mebibytes(limit)} topic limit"
        letter = {
            "source": self.source,
            "resource": resource,
            "items": [item],
            "cycle": self.cycle,
            "url": None,
            "error": error,
            "status": None,
            "body": "",
            "at": self._stamp(),
            "topic": record.topic,
            "size": size,
            "limit": limit,
        }
        key = f"{self.source}/{resource}/{item}"
        return Record(self.topics[DEAD_LETTER_TOPIC], key.encode(), orjson.dumps(letter)), error

    def plan(self, delivers: Iterable[str], closed: Mapping[str, str]) -> Record:
        """The source's plan record: the topics (``kafka.topics`` keys) it ``delivers`` to, and
        each ``closed`` resource with the reason."""
        at = self._stamp()
        topics = (self.topics[topic] for topic in delivers)
        value = plan.document(self.source, topics, closed, at)
        return self.record(plan.PLAN, plan.SCHEMA, self.source, value, {}, at=at)

    def _stamp(self) -> str:
        return self.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
