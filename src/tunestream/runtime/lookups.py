"""Lookups, sublists and pages: the work a cycle queues for the resources below its roots.

A lookup fetches the items queued for it by id: in batches (``ids=a,b,c``) while the plan
allows, else one by one. An item answered with a null is missing; one answered with anything else
but an object is a dead letter, and the other items of its answer are taken all the same. A
sublist pages through a list per item (an issue's comments), a page per unit: the item goes back
in the queue with the next page's request (and, for an incremental sublist, the highest version
read so far) until its last page, when the highest version becomes the item's ``since`` (state
``cursor/<sublist>/<item>``). A pages resource follows the next URLs of a paged list embedded in a
parent record (an album's tracks). Every record found queues work for the resource's children
(:meth:`Lookups.fan_out`), which discovery uses for the roots' records too. Placeholders of a
request other than ``{id}`` come from the item's context (the ``for_each`` values its root was
read with, e.g. ``{repo}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import quote

import orjson

from tunestream.errors import FetchError, MalformedBody
from tunestream.http.jsonpath import lookup, select_records
from tunestream.http.paginators import PageRequest, ParamValue
from tunestream.records import Record
from tunestream.runtime.context import CycleContext
from tunestream.runtime.cursor import fill
from tunestream.runtime.listed import emitted, take_listed
from tunestream.runtime.outcomes import Outcome, outcome_of
from tunestream.runtime.plan import Access
from tunestream.runtime.pool import Job
from tunestream.runtime.versions import higher, since_param, version_of
from tunestream.spec.models import LookupResource, PagesResource, SubListResource, select_ids
from tunestream.state.work import Context

__all__ = ["Lookups", "sublist_request"]

_NEXT = "_next"
"""The context key of a pages item's next URL, or a sublist item's next request (as JSON); keys
starting with ``_`` are work details, not sent as headers."""
_HIGH = "_high"
"""The context key of the highest version a sublist item's read has met so far."""


class Lookups:
    """Works off the queues of a cycle's lookup and pages resources."""

    def __init__(self, ctx: CycleContext) -> None:
        self.ctx = ctx
        self._children = {name: ctx.spec.children(name) for name in ctx.spec.resources}
        self._found: dict[str, set[str]] = {}

    def jobs(self, name: str) -> list[Job]:
        """One job per request the resource's queue needs now (by the plan's current access)."""
        resource = self.ctx.spec.resources[name]
        items = list(self.ctx.state.todo(name).items())
        if isinstance(resource, PagesResource):
            return [partial(self._next_page, name, resource, item) for item in items]
        if isinstance(resource, SubListResource):
            return [partial(self._sublist_page, name, resource, item) for item in items]
        assert isinstance(resource, LookupResource)
        access = self.ctx.plan.access[name]
        size = resource.batch.max if access is Access.BATCH and resource.batch else 1
        return [
            partial(self._lookup, name, resource, access, items[i : i + size])
            for i in range(0, len(items), size)
        ]

    # -- lookups -----------------------------------------------------------------------------

    async def _lookup(
        self, name: str, resource: LookupResource, access: Access, chunk: list[tuple[str, Context]]
    ) -> None:
        ctx = self.ctx
        if ctx.plan.access[name] is not access:
            return  # the plan stepped down while this waited; the next round redoes it
        ids = [item for item, _ in chunk]
        try:
            records = await self._fetch_by_id(resource, access, ids, chunk[0][1])
        except FetchError as exc:
            outcome = outcome_of(exc, single_item=access is Access.SINGLE)
            if outcome is Outcome.MISSING:
                records = [None]
            elif outcome is Outcome.STEP_DOWN:
                ctx.step_down(name, exc)
                return
            elif outcome is Outcome.DEAD_LETTER:
                ctx.dead_letter(name, ids, exc)
                ctx.state.done(name, ids, remember_at=None)
                return
            else:
                raise
        self._take_lookup(name, resource, chunk, records)
        await ctx.committer.maybe_flush()

    async def _fetch_by_id(
        self, resource: LookupResource, access: Access, ids: list[str], context: Context
    ) -> list[Any]:
        client = self.ctx.client
        if access is Access.BATCH:
            batch = resource.batch
            assert batch is not None
            params = {**batch.params, batch.param: batch.value(ids)}
            body = await client.get_json(batch.path, params, endpoint=batch.path)
            records = select_records(body, batch.records)
            if records is not None and batch.match is not None:
                answers: dict[str, Any] = {}
                for record in records:
                    for answered in batch.answers_for(record):
                        answers.setdefault(answered, record)
                return [answers.get(id_) for id_ in ids]  # None: left out, unknown
            if records is None or len(records) != len(ids):
                raise MalformedBody(
                    f"GET {batch.path}: expected a list of {len(ids)} at {batch.records!r}",
                    body=orjson.dumps(body),
                )
            return records
        single = resource.single
        assert single is not None
        path = fill(single.path, {**context, "id": _in_path(ids[0])})
        body = await client.get_json(path, single.params, endpoint=single.path)
        return [body if single.records is None else lookup(body, single.records)]

    def _take_lookup(
        self,
        name: str,
        resource: LookupResource,
        chunk: Sequence[tuple[str, Context]],
        records: Sequence[Any],
    ) -> None:
        ctx = self.ctx
        stats = ctx.report.stats[name]
        out: list[Record] = []
        corrupt: list[str] = []
        for (item, context), record in zip(chunk, records, strict=True):
            if record is None:
                stats.missing += 1
                continue
            if not isinstance(record, dict):
                error = f"{name} {item}: the API answered with no JSON object for it"
                ctx.dead_letter(name, [item], MalformedBody(error, body=orjson.dumps(record)))
                corrupt.append(item)
                continue
            stats.fetched += 1
            written = emitted(ctx, resource, item, record, context)
            if written is False:
                stats.filtered += 1
                continue
            version = _version(resource, record)
            if version is not None:  # written once per version
                taken = f"{item}@{version}"
                if ctx.state.seen(name, taken):
                    continue
                ctx.state.remember(name, taken, ctx.clock())
            if written is not None and ctx.fits(name, item, written):
                out.append(written)
            self.fan_out(name, record, item, context)
        stats.emitted += len(out)
        dedupe = resource.dedupe
        remember = ctx.clock() if dedupe is not None and dedupe.version is None else None
        ctx.state.done(name, [i for i, _ in chunk if i not in corrupt], remember_at=remember)
        ctx.state.done(name, corrupt, remember_at=None)
        ctx.committer.add(out)

    # -- sublists ----------------------------------------------------------------------------

    async def _sublist_page(
        self, name: str, resource: SubListResource, job: tuple[str, Context]
    ) -> None:
        """One page of an item's list; the item is queued again for the next one."""
        ctx = self.ctx
        item, context = job
        saved = context.get(_NEXT)
        kept = ctx.state.cursor(name, item) or {}
        start = sublist_request(resource, item, context, kept.get("since"))
        pages = ctx.client.paginate(
            start.url,
            start.params,
            paginator=resource.paginator,
            records_path=resource.records,
            endpoint=resource.request.path,
            resume_from=None if saved is None else _request(saved),
        )
        try:
            page = await anext(pages)
        except FetchError as exc:
            if self._failed(name, item, exc, single_item=saved is None):
                return
            raise
        finally:
            await pages.aclose()
        inherited = {k: v for k, v in context.items() if not k.startswith("_")}
        found = self._found.setdefault(name, set())
        high = take_listed(
            ctx, name, resource, page.records, inherited, found, self.fan_out, parent=item
        )
        high = higher(context.get(_HIGH), high)
        ctx.state.done(name, [item], remember_at=None)
        following = page.next_request
        if following is not None:
            work = {**inherited, _NEXT: _dump(following), **({_HIGH: high} if high else {})}
            ctx.state.add_todo(name, item, work, dedupe=False)
        elif high is not None:
            ctx.state.set_cursor(name, item, {**kept, "since": higher(kept.get("since"), high)})
        await ctx.committer.maybe_flush()

    def _failed(self, name: str, item: str, error: FetchError, *, single_item: bool) -> bool:
        """Act on a failed request for ``item``'s records; False if the error is to be raised."""
        ctx = self.ctx
        outcome = outcome_of(error, single_item=single_item)
        if outcome is Outcome.STEP_DOWN:
            ctx.step_down(name, error)
        elif outcome is Outcome.MISSING:
            ctx.report.stats[name].missing += 1
            ctx.state.done(name, [item], remember_at=None)
        elif outcome is Outcome.DEAD_LETTER:
            ctx.dead_letter(name, [item], error)
            ctx.state.done(name, [item], remember_at=None)
        else:
            return False
        return True

    # -- pages -------------------------------------------------------------------------------

    async def _next_page(
        self, name: str, resource: PagesResource, job: tuple[str, Context]
    ) -> None:
        ctx = self.ctx
        parent, context = job
        try:
            body = await ctx.client.get_json(context[_NEXT], endpoint=f"{name} (next page)")
        except FetchError as exc:
            if self._failed(name, parent, exc, single_item=False):
                return
            raise
        ctx.state.done(name, [parent], remember_at=None)
        self._take_page(name, resource, parent, body, context)
        await ctx.committer.maybe_flush()

    def _take_page(
        self, name: str, resource: PagesResource, parent: str, page: Any, context: Context
    ) -> None:
        items = select_records(page, resource.records) or []
        self.ctx.report.stats[name].fetched += len(items)
        for item in items:
            ids = select_ids(item, "id")
            self.fan_out(name, item, ids[0] if ids else parent, context)
        following = lookup(page, resource.paginator.next_path)
        if isinstance(following, str) and following:
            self.ctx.state.add_todo(name, parent, {**context, _NEXT: following}, dedupe=False)

    # -- fan-out -----------------------------------------------------------------------------

    def fan_out(self, parent: str, record: Any, item: str, context: Context) -> None:
        """Queue the work a record of ``parent`` (the item ``item``) gives its open children:
        the ids a lookup selects from it, the pages a pages resource finds embedded in it."""
        ctx = self.ctx
        inherited = {k: v for k, v in context.items() if not k.startswith("_")}
        for name in self._children[parent]:
            if not ctx.plan.is_open(name):
                continue
            child = ctx.spec.resources[name]
            if isinstance(child, LookupResource | SubListResource):
                # a lookup's dedupe is of its items (unless of their versions); a sublist's, of
                # its records
                dedupe = (
                    isinstance(child, LookupResource)
                    and child.dedupe is not None
                    and child.dedupe.version is None
                )
                for edge in child.from_:
                    if edge.resource != parent or not edge.takes(record):
                        continue
                    ctx.state.add_todos(name, edge.ids(record), inherited, dedupe=dedupe)
            elif isinstance(child, PagesResource):
                embedded = lookup(record, child.embedded)
                if isinstance(embedded, dict):
                    self._take_page(name, child, item, embedded, inherited)


def sublist_request(
    resource: SubListResource, item: str, context: Context, since: str | None
) -> PageRequest:
    """The first page of ``item``'s list: the request filled in, ``since`` sent if any."""
    values = {**context, "id": _in_path(item)}
    params: dict[str, ParamValue] = {
        k: fill(v, values) if isinstance(v, str) else int(v)
        for k, v in resource.request.params.items()
    }
    if resource.incremental is not None:
        sent = since_param(resource.incremental, since)
        if sent is not None:
            params[resource.incremental.param] = sent
    return PageRequest(fill(resource.request.path, values), params)


def _version(resource: LookupResource, record: Any) -> str | None:
    """The record's version, where the lookup writes an item once per version."""
    path = resource.dedupe.version if resource.dedupe is not None else None
    return None if path is None else version_of(path, record)


def _in_path(item: str) -> str:
    """An id as it goes into a path: quoted, unless it is a URL the API gave (it is the path)."""
    return item if "://" in item else quote(item, safe="")


def _dump(request: PageRequest) -> str:
    return orjson.dumps({"url": request.url, "params": dict(request.params)}).decode()


def _request(saved: str) -> PageRequest:
    value = orjson.loads(saved)
    return PageRequest(value["url"], value["params"])
