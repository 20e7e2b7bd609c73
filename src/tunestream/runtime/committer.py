"""Units of work: the records of finished fetches and the state saying so, in one transaction.

Fetches finish concurrently; each adds its records while the work state records what it did.
Records go into the open transaction as they are added. A cut ends the unit: it takes the state
changes made since the last cut, adds them to the same transaction, and commits it — so whatever
a unit wrote is consistent: the state it carries describes exactly the records beside it. The cut
happens in one step of the event loop (taking the changes and switching to the next transaction),
so no record or change can fall between two units.

Two writers take turns (:class:`~tunestream.sink.transactional.SinkPair`: two transactional
producers). Unit N commits on a worker thread while unit N+1 is produced into the other writer;
unit N+1 is cut, and its state records produced and committed, only after unit N's commit is in
— so the state topic's records and commits stay in order and at most one unit commits while one
more is open. Meanwhile unit N+1 keeps taking records past its limits, up to ``_GROWTH`` times
them, before the caller waits: producing never stalls on a commit that is about to end.

A unit may also carry input positions (:meth:`Committer.consumed`: how far a topic another
source writes has been read, for the work queued from it): they are taken at the cut with the
state changes and sent in the same transaction (``send_offsets_to_transaction``), so a crash
neither loses nor repeats what the records read gave.

A commit that fails aborts the open unit too and the error propagates: the committer refuses
everything after it, since the in-memory state is then ahead of Kafka's (a restart reads the
state back and redoes what was lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from confluent_kafka import TopicPartition

from tunestream.records import Record
from tunestream.state.store import state_records
from tunestream.state.work import WorkState

__all__ = ["Committer", "MemoryWriter", "UnitWriter"]

_topic = operator.attrgetter("topic")
_value = operator.attrgetter("value")
_GROWTH = 2
"""While the previous unit commits, the open unit takes records up to this many times the limits
before the caller waits: the commit's wait for acks and markers overlaps with producing."""


class UnitWriter(Protocol):
    """One transaction at a time: ``begin``, ``produce``…, then ``commit`` or ``abort``.

    ``begin`` and ``produce`` run on the event loop's thread and must not block for long;
    ``commit`` may (it runs on a worker thread), ``abort`` too (failures only).
    """

    def begin(self) -> None: ...

    def produce(self, records: Iterable[Record]) -> object: ...

    def send_offsets(self, positions: Sequence[TopicPartition], group: object) -> None:
        """Commit ``group``'s ``positions`` with the open transaction (when it commits)."""
        ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


class MemoryWriter:
    """A writer that keeps units in memory: each committed unit (records, then state records)
    goes to ``on_unit``, after its input positions, if any, to ``on_positions``; nothing reaches
    Kafka (a dry run, a sample)."""

    def __init__(
        self,
        on_unit: Callable[[list[Record]], object] = lambda unit: None,
        on_positions: Callable[[list[TopicPartition]], object] = lambda positions: None,
    ) -> None:
        self._on_unit = on_unit
        self._on_positions = on_positions
        self._unit: list[Record] = []
        self._positions: list[TopicPartition] = []

    def begin(self) -> None:
        self._unit = []

    def produce(self, records: Iterable[Record]) -> None:
        self._unit.extend(records)

    def send_offsets(self, positions: Sequence[TopicPartition], group: object) -> None:
        self._positions = list(positions)

    def commit(self) -> None:
        unit, self._unit = self._unit, []
        positions, self._positions = self._positions, []
        if positions:
            self._on_positions(positions)
        self._on_unit(unit)

    def abort(self) -> None:
        self._unit = []
        self._positions = []

    @classmethod
    def pair(
        cls,
        on_unit: Callable[[list[Record]], object] = lambda unit: None,
        on_positions: Callable[[list[TopicPartition]], object] = lambda positions: None,
    ) -> tuple[MemoryWriter, MemoryWriter]:
        """Two writers for a :class:`Committer`, handing units to ``on_unit`` (and positions to
        ``on_positions``) in commit order."""
        return cls(on_unit, on_positions), cls(on_unit, on_positions)


class Committer:
    """Produces records into the open unit and commits them with the state, two writers taking
    turns (see the module's doc)."""

    def __init__(
        self,
        writers: tuple[UnitWriter, UnitWriter],
        state: WorkState,
        *,
        state_topic: str,
        prefix: str,
        max_records: int = 500,
        max_bytes: int = 8 * 1024 * 1024,
        max_delay_s: float = 1.0,
        on_commit: Callable[[Mapping[str, int]], None] | None = None,
    ) -> None:
        if len(writers) != 2 or writers[0] is writers[1]:
            raise ValueError("a Committer takes two distinct writers")
        self._writers = writers
        self._state = state
        self._state_topic = state_topic
        self._prefix = prefix
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._max_delay_s = max_delay_s
        self._on_commit = on_commit
        self._turn = 0  # the writer the next unit opens in
        self._open: UnitWriter | None = None  # the writer whose transaction is open
        self._records = 0
        self._bytes = 0
        self._counts: Counter[str] = Counter()
        self._positions: tuple[list[TopicPartition], object] | None = None
        self._since = time.monotonic()
        self._committing: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None
        self._lock = asyncio.Lock()

    def add(self, records: list[Record]) -> None:
        """Produce the records into the open unit (opening one if none is)."""
        self._check()
        if not records:
            return
        try:
            writer = self._open or self._begin()
            writer.produce(records)
        except BaseException as exc:
            self._fail(exc)
            raise
        self._records += len(records)
        # per record, but in C: no Python-level loop
        self._counts.update(map(_topic, records))
        self._bytes += sum(map(len, filter(None, map(_value, records))))

    def consumed(self, positions: Sequence[TopicPartition], group: object) -> None:
        """Input read to ``positions`` (by consumer group ``group``): the work it gave is in the
        state changes made so far, so they commit together, at the next cut."""
        self._check()
        if positions:
            pending = self._positions[0] if self._positions is not None else []
            by_partition = {(p.topic, p.partition): p for p in [*pending, *positions]}
            self._positions = (list(by_partition.values()), group)

    async def maybe_flush(self) -> None:
        """Cut the open unit and start its commit if it is due (a limit reached). If the previous
        unit is still committing, the open unit is due only at ``_GROWTH`` times a limit, and
        then waits for that commit first: at most one unit commits while one is open. Returns
        once the commit has started, not once it is done."""
        self._check()
        task = self._committing
        if task is not None and task.done():
            await self._finished(task)  # raises the failure of a commit at once
            task = None
        if self._lock.locked():  # another call is cutting already
            return
        if task is None:
            if self._due(1):
                await self._cut_after_previous()
        elif self._due(_GROWTH):  # the unit outgrew what it may while the previous commits
            await self._cut_after_previous()

    def _due(self, scale: int) -> bool:
        """Whether the open unit reached ``scale`` times one of the limits."""
        return bool(
            self._records >= scale * self._max_records
            or self._bytes >= scale * self._max_bytes
            or (self._records and time.monotonic() - self._since >= scale * self._max_delay_s)
        )

    async def flush(self) -> None:
        """Commit everything added so far, and the state changes behind it; return once it is
        committed."""
        async with self._lock:
            await self._settle()
            self._cut()
            await self._settle()

    # -- steps -------------------------------------------------------------------------------

    def _begin(self) -> UnitWriter:
        writer = self._writers[self._turn]
        writer.begin()
        self._open = writer
        self._since = time.monotonic()
        # the unit is cut after max_delay_s even if no fetch comes by to call maybe_flush (all
        # of them waiting out a Retry-After, say): a transaction stays open only so long
        self._timer = asyncio.get_running_loop().call_later(self._max_delay_s, self._overdue)
        return writer

    def _overdue(self) -> None:
        """The open unit's max_delay_s is up (a cut cancels its timer): cut it."""
        self._timer = None
        if self._open is not None and self._failure is None and not self._lock.locked():
            task = asyncio.ensure_future(self._cut_overdue())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _cut_overdue(self) -> None:
        with contextlib.suppress(Exception):  # a failure is kept, raised to the next caller
            await self._cut_after_previous()

    async def _cut_after_previous(self) -> None:
        async with self._lock:
            await self._settle()
            self._cut()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _cut(self) -> None:
        """End the open unit: its state changes go in, its commit starts on a worker thread.
        Synchronous, so nothing is added or changed between taking the changes and the switch
        to the next unit; the caller made sure no other commit is running."""
        changes = self._state.take_changes()
        positions, self._positions = self._positions, None
        if self._open is None and not changes and positions is None:
            return
        counts = self._counts
        try:
            writer = self._open or self._begin()
            if changes:
                writer.produce(state_records(self._state_topic, self._prefix, changes))
            if positions is not None:
                writer.send_offsets(*positions)
        except BaseException as exc:
            self._fail(exc)
            raise
        self._open = None
        self._stop_timer()
        self._turn = 1 - self._turn
        self._records, self._bytes, self._counts = 0, 0, Counter()
        # submitted to the worker thread now, not when the event loop next gets a turn
        commit = asyncio.get_running_loop().run_in_executor(None, writer.commit)
        on_commit = self._on_commit
        if on_commit is not None:

            def committed(done: asyncio.Future[None]) -> None:
                if not done.cancelled() and done.exception() is None:
                    on_commit(counts)

            commit.add_done_callback(committed)
        self._committing = commit

    async def _settle(self) -> None:
        """Wait for the commit in flight, if any; raise its failure."""
        while (task := self._committing) is not None:
            await asyncio.wait([task])  # a cancelled waiter leaves the commit running
            await self._finished(task)
        self._check()

    async def _finished(self, task: asyncio.Future[None]) -> None:
        """Account for a finished commit: nothing on success; on failure, abort the open unit,
        refuse everything from now on, and raise."""
        if self._committing is task:
            self._committing = None
        if task.cancelled():
            error: BaseException | None = asyncio.CancelledError("the commit was cancelled")
        else:
            error = task.exception()
        if error is None:
            return
        if self._failure is None:
            self._failure = error
            self._stop_timer()
            writer, self._open = self._open, None
            if writer is not None:
                await asyncio.to_thread(writer.abort)
        raise error

    def _fail(self, error: BaseException) -> None:
        """A produce or begin failed: abort the open unit; refuse everything from now on."""
        if self._failure is None:
            self._failure = error
            self._stop_timer()
            writer, self._open = self._open, None
            if writer is not None:
                writer.abort()

    def _check(self) -> None:
        if self._failure is not None:
            raise self._failure
