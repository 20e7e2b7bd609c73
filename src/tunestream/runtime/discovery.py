"""Discovery: paging through a cycle's roots to find what is new.

Each root is read in parts (see ``cursor.py``): one per ``for_each`` value, and where a
``split`` applies and a part reports more results than the API lets a client page through, one
per narrower query instead. Every page's items are queued for the root's children; an emitting
root also writes them (once: a list is read from the start each cycle). A part's cursor is saved
with each page, so a cycle resumes at the page it stood at.

The parts form a tree that is kept between cycles: a split query is never asked again, only the
leaves are read, and a leaf that grows past the cap is split in its turn. Nothing assumes an
order of the results (a search API ranks by relevance, so a new item can land on any page): a
leaf is always read to its end. With ``max_requests`` the cycle reads the leaves read longest ago
first, as many as the budget holds, so that each leaf is read every N cycles, N = (requests of a
complete pass) / budget: a *rolling* discovery. The cycle's ``RootReport`` says how much of the
tree was read and when its stalest part was: of the whole cycle, the counts of the runs before an
interruption coming from the state (``count/<root>``, saved with each page).

A part also keeps what makes the next read cheaper: an incremental list its ``since`` (the
highest version read, sent back as the spec's parameter), a conditional list the ``ETag`` /
``Last-Modified`` of its first page (sent back as ``If-None-Match`` / ``If-Modified-Since``: a
``304`` ends the read with nothing new), and a list with a ``poll_interval_header`` when it may be
read again. How the records of a page are taken is ``listed.py``'s.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from functools import partial

from tunestream.errors import FetchError
from tunestream.http.client import Page
from tunestream.http.models import PaginatorConfigBase
from tunestream.runtime.context import CycleContext
from tunestream.runtime.cursor import Cursor, first_request, narrower, parts
from tunestream.runtime.listed import FanOut, take_listed
from tunestream.runtime.outcomes import Outcome, outcome_of
from tunestream.runtime.report import RootReport
from tunestream.runtime.versions import higher
from tunestream.spec.models import ListResource, Split

__all__ = ["Discovery", "part_cost", "pass_cost"]

log = logging.getLogger(__name__)


class Discovery:
    """Pages through the plan's roots; ``found`` holds the distinct items of each."""

    def __init__(self, ctx: CycleContext, fan_out: FanOut) -> None:
        self.ctx = ctx
        self.fan_out = fan_out
        self.found: dict[str, set[str]] = {}
        self.requests: dict[str, int] = {}
        self.read: dict[str, int] = {}
        self.results_read: dict[str, int] = {}
        self._promised = 0
        """Requests the parts started this cycle were expected to take."""
        self._deferred: set[tuple[str, str]] = set()
        self._earlier = {name: ctx.state.counts(name) for name in ctx.spec.resources}
        """The counts of the runs this one resumes (a root started this run has none)."""

    def start(self, root: str) -> None:
        """Choose the parts this cycle reads: all the leaves of the root's tree, or with a
        request budget the ones read longest ago that it holds (the first parts of a new root)."""
        self._earlier[root] = {}
        self.ctx.state.set_counts(root, {})
        cursors = self._cursors(root)
        tops = dict(parts(self._list(root).for_each, self.ctx.spec.variables))
        values = [top.vars for top in tops.values()]
        for part, cursor in list(cursors.items()):
            if cursor.vars not in values:  # a value the configuration no longer has
                self.ctx.state.drop_cursor(root, part)
                del cursors[part]
        for part, top in tops.items():
            if part not in cursors:  # a new value, or a new root: read from the top
                self._save(root, part, top)
        now = self.ctx.clock()
        leaves = {part: c for part, c in cursors.items() if not c.split}
        for part, cursor in list(leaves.items()):
            if cursor.poll_after is not None and cursor.poll_after > now:  # the API said wait
                del leaves[part]
                if not cursor.done:
                    self._save(root, part, replace(cursor, done=True, request=None))
        budget = self.ctx.discovery_budget
        spent = 0
        for part in sorted(leaves, key=lambda p: (_age_key(leaves[p]), p)):
            cursor = leaves[part]
            cost = self.cost(root, cursor)
            due = budget is None or spent + cost <= budget or spent == 0
            spent += cost if due else 0
            budget = budget if due else 0  # the stalest first: once one waits, all newer wait
            if due or not cursor.done:
                self._save(root, part, replace(cursor, done=not due, request=None))

    async def run(self) -> None:
        """Page every chosen part of every root to its end (or until the budget is spent)."""
        ctx = self.ctx
        while True:
            todo = [
                (root, part)
                for root in list(ctx.plan.roots)
                if ctx.plan.is_open(root)  # a root switched off, or closed by a 403
                for part, cursor in self._cursors(root).items()
                if not cursor.done and (root, part) not in self._deferred
            ]
            if not todo:
                return
            # One part alone first: a 403 or a refused page size is then learnt from one request.
            ctx.pool.check()
            await self._walk(*todo[0])
            if ctx.probe:
                for root, part in todo[1:]:
                    self._save(root, part, replace(self._cursor(root, part), done=True))
                continue
            await ctx.pool.run(partial(self._walk, root, part) for root, part in todo[1:])

    def report(self) -> dict[str, RootReport]:
        """What this cycle read of each root's tree."""
        out: dict[str, RootReport] = {}
        lists = (
            r for r in self.ctx.plan.roots if isinstance(self.ctx.spec.resources[r], ListResource)
        )
        for root in lists:
            leaves = [c for c in self._cursors(root).values() if not c.split]
            ages = [c.read_at for c in leaves]
            out[root] = RootReport(
                parts=len(leaves),
                results=sum(c.total or 0 for c in leaves),
                stalest_read_at=None if None in ages else min(a for a in ages if a is not None),
                **self._counts(root),
            )
        return out

    def _counts(self, root: str) -> dict[str, int]:
        """The cycle's counts of a root (``RootReport``'s fields): this run's and those of the
        runs it resumes."""
        earlier = self._earlier.get(root, {})
        run = {
            "read": self.read.get(root, 0),
            "requests": self.requests.get(root, 0),
            "results_read": self.results_read.get(root, 0),
            "found": len(self.found.get(root, ())),
        }
        return {name: earlier.get(name, 0) + n for name, n in run.items()}

    def cost(self, root: str, cursor: Cursor) -> int:
        """Requests reading the part is expected to take: its pages when last read."""
        resource = self._list(root)
        return part_cost(cursor, resource, self.ctx.plan.page_size(resource, root))

    def _afford(self, root: str, cursor: Cursor) -> bool:
        """Whether the cycle's discovery budget holds reading this part (one under way goes on)."""
        budget = self.ctx.discovery_budget
        if cursor.request is not None:
            return True
        cost = self.cost(root, cursor)
        spent = max(self._promised, sum(self.requests.values()))
        if budget is not None and spent > 0 and spent + cost > budget:
            return False
        self._promised = spent + cost
        return True

    async def _walk(self, root: str, part: str) -> None:
        """Page one part of a root to its end (or until it is split into narrower parts)."""
        ctx = self.ctx
        resource = self._list(root)
        cursor = self._cursor(root, part)
        if not self._afford(root, cursor):
            self._deferred.add((root, part))  # read first next cycle: it is the stalest then
            return
        config = self._paginator(root, resource)
        saved = cursor.request
        start = first_request(resource, cursor)
        pages = ctx.client.paginate(
            start.url,
            start.params,
            paginator=config,
            records_path=resource.records,
            endpoint=resource.request.path,
            max_pages=1 if ctx.probe else None,
            resume_from=saved,
            headers=_validators(cursor) if resource.conditional and saved is None else None,
        )
        fetched = 0
        try:
            if not ctx.plan.is_open(root):
                return
            ctx.pool.check()
            async for page in pages:
                self.requests[root] = self.requests.get(root, 0) + 1
                fresh = saved is None and page.number == 0
                total = config.total(page.body)
                if fresh and total is not None:
                    cursor = replace(cursor, total=total)
                split = resource.split
                # a probe takes the first page as it is: a sample of the whole root
                splits = fresh and not ctx.probe and split is not None
                if splits and split is not None and total is not None and total > split.cap:
                    narrow = self._narrow(split, cursor)
                    if narrow:
                        for key, child in narrow:
                            self._save(root, key, child)
                        self._save(root, part, replace(cursor, done=True, split=True))
                        ctx.state.set_counts(root, self._counts(root))
                        await ctx.committer.maybe_flush()
                        return
                if fresh:
                    cursor = _first_page_seen(resource, cursor, page, ctx.clock())
                found = self.found.setdefault(root, set())
                high = take_listed(
                    ctx, root, resource, page.records, dict(cursor.vars), found, self.fan_out
                )
                cursor = replace(cursor, high=higher(cursor.high, high))
                fetched += 1
                following = page.next_request
                if following is None:
                    cursor = replace(
                        cursor,
                        done=True,
                        request=None,
                        read_at=ctx.clock(),
                        since=higher(cursor.since, cursor.high),
                        high=None,
                    )
                    self.read[root] = self.read.get(root, 0) + 1
                    self.results_read[root] = self.results_read.get(root, 0) + (cursor.total or 0)
                else:
                    cursor = replace(cursor, request=following)
                self._save(root, part, cursor)
                ctx.state.set_counts(root, self._counts(root))
                await ctx.committer.maybe_flush()
                if cursor.done or not ctx.plan.is_open(root):
                    return
                ctx.pool.check()
        except FetchError as exc:
            self.requests[root] = self.requests.get(root, 0) + 1
            ctx.state.set_counts(root, self._counts(root))
            outcome = outcome_of(exc, first_page=saved is None and fetched == 0)
            if outcome is Outcome.STEP_DOWN:
                self._step_down(root, exc)
                return
            if outcome is Outcome.SMALLER_PAGES:
                size = config.page_size
                if size and ctx.plan.smaller_limit(ctx.spec, root, size):
                    return  # the next round walks this part again with smaller pages
            elif outcome is not Outcome.DEAD_LETTER:
                raise
            ctx.dead_letter(root, [part], exc)
            self._save(root, part, replace(cursor, done=True))
        finally:
            await pages.aclose()

    def _narrow(self, split: Split, cursor: Cursor) -> list[tuple[str, Cursor]]:
        narrow = narrower(split, cursor)
        if not narrow:
            log.warning(
                "%s: cannot narrow %r further; results past the cap stay unreachable",
                self.ctx.spec.name,
                split.render([list(term) for term in cursor.terms]),
            )
        return narrow

    def _step_down(self, root: str, error: FetchError) -> None:
        """A 403 to a root: the plan steps down; a fallback root it names starts here."""
        roots = list(self.ctx.plan.roots)
        self.ctx.step_down(root, error)
        for name in self.ctx.plan.roots:
            if name not in roots:
                self.start(name)  # its kept tree, if an earlier run built one

    def _paginator(self, root: str, resource: ListResource) -> PaginatorConfigBase:
        size = self.ctx.plan.limits.get(root)
        return resource.paginator if size is None else resource.paginator.with_page_size(size)

    def _cursors(self, root: str) -> dict[str, Cursor]:
        return {part: Cursor.load(v) for part, v in self.ctx.state.cursors(root).items()}

    def _cursor(self, root: str, part: str) -> Cursor:
        saved = self.ctx.state.cursor(root, part)
        assert saved is not None, f"no cursor for {root}/{part}"
        return Cursor.load(saved)

    def _save(self, root: str, part: str, cursor: Cursor) -> None:
        self.ctx.state.set_cursor(root, part, cursor.dump())

    def _list(self, name: str) -> ListResource:
        resource = self.ctx.spec.resources[name]
        assert isinstance(resource, ListResource)
        return resource


def part_cost(cursor: Cursor, resource: ListResource, page_size: int | None) -> int:
    """Requests reading a part takes: the pages of its results when last read (1 if unknown)."""
    if cursor.total is None or not page_size:
        return 1
    reachable = min(cursor.total, resource.split.cap) if resource.split else cursor.total
    return max(1, math.ceil(reachable / page_size))


def pass_cost(cursors: list[Cursor], resource: ListResource, page_size: int | None) -> int:
    """Requests a complete pass over a kept tree takes: every leaf read to its end."""
    return sum(part_cost(c, resource, page_size) for c in cursors if not c.split)


def _validators(cursor: Cursor) -> dict[str, str]:
    """The conditional headers of a part's first page, from what it carried last time."""
    headers = {}
    if cursor.etag is not None:
        headers["If-None-Match"] = cursor.etag
    if cursor.last_modified is not None:
        headers["If-Modified-Since"] = cursor.last_modified
    return headers


def _first_page_seen(resource: ListResource, cursor: Cursor, page: Page, now: float) -> Cursor:
    """The part's cursor after its first page: the validators it carried (conditional lists),
    when the API allows the next read (``poll_interval_header``)."""
    if resource.conditional and not page.not_modified:
        cursor = replace(
            cursor, etag=page.headers.get("ETag"), last_modified=page.headers.get("Last-Modified")
        )
    if resource.poll_interval_header is not None:
        wait = page.headers.get(resource.poll_interval_header)
        try:
            cursor = replace(cursor, poll_after=now + float(wait)) if wait else cursor
        except ValueError:
            log.warning(
                "%s: %s %r is not a number of seconds",
                resource.request.path,
                resource.poll_interval_header,
                wait,
            )
    return cursor


def _age_key(cursor: Cursor) -> tuple[int, float]:
    """Never-read parts first, then the part read longest ago."""
    return (0, 0.0) if cursor.read_at is None else (1, cursor.read_at)
