"""A source's progress, in memory: the cycle, the work still to do, what was already emitted.

Every change is also kept as a pending state-topic write (``take_changes``), so the runtime can
put it in the same transaction as the records it describes. Keys in the state topic (below the
source's prefix):

    cycle                       the current cycle: id, mode, start, status
    todo/<resource>/<group>     items still to fetch for <resource> and the context they share:
                                {"context": {...}, "items": [...]}
    seen/<resource>/<id>        an item emitted in an earlier cycle (for de-duplication), with when
    cursor/<resource>/<part>    where paging a list stands (the next request), or that it is done
    count/<resource>            what the cycle has read of a discovery root so far (its report's
                                counts: a resumed cycle reports the whole of it)

An item leaves ``todo`` in the transaction that writes the records fetched for it, so it is
either still to do or its records are in Kafka — never both, never neither. Items queued in one
unit and still to do at its end share groups of at most ``GROUP_SIZE`` (they are mostly done
together, too), so a transaction writes, rewrites or deletes a few groups instead of a record per
item; an item done in the unit that queued it is never written at all.
"""

from __future__ import annotations

import uuid
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import compress, count, filterfalse, repeat
from operator import is_
from typing import Any

import orjson

from tunestream.errors import StateError

__all__ = ["GROUP_SIZE", "Cycle", "WorkState"]

Context = dict[str, str]
GROUP_SIZE = 100

_drain: Callable[[Iterable[object]], object] = partial(deque, maxlen=0)
"""Runs an iterator to its end, keeping nothing: ``map`` a call over items without a loop."""


@dataclass(frozen=True)
class Cycle:
    id: str
    mode: str
    started_at: float
    finished_at: float | None = None

    @property
    def running(self) -> bool:
        return self.finished_at is None


class _Group:
    """Items still to do that share a context: a state record (``key``) once written, or a run
    of items queued together and not yet written (``key`` is None). ``members`` may still name
    items done since: an item belongs to the group its queue's ``where`` maps it to, and
    ``left`` counts those."""

    __slots__ = ("context", "key", "left", "members")

    def __init__(self, key: str | None, context: Context, members: list[str]) -> None:
        self.key = key
        self.context = context
        self.members = members
        self.left = len(members)


class _Queue:
    """The items still to do for one resource, each mapped to its group.

    An item joins a written group of at most ``GROUP_SIZE`` (one state record) only when the
    unit it was queued in is cut (:meth:`settle`): until then it is in a run of ``fresh``, and
    an item done in the unit that queued it costs the state topic nothing. A cycle queues and
    retires every item it fetches, a page at a time, so each step costs about one lookup in
    ``where`` per item, made by the interpreter's C (``map``, ``compress``, ``Counter``), not by
    a Python loop; a group whose items are all done goes without looking at them again.
    """

    __slots__ = ("dirty", "fresh", "where")

    def __init__(self) -> None:
        self.where: dict[str, _Group] = {}  # oldest first
        self.fresh: list[_Group] = []  # runs queued since the last cut
        self.dirty: set[_Group] = set()  # written groups with members done since the last cut

    def join(self, group: _Group) -> None:
        self.where.update(zip(group.members, repeat(group)))

    def add(self, items: Iterable[str], context: Context) -> int:
        """Queue the items not queued yet; return how many."""
        run = _Group(None, context, list(items))
        where = self.where
        before = len(where)
        _drain(map(where.setdefault, run.members, repeat(run)))
        run.left = len(where) - before
        if run.left < len(run.members):  # some were queued already, or named twice
            run.members = list(dict.fromkeys(self.remaining(run)))
        if run.left:
            self.fresh.append(run)
        return run.left

    def drop(self, items: Iterable[str]) -> None:
        for group, done in Counter(map(self.where.pop, items, repeat(None))).items():
            if group is not None:
                group.left -= done
                if group.key is not None:
                    self.dirty.add(group)

    def remaining(self, group: _Group) -> list[str]:
        """The group's members still to do in it."""
        members = group.members
        if group.left == len(members):
            return members
        return list(compress(members, map(is_, map(self.where.get, members), repeat(group))))

    def settle(self, keys: Iterator[str]) -> list[_Group]:
        """Put the fresh items still to do into new groups (at a cut), consecutive runs of one
        context together, keyed from ``keys``; return the new groups."""
        made: list[_Group] = []
        last: _Group | None = None
        for run in self.fresh:
            left = self.remaining(run) if run.left else []
            while left:
                if last is None or last.context != run.context or len(last.members) >= GROUP_SIZE:
                    last = _Group(next(keys), run.context, [])
                    made.append(last)
                room = GROUP_SIZE - len(last.members)
                last.members += left[:room]
                left = left[room:]
        self.fresh = []
        for group in made:
            group.left = len(group.members)
            self.join(group)
        return made


class WorkState:
    """The state of one source, loaded from the state topic and changed as work is done."""

    def __init__(self, loaded: Mapping[str, bytes] | None = None) -> None:
        self.cycle: Cycle | None = None
        self._queues: dict[str, _Queue] = {}
        self._seen: dict[str, dict[str, float]] = {}
        self._cursors: dict[str, dict[str, Any]] = {}
        self._counts: dict[str, dict[str, int]] = {}
        self._changes: dict[str, bytes | None] = {}
        # keys of new todo groups: unique to this process (a restart loads older ones)
        self._keys = map("{}{:x}".format, repeat(uuid.uuid4().hex[:10]), count())
        for key, raw in (loaded or {}).items():
            try:
                self._load(key, orjson.loads(raw))
            except (AttributeError, KeyError, TypeError, ValueError) as exc:  # not a known shape
                raise StateError(
                    f"state record {key!r} cannot be read ({type(exc).__name__}: {exc}); "
                    "was it written by something other than this version of tunestream?"
                ) from exc

    def _load(self, key: str, value: Any) -> None:
        kind, _, rest = key.partition("/")
        if kind == "cycle":
            self.cycle = Cycle(**value)
            return
        resource, _, item = rest.partition("/")
        if kind == "todo":
            queue = self._queue(resource)
            if isinstance(value.get("items"), list):
                queue.join(_Group(item, value["context"], value["items"]))
            else:  # {item: context}, as tunestream wrote groups before they shared a context:
                for queued, context in value.items():  # queued anew, rewritten at the first cut
                    queue.add((queued,), context)
                self._delete(key)
        elif kind == "seen":
            self._seen.setdefault(resource, {})[item] = float(value)
        elif kind == "cursor":
            self._cursors[rest] = value
        elif kind == "count":
            self._counts[rest] = {name: int(n) for name, n in value.items()}

    # -- cycle -------------------------------------------------------------------------------

    def start_cycle(self, cycle_id: str, mode: str, now: float) -> Cycle:
        self.cycle = Cycle(cycle_id, mode, now)
        self._put("cycle", self.cycle.__dict__)
        return self.cycle

    def finish_cycle(self, now: float) -> None:
        assert self.cycle is not None, "no cycle to finish"
        self.cycle = Cycle(self.cycle.id, self.cycle.mode, self.cycle.started_at, now)
        self._put("cycle", self.cycle.__dict__)

    # -- work to do --------------------------------------------------------------------------

    def add_todo(self, resource: str, item: str, context: Context, *, dedupe: bool) -> bool:
        """Queue an item unless it is queued already or (when ``dedupe``) was emitted before."""
        return self.add_todos(resource, (item,), context, dedupe=dedupe) == 1

    def add_todos(
        self, resource: str, items: Iterable[str], context: Context, *, dedupe: bool
    ) -> int:
        """Queue the items (found together: one context) as :meth:`add_todo` does each; return
        how many were queued."""
        queue = self._queues.get(resource) or self._queue(resource)
        seen = self._seen.get(resource) if dedupe else None
        return queue.add(filterfalse(seen.__contains__, items) if seen else items, context)

    def _queue(self, resource: str) -> _Queue:
        return self._queues.setdefault(resource, _Queue())

    def todo(self, resource: str) -> dict[str, Context]:
        """The items still to do for the resource, oldest first, with their contexts."""
        queue = self._queues.get(resource)
        return {} if queue is None else {item: group.context for item, group in queue.where.items()}

    def done(self, resource: str, items: Collection[str], *, remember_at: float | None) -> None:
        """The items' records are being written: drop them from the queue, remember if asked."""
        queue = self._queues.get(resource)
        if queue is not None:
            queue.drop(items)
        if remember_at is not None:
            for item in items:
                self.remember(resource, item, remember_at)

    def remember(self, resource: str, item: str, at: float) -> None:
        """The item was emitted: later cycles skip it (until ``forget_before``)."""
        self._seen.setdefault(resource, {})[item] = at
        self._put(f"seen/{resource}/{item}", at)

    def seen(self, resource: str, item: str) -> bool:
        return item in self._seen.get(resource, {})

    def forget_before(self, resource: str, cutoff: float) -> int:
        """Drop de-duplication memories older than ``cutoff``; return how many."""
        memory = self._seen.get(resource, {})
        old = [item for item, at in memory.items() if at < cutoff]
        for item in old:
            del memory[item]
            self._delete(f"seen/{resource}/{item}")
        return len(old)

    # -- list paging -------------------------------------------------------------------------

    def cursor(self, resource: str, part: str) -> dict[str, Any] | None:
        return self._cursors.get(f"{resource}/{part}")

    def cursors(self, resource: str) -> dict[str, dict[str, Any]]:
        """Every part of the resource's list with its cursor."""
        prefix = f"{resource}/"
        return {k[len(prefix) :]: v for k, v in self._cursors.items() if k.startswith(prefix)}

    def set_cursor(self, resource: str, part: str, value: dict[str, Any]) -> None:
        self._cursors[f"{resource}/{part}"] = value
        self._put(f"cursor/{resource}/{part}", value)

    def drop_cursor(self, resource: str, part: str) -> None:
        del self._cursors[f"{resource}/{part}"]
        self._delete(f"cursor/{resource}/{part}")

    def counts(self, resource: str) -> dict[str, int]:
        """What the cycle has counted of a discovery root so far (empty: nothing yet)."""
        return dict(self._counts.get(resource, {}))

    def set_counts(self, resource: str, counts: Mapping[str, int]) -> None:
        """Keep the root's counts with the pages they count (a new cycle's start empties them)."""
        self._counts[resource] = dict(counts)
        self._put(f"count/{resource}", self._counts[resource])

    # -- writing -----------------------------------------------------------------------------

    def take_changes(self) -> dict[str, bytes | None]:
        """The state-topic writes accumulated since the last call (None deletes a key)."""
        for resource, queue in self._queues.items():
            for group in queue.dirty:
                if group.left:
                    group.members = queue.remaining(group)
                    self._put_group(resource, group)
                else:
                    self._delete(f"todo/{resource}/{group.key}")
            queue.dirty.clear()
            for group in queue.settle(self._keys):
                self._put_group(resource, group)
        changes, self._changes = self._changes, {}
        return changes

    def _put_group(self, resource: str, group: _Group) -> None:
        self._put(
            f"todo/{resource}/{group.key}", {"context": group.context, "items": group.members}
        )

    def _put(self, key: str, value: Any) -> None:
        self._changes[key] = orjson.dumps(value)

    def _delete(self, key: str) -> None:
        self._changes[key] = None
