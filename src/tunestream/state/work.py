"""A source's progress, in memory: the cycle, the work still to do, what was already emitted.

Every change is also kept as a pending state-topic write (``take_changes``), so the runtime can
put it in the same transaction as the records it describes. Keys in the state topic (below the
source's prefix):

    cycle                       the current cycle: id, mode, start, status
    todo/<resource>/<group>     items still to fetch for <resource>, with their contexts
    seen/<resource>/<id>        an item emitted in an earlier cycle (for de-duplication), with when
    cursor/<resource>/<part>    where paging a list stands (the next request), or that it is done

An item leaves ``todo`` in the transaction that writes the records fetched for it, so it is
either still to do or its records are in Kafka — never both, never neither. Items queued in one
unit and still to do at its end share groups of at most ``GROUP_SIZE`` (they are mostly done
together, too), so a transaction writes, rewrites or deletes a few groups instead of a record per
item; an item done in the unit that queued it is never written at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["GROUP_SIZE", "Cycle", "WorkState"]

Context = dict[str, str]
GROUP_SIZE = 100


@dataclass(frozen=True)
class Cycle:
    id: str
    mode: str
    started_at: float
    finished_at: float | None = None

    @property
    def running(self) -> bool:
        return self.finished_at is None


class _Queue:
    """The items still to do for one resource, with their contexts.

    An item joins a group of at most ``GROUP_SIZE`` (one state record) only when the unit it was
    queued in is cut (:meth:`settle`): until then it is in ``fresh``, and an item done in the
    unit that queued it costs the state topic nothing. ``dirty`` holds the groups changed since
    the last cut.
    """

    __slots__ = ("dirty", "fresh", "group_of", "groups", "items")

    def __init__(self) -> None:
        self.items: dict[str, Context] = {}
        self.fresh: dict[str, None] = {}  # queued since the last cut and still to do, in order
        self.group_of: dict[str, str] = {}
        self.groups: dict[str, set[str]] = {}
        self.dirty: set[str] = set()

    def join(self, group: str, item: str, context: Context) -> None:
        self.items[item] = context
        self.group_of[item] = group
        self.groups.setdefault(group, set()).add(item)

    def add(self, items: Iterable[str], context: Context, seen: Container[str]) -> None:
        """Queue the items neither queued nor in ``seen``."""
        queued, fresh = self.items, self.fresh
        for item in items:
            if item not in queued and item not in seen:
                queued[item] = context
                fresh[item] = None

    def drop(self, items: Iterable[str]) -> None:
        pop, group_of, groups, dirty = self.items.pop, self.group_of.pop, self.groups, self.dirty
        unsettled = self.fresh.pop
        for item in items:
            if pop(item, None) is not None:
                if (group := group_of(item, None)) is None:
                    unsettled(item, None)
                else:
                    groups[group].discard(item)
                    dirty.add(group)

    def settle(self) -> None:
        """Put the fresh items still to do into new groups (at a cut)."""
        fresh = list(self.fresh)
        self.fresh = {}
        for start in range(0, len(fresh), GROUP_SIZE):
            members = fresh[start : start + GROUP_SIZE]
            group = uuid.uuid4().hex[:16]
            self.groups[group] = set(members)
            self.group_of.update(dict.fromkeys(members, group))
            self.dirty.add(group)


class WorkState:
    """The state of one source, loaded from the state topic and changed as work is done."""

    def __init__(self, loaded: Mapping[str, bytes] | None = None) -> None:
        self.cycle: Cycle | None = None
        self._queues: dict[str, _Queue] = {}
        self._seen: dict[str, dict[str, float]] = {}
        self._cursors: dict[str, dict[str, Any]] = {}
        self._changes: dict[str, bytes | None] = {}
        for key, raw in (loaded or {}).items():
            self._load(key, orjson.loads(raw))

    def _load(self, key: str, value: Any) -> None:
        kind, _, rest = key.partition("/")
        if kind == "cycle":
            self.cycle = Cycle(**value)
            return
        resource, _, item = rest.partition("/")
        if kind == "todo":
            queue = self._queue(resource)
            for queued, context in value.items():
                queue.join(item, queued, context)
        elif kind == "seen":
            self._seen.setdefault(resource, {})[item] = float(value)
        elif kind == "cursor":
            self._cursors[rest] = value

    # -- cycle -------------------------------------------------------------------------------

    def start_cycle(self, cycle_id: str, mode: str, now: float) -> Cycle:
        self.cycle = Cycle(cycle_id, mode, now)
        self._put("cycle", self.cycle.__dict__)
        return self.cycle

    def finish_cycle(self, now: float) -> None:
        assert self.cycle is not None, "no cycle to finish"
        self.cycle = Cycle(self.cycle.id, self.cycle.mode, self.cycle.started_at, now)
        self._put("cycle", self.cycle.__dict__)
        for key in list(self._cursors):
            self._delete(f"cursor/{key}")
        self._cursors.clear()

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
        before = len(queue.items)
        queue.add(items, context, self._seen.get(resource, {}) if dedupe else ())
        return len(queue.items) - before

    def _queue(self, resource: str) -> _Queue:
        return self._queues.setdefault(resource, _Queue())

    def todo(self, resource: str) -> dict[str, Context]:
        """The items still to do for the resource, oldest first, with their contexts."""
        queue = self._queues.get(resource)
        return {} if queue is None else queue.items

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

    # -- writing -----------------------------------------------------------------------------

    def take_changes(self) -> dict[str, bytes | None]:
        """The state-topic writes accumulated since the last call (None deletes a key)."""
        for resource, queue in self._queues.items():
            queue.settle()
            for group in queue.dirty:
                members = queue.groups.get(group)
                if members:
                    items = queue.items
                    self._put(f"todo/{resource}/{group}", {item: items[item] for item in members})
                else:
                    queue.groups.pop(group, None)
                    self._delete(f"todo/{resource}/{group}")
            queue.dirty.clear()
        changes, self._changes = self._changes, {}
        return changes

    def _put(self, key: str, value: Any) -> None:
        self._changes[key] = orjson.dumps(value)

    def _delete(self, key: str) -> None:
        self._changes[key] = None
