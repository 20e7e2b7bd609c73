"""Units of work: the records of finished fetches and the state saying so, in one transaction.

Fetches finish concurrently; each adds its records while the work state records what it did.
A flush takes both at once — everything added since the last flush — and writes them in one
Kafka transaction, on a worker thread so fetching goes on meanwhile. Whatever a flush wrote is
consistent: the state it carries describes exactly the records beside it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tunestream.records import Record
from tunestream.state.store import state_records
from tunestream.state.work import WorkState

__all__ = ["Committer"]


class Committer:
    """Buffers records and commits them with the state; ``write`` is one transaction's writer
    (``TransactionalSink.write``), or one that drops everything for a dry run."""

    def __init__(
        self,
        write: Callable[[list[Record]], object],
        state: WorkState,
        *,
        state_topic: str,
        prefix: str,
        max_records: int = 500,
        max_bytes: int = 8 * 1024 * 1024,
        max_delay_s: float = 1.0,
        on_commit: Callable[[list[Record]], None] | None = None,
    ) -> None:
        self._write = write
        self._state = state
        self._state_topic = state_topic
        self._prefix = prefix
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._max_delay_s = max_delay_s
        self._on_commit = on_commit
        self._buffer: list[Record] = []
        self._bytes = 0
        self._since = time.monotonic()
        self._lock = asyncio.Lock()

    def add(self, records: list[Record]) -> None:
        if not self._buffer:
            self._since = time.monotonic()
        self._buffer.extend(records)
        self._bytes += sum(len(r.value or b"") for r in records)

    async def maybe_flush(self) -> None:
        due = (
            len(self._buffer) >= self._max_records
            or self._bytes >= self._max_bytes
            or (self._buffer and time.monotonic() - self._since >= self._max_delay_s)
        )
        if due and not self._lock.locked():
            await self.flush()

    async def flush(self) -> None:
        """Write what was added so far, and the state changes behind it, in one transaction."""
        async with self._lock:
            records, self._buffer, self._bytes = self._buffer, [], 0
            changes = self._state.take_changes()
            if not records and not changes:
                return
            unit = records + state_records(self._state_topic, self._prefix, changes)
            await asyncio.to_thread(self._write, unit)
            if self._on_commit is not None:
                self._on_commit(records)
