"""One cycle of a source: discover what is new, then fetch each resource, parents first.

1. Discovery pages through the plan's roots (per ``for_each`` value, and per narrower query
   where a ``split`` applies); each page queues its items for the children.
2. Every other resource, in topological order, works off its queue — in full batches, since
   all of its parents are done by then — and queues its own children's work.
3. The cycle ends when every queue is empty.

Each finished request's records and state changes go to the :class:`Committer`; a crash at any
moment resumes from the last committed unit. A 403 steps the plan down (see ``plan.py``); a 404
or a ``null`` slot is a missing item; a body that stays malformed, or another 4xx, goes to the
dead-letter topic and the cycle goes on. Being rate limited past the ceiling, or a server that
keeps failing, interrupts the cycle with its state saved; bad credentials end it with an error.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote

import orjson

from tunestream.errors import (
    AuthError,
    FetchError,
    Forbidden,
    HttpStatusError,
    MalformedBody,
    RateLimited,
)
from tunestream.http.client import RestClient
from tunestream.http.jsonpath import lookup, select_records
from tunestream.http.models import PaginatorConfigBase
from tunestream.http.paginators import PageRequest
from tunestream.records import Record
from tunestream.runtime.committer import Committer
from tunestream.runtime.plan import Access, Plan
from tunestream.spec.models import (
    ListResource,
    LookupResource,
    PagesResource,
    SourceSpec,
    select_ids,
)
from tunestream.state.work import Context, WorkState

__all__ = ["CycleReport", "CycleRunner", "ResourceStats"]

log = logging.getLogger(__name__)

DEAD_LETTER_TOPIC = "dead_letter"
_DEAD_LETTER_BODY_LIMIT = 1024 * 1024
_NEXT = "_next"  # context keys starting with "_" are work details, not provenance

Job = TypeVar("Job")


@dataclass
class ResourceStats:
    fetched: int = 0
    emitted: int = 0
    missing: int = 0
    dead_letters: int = 0
    skipped: int = 0


@dataclass
class CycleReport:
    cycle_id: str
    mode: str
    resumed: bool
    completed: bool = False
    interrupted: str | None = None
    retry_after_s: float | None = None
    stats: dict[str, ResourceStats] = field(default_factory=dict)
    coverage: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per discovery root with a reported total: (distinct items found, items the API has)."""
    duration_s: float = 0.0


class _Stopped(Exception):
    """Raised inside the runner once ``stop`` was called: no new request is started."""


class CycleRunner:
    """Runs (or resumes) the cycle recorded in the work state."""

    def __init__(
        self,
        spec: SourceSpec,
        client: RestClient,
        state: WorkState,
        committer: Committer,
        plan: Plan,
        topics: Mapping[str, str],
        *,
        concurrency: int,
        clock: Callable[[], float] = time.time,
        probe: bool = False,
    ) -> None:
        self.spec = spec
        self.client = client
        self.state = state
        self.committer = committer
        self.plan = plan
        self.topics = topics
        self.concurrency = concurrency
        self.clock = clock
        self.probe = probe
        """Try each resource once (the first page, the first batch) and stop: ``--plan``."""
        self._children = {name: spec.children(name) for name in spec.resources}
        self._found: dict[str, set[str]] = {}
        self._stopping = False
        self.report = CycleReport("", "", resumed=False)

    def stop(self) -> None:
        """Start no new request; ``run`` returns once the ones in flight are committed."""
        self._stopping = True

    def _check_stop(self) -> None:
        if self._stopping:
            raise _Stopped

    async def run(self, mode: str) -> CycleReport:
        started = time.monotonic()
        cycle = self.state.cycle
        resumed = cycle is not None and cycle.running
        if cycle is None or not cycle.running:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            cycle = self.state.start_cycle(f"{stamp}-{uuid.uuid4().hex[:8]}", mode, self.clock())
            for root in self.plan.roots:
                self._start_root(root)
            self._forget_old()
        self.report = CycleReport(cycle.id, cycle.mode, resumed)
        self.report.stats = {name: ResourceStats() for name in self.spec.resources}
        try:
            await self._discover()
            self.report.coverage = self._coverage()
            for name in self.spec.order():
                resource = self.spec.resources[name]
                if isinstance(resource, LookupResource):
                    await self._work_off(name, self._lookup_jobs(name, resource))
                elif isinstance(resource, PagesResource):
                    await self._work_off(name, self._page_jobs(name, resource))
            self.state.finish_cycle(self.clock())
            self.report.completed = True
        except _Stopped:
            self.report.interrupted = "stopped"
        except RateLimited as exc:
            self.report.interrupted = str(exc)
            self.report.retry_after_s = exc.retry_after_s
        except AuthError:
            await self.committer.flush()
            raise
        except FetchError as exc:  # a server that kept failing, timeouts, resets
            self.report.interrupted = str(exc)
        await self.committer.flush()
        self.report.duration_s = time.monotonic() - started
        return self.report

    def _forget_old(self) -> None:
        """Drop de-duplication memories past each resource's ``remember_days``."""
        for name, resource in self.spec.resources.items():
            dedupe = getattr(resource, "dedupe", None)
            if dedupe is not None:
                self.state.forget_before(name, self.clock() - dedupe.remember_days * 86_400)

    # -- discovery ---------------------------------------------------------------------------

    def _start_root(self, root: str) -> None:
        resource = self._list(root)
        for part, values in _expand(resource.for_each, self.spec.variables):
            self.state.set_cursor(root, part, {"vars": values, "terms": [], "done": False})

    async def _discover(self) -> None:
        while True:
            parts = [
                (root, part)
                for root in list(self.plan.roots)
                for part, cursor in self.state.cursors(root).items()
                if not cursor["done"]
            ]
            if not parts:
                return
            # One part alone first: a 403 or a refused page size is then learnt from one request.
            self._check_stop()
            await self._walk(*parts[0])
            if self.probe:
                for root, part in parts[1:]:
                    self.state.set_cursor(root, part, {**self._cursor(root, part), "done": True})
                continue
            await self._pool(parts[1:], lambda job: self._walk(*job))

    async def _walk(self, root: str, part: str) -> None:
        """Page one part of a root to its end (or until it is split into narrower parts)."""
        resource = self._list(root)
        cursor = self._cursor(root, part)
        config = self._paginator_config(root, resource)
        saved = cursor.get("request")
        start = self._first_request(resource, cursor)
        pages = self.client.paginate(
            start.url,
            start.params,
            paginator=config,
            records_path=resource.records,
            endpoint=resource.request.path,
            max_pages=1 if self.probe else None,
            resume_from=None if saved is None else PageRequest(saved["url"], saved["params"]),
        )
        fetched = 0
        try:
            if not self.plan.is_open(root):
                return
            self._check_stop()
            async for page in pages:
                fresh = saved is None and page.number == 0
                total = config.total(page.body)
                if fresh and not cursor["terms"] and isinstance(total, int):
                    cursor = {**cursor, "total": total}
                if fresh and resource.split is not None and isinstance(total, int):
                    narrower = self._narrow(resource, cursor) if total > resource.split.cap else []
                    if narrower:
                        for key, child in narrower:
                            self.state.set_cursor(root, key, child)
                        self.state.set_cursor(root, part, {**cursor, "done": True})
                        await self.committer.maybe_flush()
                        return
                self._take(root, resource, page.records, dict(cursor["vars"]))
                fetched += 1
                following = page.next_request
                if following is None:
                    cursor = {**cursor, "done": True}
                else:
                    request = {"url": following.url, "params": dict(following.params)}
                    cursor = {**cursor, "request": request}
                self.state.set_cursor(root, part, cursor)
                await self.committer.maybe_flush()
                if cursor["done"] or not self.plan.is_open(root):
                    return
                self._check_stop()
        except Forbidden as exc:
            self._forbidden(root, exc)
        except (MalformedBody, HttpStatusError) as exc:
            if _interrupts(exc):
                raise
            size = config.page_size
            first = saved is None and fetched == 0
            refused = first and isinstance(exc, HttpStatusError) and exc.status == 400
            if refused and size and self.plan.smaller_limit(self.spec, root, size):
                return  # the next round walks this part again with smaller pages
            self._dead_letter(root, [part], exc)
            self.state.set_cursor(root, part, {**cursor, "done": True})
        finally:
            await pages.aclose()

    def _paginator_config(self, root: str, resource: ListResource) -> PaginatorConfigBase:
        size = self.plan.limits.get(root)
        if size is None:
            return resource.paginator
        return resource.paginator.with_page_size(size)

    def _first_request(self, resource: ListResource, cursor: dict[str, Any]) -> PageRequest:
        values: dict[str, str] = cursor["vars"]
        params: dict[str, str | int | float] = {
            k: _fill(v, values) if isinstance(v, str) else int(v)
            for k, v in resource.request.params.items()
        }
        split = resource.split
        if split is not None and cursor["terms"]:
            narrowing = split.render(cursor["terms"])
            params[split.param] = f"{params.get(split.param, '')} {narrowing}".strip()
        return PageRequest(_fill(resource.request.path, values), params)

    def _narrow(self, resource: ListResource, cursor: dict[str, Any]) -> list[tuple[str, Any]]:
        """Narrower parts that together hold the results of this one (see ``Split``)."""
        assert resource.split is not None
        options = resource.split.narrower(cursor["terms"])
        if not options:
            log.warning(
                "%s: cannot narrow %r further; results past the cap stay unreachable",
                self.spec.name,
                resource.split.render(cursor["terms"]),
            )
        base = {k: v for k, v in cursor.items() if k not in ("request", "total")}
        return [
            (_part_key(cursor["vars"], option), {**base, "terms": option, "done": False})
            for option in options
        ]

    def _take(self, root: str, resource: ListResource, records: list[Any], ctx: Context) -> None:
        """The items of a discovery page: emit them if asked, queue them for the children."""
        found = self._found.setdefault(root, set())
        out: list[Record] = []
        for record in records:
            ids = select_ids(record, resource.key)
            if not ids or ids[0] in found:
                continue  # overlapping queries, or a list that shifted while it was paged
            item = ids[0]
            found.add(item)
            if resource.emit:
                if self.state.seen(root, item):
                    continue
                out.append(self._record(resource.emit, resource.schema_id, item, record, ctx))
                self.state.remember(root, item, self.clock())
            self._fan_out(root, record, item, ctx)
        stats = self.report.stats[root]
        stats.fetched += len(records)
        stats.emitted += len(out)
        self.committer.add(out)

    def _coverage(self) -> dict[str, tuple[int, int]]:
        """Per root read as one list whose pages report a total (a ``for_each`` root is many
        lists that overlap): (distinct items found, items the API has)."""
        totals: dict[str, int] = {}
        for root in self.plan.roots:
            if self._list(root).for_each:
                continue
            for cursor in self.state.cursors(root).values():
                if not cursor["terms"] and "total" in cursor:
                    totals[root] = totals.get(root, 0) + int(cursor["total"])
        return {root: (len(self._found.get(root, ())), total) for root, total in totals.items()}

    # -- lookups and pages -------------------------------------------------------------------

    def _lookup_jobs(
        self, name: str, resource: LookupResource
    ) -> Callable[[], list[Callable[[], Awaitable[None]]]]:
        def jobs() -> list[Callable[[], Awaitable[None]]]:
            access = self.plan.access[name]
            size = resource.batch.max if access is Access.BATCH and resource.batch else 1
            items = list(self.state.todo(name).items())
            return [
                _bind(self._lookup, name, resource, access, items[i : i + size])
                for i in range(0, len(items), size)
            ]

        return jobs

    def _page_jobs(
        self, name: str, resource: PagesResource
    ) -> Callable[[], list[Callable[[], Awaitable[None]]]]:
        def jobs() -> list[Callable[[], Awaitable[None]]]:
            items = list(self.state.todo(name).items())
            return [_bind(self._next_page, name, resource, item) for item in items]

        return jobs

    async def _work_off(
        self, name: str, jobs: Callable[[], list[Callable[[], Awaitable[None]]]]
    ) -> None:
        """Run the resource's queued work until none is left (the plan may change meanwhile)."""
        while self.plan.is_open(name) and self.state.todo(name):
            access_before = self.plan.access[name]
            batch = jobs()
            # The first request alone: if it teaches the plan a step (403), only it paid.
            self._check_stop()
            await batch[0]()
            if self.probe and self.plan.access[name] is access_before:
                break  # the first request told what there was to tell
            await self._pool(batch[1:], lambda job: job())
        left = list(self.state.todo(name))
        if left and not self.probe:
            self.state.done(name, left, remember_at=None)
            self.report.stats[name].skipped += len(left)
            log.warning(
                "%s: %d %s item(s) skipped: %s",
                self.spec.name,
                len(left),
                name,
                self.plan.reasons.get(name, "closed"),
            )

    async def _lookup(
        self, name: str, resource: LookupResource, access: Access, chunk: list[tuple[str, Context]]
    ) -> None:
        if self.plan.access[name] is not access:
            return  # the plan stepped down while this waited; the next round redoes it
        ids = [item for item, _ in chunk]
        try:
            records = await self._fetch_by_id(resource, access, ids)
        except Forbidden as exc:
            self._forbidden(name, exc)
            return
        except HttpStatusError as exc:
            if exc.status == 404 and access is Access.SINGLE:
                records = [None]
            elif _interrupts(exc):
                raise
            else:
                self._dead_letter(name, ids, exc)
                self.state.done(name, ids, remember_at=None)
                return
        except MalformedBody as exc:
            self._dead_letter(name, ids, exc)
            self.state.done(name, ids, remember_at=None)
            return
        self._take_lookup(name, resource, chunk, records)
        await self.committer.maybe_flush()

    async def _fetch_by_id(
        self, resource: LookupResource, access: Access, ids: list[str]
    ) -> list[Any]:
        if access is Access.BATCH:
            batch = resource.batch
            assert batch is not None
            params = {**batch.params, batch.param: ",".join(ids)}
            body = await self.client.get_json(batch.path, params, endpoint=batch.path)
            records = select_records(body, batch.records)
            if records is None or len(records) != len(ids):
                raise MalformedBody(
                    f"GET {batch.path}: expected a list of {len(ids)} at {batch.records!r}",
                    body=orjson.dumps(body),
                )
            return records
        single = resource.single
        assert single is not None
        path = single.path.replace("{id}", quote(ids[0], safe=""))
        body = await self.client.get_json(path, single.params, endpoint=single.path)
        return [body if single.records is None else lookup(body, single.records)]

    def _take_lookup(
        self,
        name: str,
        resource: LookupResource,
        chunk: Sequence[tuple[str, Context]],
        records: Sequence[Any],
    ) -> None:
        stats = self.report.stats[name]
        out: list[Record] = []
        for (item, ctx), record in zip(chunk, records, strict=True):
            if not isinstance(record, dict):
                stats.missing += 1
                continue
            stats.fetched += 1
            if resource.emit:
                out.append(self._record(resource.emit, resource.schema_id, item, record, ctx))
            self._fan_out(name, record, item, ctx)
        stats.emitted += len(out)
        remember = self.clock() if resource.dedupe is not None else None
        self.state.done(name, [item for item, _ in chunk], remember_at=remember)
        self.committer.add(out)

    async def _next_page(
        self, name: str, resource: PagesResource, job: tuple[str, Context]
    ) -> None:
        parent, ctx = job
        try:
            body = await self.client.get_json(ctx[_NEXT], endpoint=f"{name} (next page)")
        except Forbidden as exc:
            self._forbidden(name, exc)
            return
        except (MalformedBody, HttpStatusError) as exc:
            if _interrupts(exc):
                raise
            self._dead_letter(name, [parent], exc)
            self.state.done(name, [parent], remember_at=None)
            return
        self.state.done(name, [parent], remember_at=None)
        self._take_page(name, resource, parent, body, ctx)
        await self.committer.maybe_flush()

    def _take_page(
        self, name: str, resource: PagesResource, parent: str, page: Any, ctx: Context
    ) -> None:
        items = select_records(page, resource.records) or []
        self.report.stats[name].fetched += len(items)
        for item in items:
            ids = select_ids(item, "id")
            self._fan_out(name, item, ids[0] if ids else parent, ctx)
        following = lookup(page, resource.paginator.next_path)
        if isinstance(following, str) and following:
            self.state.add_todo(name, parent, {**ctx, _NEXT: following}, dedupe=False)

    # -- fan-out, records, dead letters ------------------------------------------------------

    def _fan_out(self, parent: str, record: Any, item: str, ctx: Context) -> None:
        inherited = {k: v for k, v in ctx.items() if not k.startswith("_")}
        for name in self._children[parent]:
            if not self.plan.is_open(name):
                continue
            child = self.spec.resources[name]
            if isinstance(child, LookupResource):
                for edge in child.from_:
                    if edge.resource != parent:
                        continue
                    self.state.add_todos(
                        name,
                        select_ids(record, edge.select),
                        inherited,
                        dedupe=child.dedupe is not None,
                    )
            elif isinstance(child, PagesResource):
                embedded = lookup(record, child.embedded)
                if isinstance(embedded, dict):
                    self._take_page(name, child, item, embedded, inherited)

    def _record(self, topic: str, schema: str | None, key: str, value: Any, ctx: Context) -> Record:
        headers = [
            ("tunestream.source", self.spec.name.encode()),
            ("tunestream.cycle", self.report.cycle_id.encode()),
            ("tunestream.fetched_at", _now_iso().encode()),
        ]
        if schema:
            headers.append(("tunestream.schema", schema.encode()))
        headers += [
            (f"tunestream.{k}", v.encode()) for k, v in ctx.items() if not k.startswith("_")
        ]
        return Record(self.topics[topic], key.encode(), orjson.dumps(value), tuple(headers))

    def _dead_letter(self, name: str, items: list[str], error: FetchError) -> None:
        body = getattr(error, "body", b"")
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        letter = {
            "source": self.spec.name,
            "resource": name,
            "items": items,
            "cycle": self.report.cycle_id,
            "url": error.url,
            "error": str(error),
            "status": getattr(error, "status", None),
            "body": text[:_DEAD_LETTER_BODY_LIMIT],
            "at": _now_iso(),
        }
        key = f"{self.spec.name}/{name}/{items[0] if items else ''}"
        self.committer.add(
            [Record(self.topics[DEAD_LETTER_TOPIC], key.encode(), orjson.dumps(letter))]
        )
        self.report.stats[name].dead_letters += len(items)
        log.warning(
            "%s: %s %s went to the dead-letter topic: %s", self.spec.name, name, items[:3], error
        )

    def _forbidden(self, name: str, error: Forbidden) -> None:
        if self.plan.access[name] is Access.CLOSED:
            return
        roots = list(self.plan.roots)
        self.plan.forbidden(self.spec, name, f"HTTP {error.status}")
        for root in self.plan.roots:
            if root not in roots and not self.state.cursors(root):
                self._start_root(root)

    # -- helpers -----------------------------------------------------------------------------

    def _cursor(self, root: str, part: str) -> dict[str, Any]:
        cursor = self.state.cursor(root, part)
        assert cursor is not None, f"no cursor for {root}/{part}"
        return cursor

    def _list(self, name: str) -> ListResource:
        resource = self.spec.resources[name]
        assert isinstance(resource, ListResource)
        return resource

    async def _pool(self, jobs: Iterable[Job], run: Callable[[Job], Awaitable[None]]) -> None:
        """Run the jobs, at most ``concurrency`` at once. After a failure (or ``stop``) no new
        job starts; the ones in flight finish, and the first failure is raised."""
        pending = iter(jobs)
        failures: list[Exception] = []

        async def worker() -> None:
            for job in pending:
                if failures:
                    return
                try:
                    self._check_stop()
                    await run(job)
                except Exception as exc:
                    failures.append(exc)
                    return

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        if failures:
            raise failures[0]


def _interrupts(error: FetchError) -> bool:
    """Whether an error stops the cycle (to be resumed) rather than costing one item: a server
    that kept failing, yes; a malformed body or a client error about this item, no."""
    return isinstance(error, HttpStatusError) and (error.status >= 500 or error.status == 408)


def _bind(function: Callable[..., Awaitable[None]], *args: Any) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        await function(*args)

    return call


def _expand(
    for_each: Mapping[str, str], variables: Mapping[str, list[str] | str]
) -> list[tuple[str, dict[str, str]]]:
    combos: list[dict[str, str]] = [{}]
    for placeholder, variable in for_each.items():
        values = variables[variable]
        assert isinstance(values, list)
        combos = [{**combo, placeholder: value} for combo in combos for value in values]
    return [(_part_key(combo, []), combo) for combo in combos]


def _part_key(values: Mapping[str, str], terms: Sequence[Sequence[str]]) -> str:
    parts = [f"{k}={v}" for k, v in sorted(values.items())]
    parts += [term.format(word=word) for term, word in terms]
    return ",".join(parts) or "all"


def _fill(template: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
