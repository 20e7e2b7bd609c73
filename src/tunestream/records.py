"""The one type that crosses from fetching to the Kafka sink."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Headers", "Record"]

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Record:
    """A message for one topic; ``value`` None is a tombstone (it deletes ``key`` on compaction);
    ``timestamp_ms`` None: the time it is produced."""

    topic: str
    key: bytes
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int | None = None
