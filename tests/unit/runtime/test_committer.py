"""The Committer's pipeline: two writers taking turns, one unit committing while the next fills."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable

import pytest

from tunestream.errors import ProducerFenced
from tunestream.records import Record
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.state.work import WorkState

pytestmark = pytest.mark.unit

STATE = "state"
Log = list[tuple[str, str, list[bytes]]]


class FakeWriter:
    """A writer that logs what it is asked to do; its commits can be held or made to fail."""

    def __init__(self, name: str, log: Log) -> None:
        self.name = name
        self.log = log
        self.hold = threading.Event()
        self.hold.set()
        self.fail: BaseException | None = None
        self.open = False
        self.committed: list[list[bytes]] = []
        self._unit: list[bytes] = []

    def begin(self) -> None:
        assert not self.open, f"{self.name}: begin with a transaction open"
        self.open, self._unit = True, []
        self.log.append(("begin", self.name, []))

    def produce(self, records: Iterable[Record]) -> None:
        assert self.open, f"{self.name}: produce outside a transaction"
        keys = [r.key for r in records]
        self._unit.extend(keys)
        self.log.append(("produce", self.name, keys))

    def commit(self) -> None:
        assert self.open
        self.log.append(("commit", self.name, list(self._unit)))
        self.hold.wait(10)
        self.open = False
        if self.fail is not None:
            self.log.append(("failed", self.name, []))
            raise self.fail
        self.committed.append(self._unit)
        self.log.append(("committed", self.name, []))

    def abort(self) -> None:
        self.open = False
        self.log.append(("abort", self.name, list(self._unit)))


def records(*keys: str) -> list[Record]:
    return [Record("data", key.encode(), b"v") for key in keys]


def make(max_records: int = 2) -> tuple[Committer, WorkState, FakeWriter, FakeWriter, Log]:
    log: Log = []
    first, second = FakeWriter("w0", log), FakeWriter("w1", log)
    state = WorkState()
    committer = Committer(
        (first, second), state, state_topic=STATE, prefix="p/", max_records=max_records
    )
    return committer, state, first, second, log


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def test_records_go_into_the_open_transaction_and_units_alternate_writers() -> None:
    committer, state, first, second, log = make()

    async def run() -> None:
        state.set_cursor("r", "a", {"done": True})
        committer.add(records("a1", "a2"))
        assert ("produce", "w0", [b"a1", b"a2"]) in log  # produced as added, not at the flush
        await committer.maybe_flush()  # due: the unit is cut, its commit runs in the background
        state.set_cursor("r", "b", {"done": True})
        committer.add(records("b1"))
        await committer.flush()

    asyncio.run(run())
    assert first.committed == [[b"a1", b"a2", b"p/cursor/r/a"]]
    assert second.committed == [[b"b1", b"p/cursor/r/b"]]


def test_the_next_unit_fills_while_the_previous_commits_and_is_cut_after_it() -> None:
    committer, state, first, second, log = make()
    first.hold.clear()

    async def run() -> None:
        committer.add(records("a1", "a2"))
        state.set_cursor("r", "a", {"done": True})
        await committer.maybe_flush()  # due: the cut returns at once, the commit goes on
        await until(lambda: ("commit", "w0", [b"a1", b"a2", b"p/cursor/r/a"]) in log)
        # unit 1 commits (held); unit 2 fills the other writer meanwhile, past its limit
        committer.add(records("b1", "b2"))
        await asyncio.wait_for(committer.maybe_flush(), 1)  # due, but unit 1 is not in: grows
        committer.add(records("b3", "b4"))
        state.set_cursor("r", "b", {"done": True})
        # twice the limit: this call waits for unit 1 (backpressure) ...
        waiting = asyncio.ensure_future(committer.maybe_flush())
        await asyncio.sleep(0.05)
        assert not waiting.done()
        # ... while other fetches still add to unit 2, and their maybe_flush does not wait
        committer.add(records("b5"))
        await asyncio.wait_for(committer.maybe_flush(), 1)
        assert ("produce", "w1", [b"b5"]) in log
        assert not any(step[0] == "commit" and step[1] == "w1" for step in log)
        first.hold.set()
        await asyncio.wait_for(waiting, 5)  # unit 1 is in: unit 2 is cut now
        await committer.flush()

    asyncio.run(run())
    assert first.committed == [[b"a1", b"a2", b"p/cursor/r/a"]]
    assert second.committed == [[b"b1", b"b2", b"b3", b"b4", b"b5", b"p/cursor/r/b"]]
    # unit 2's state records were produced only after unit 1's commit completed
    state_write = log.index(("produce", "w1", [b"p/cursor/r/b"]))
    assert log.index(("committed", "w0", [])) < state_write


def test_a_unit_that_grew_during_a_commit_is_cut_by_the_first_call_after_it() -> None:
    committer, _, first, second, log = make()
    first.hold.clear()

    async def run() -> None:
        committer.add(records("a1", "a2"))
        await committer.maybe_flush()
        committer.add(records("b1", "b2", "b3"))
        await asyncio.wait_for(committer.maybe_flush(), 1)  # unit 1 is not in: no cut
        assert not any(step[0] == "commit" and step[1] == "w1" for step in log)
        first.hold.set()
        await until(lambda: ("committed", "w0", []) in log)
        await committer.maybe_flush()  # unit 1 is in: unit 2, over its limit, is cut
        await until(lambda: second.committed != [])

    asyncio.run(run())
    assert second.committed == [[b"b1", b"b2", b"b3"]]


def test_a_failed_commit_aborts_the_open_unit_and_everything_after_fails() -> None:
    committer, _, first, second, log = make()
    first.hold.clear()
    first.fail = ProducerFenced("another producer took over")

    async def run() -> None:
        committer.add(records("a1", "a2"))
        await committer.maybe_flush()
        committer.add(records("b1"))  # unit 2, open in the other writer
        first.hold.set()
        with pytest.raises(ProducerFenced):
            await committer.flush()
        with pytest.raises(ProducerFenced):
            committer.add(records("c1"))
        with pytest.raises(ProducerFenced):
            await committer.maybe_flush()

    asyncio.run(run())
    assert first.committed == [] and second.committed == []
    assert ("abort", "w1", [b"b1"]) in log
    assert not any(step[2] == [b"c1"] for step in log)


def test_an_open_unit_is_cut_after_max_delay_without_another_call() -> None:
    log: Log = []
    first, second = FakeWriter("w0", log), FakeWriter("w1", log)
    state = WorkState()
    committer = Committer((first, second), state, state_topic=STATE, prefix="p/", max_delay_s=0.1)

    async def run() -> None:
        committer.add(records("a1"))
        state.set_cursor("r", "a", {"done": True})
        # every fetch waits (a long Retry-After, say): nobody calls maybe_flush
        await until(lambda: first.committed != [])

    asyncio.run(run())
    assert first.committed == [[b"a1", b"p/cursor/r/a"]]


def test_a_flush_with_nothing_added_writes_nothing() -> None:
    committer, _, _, _, log = make()
    asyncio.run(committer.flush())
    assert log == []


def test_state_changes_alone_make_a_unit() -> None:
    committer, state, first, _, _ = make()
    state.set_cursor("r", "a", {"done": False})
    asyncio.run(committer.flush())
    assert first.committed == [[b"p/cursor/r/a"]]


def test_memory_writers_hand_units_over_in_commit_order() -> None:
    kept: list[Record] = []
    state = WorkState()
    committer = Committer(MemoryWriter.pair(kept.extend), state, state_topic=STATE, prefix="p/")

    async def run() -> None:
        for n in range(5):
            committer.add(records(f"k{n}"))
            state.set_cursor("r", str(n), {"done": True})
            await committer.flush()

    asyncio.run(run())
    assert [r.key for r in kept] == [
        key for n in range(5) for key in (f"k{n}".encode(), f"p/cursor/r/{n}".encode())
    ]


def test_a_committer_needs_two_distinct_writers() -> None:
    writer = MemoryWriter()
    with pytest.raises(ValueError):
        Committer((writer, writer), WorkState(), state_topic=STATE, prefix="p/")
