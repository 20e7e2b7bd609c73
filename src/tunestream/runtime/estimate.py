"""What a cycle is expected to cost, per resource, against the budget its interval allows.

``produce --plan`` probes each resource once (the first page, the first batch: what the
credentials may use) and estimates from what the probe saw and the source state:

- **Discovery.** A root read in parts has its query tree in the source state once a first pass
  built it: a complete pass then costs the pages every leaf had when last read; a cycle asks for
  at most ``discovery_max_requests``, so discovery rolls over N = ceil(pass ÷ cap) cycles. With
  no tree yet, a root whose probe reported W results (more than its split cap) needs at least
  ceil(W ÷ P) requests a pass (P a page): the floor, since every result is on some page; the
  overlap of narrower queries makes it more (docs/BENCHMARKS.md measures it).
- **New items a cycle.** A root that declares ``new_for_days`` (it lists what is new over that
  many days) brings W x interval ÷ that period new items a cycle; other roots (editorial lists)
  have no known rate.
- **Lookups.** Each resource's items a cycle are its parent's x the items the probe queued for
  it per parent item it fetched; batched lookups cost ceil(items ÷ batch) requests, single
  ones one an item, closed ones none. Where a resource dedupes, this is an upper estimate.
- **Topic roots** read records other sources wrote: as many a cycle as arrive, not known here
  (``docs/BENCHMARKS.md`` has the capacity of each enrichment source).
- **Budget.** The spec's ``requests_per_second`` x ``interval_s``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tunestream.runtime.cursor import Cursor
from tunestream.runtime.discovery import pass_cost
from tunestream.runtime.plan import Access, Plan
from tunestream.runtime.report import ResourceStats
from tunestream.spec.models import (
    ListResource,
    LookupResource,
    PagesResource,
    SourceSpec,
    SubListResource,
    TopicResource,
)
from tunestream.state.work import WorkState

__all__ = ["CycleEstimate", "Line", "estimate"]


@dataclass(frozen=True)
class Line:
    resource: str
    requests: int | None
    """Expected requests a cycle; None: not known."""
    note: str


@dataclass(frozen=True)
class CycleEstimate:
    lines: list[Line]
    budget: int
    """Requests the spec's rate limit allows in one interval."""
    interval_s: float
    warnings: list[str]

    @property
    def total(self) -> int:
        return sum(line.requests or 0 for line in self.lines)

    def describe(self) -> list[str]:
        out = [f"{'resource':<16} {'requests/cycle':>14}  how"]
        out += [
            f"{line.resource:<16} {'?' if line.requests is None else f'{line.requests:,}':>14}"
            f"  {line.note}"
            for line in self.lines
        ]
        out.append(
            f"{'total':<16} {self.total:>14,}  of {self.budget:,} the rate limit allows in "
            f"{self.interval_s:,.0f} s"
        )
        return out + [f"warning: {w}" for w in self.warnings]


def estimate(
    spec: SourceSpec,
    plan: Plan,
    probe: WorkState,
    stats: Mapping[str, ResourceStats],
    kept: WorkState,
    *,
    interval_s: float,
    discovery_cap: int | None,
) -> CycleEstimate:
    """The expected requests of a cycle. ``probe``/``stats``: what the probe left and counted;
    ``kept``: the source state (its query trees; empty on a first run)."""
    lines: list[Line] = []
    warnings: list[str] = []
    items: dict[str, float | None] = {}
    for root in plan.roots:
        resource = spec.resources[root]
        if isinstance(resource, TopicResource):
            items[root] = None
            lines.append(Line(root, 0, f"topic {resource.topic}: what it gets between cycles"))
            continue
        assert isinstance(resource, ListResource)
        line, new, full, exact = _discovery(root, resource, plan, probe, kept, interval_s)
        items[root] = new
        if discovery_cap is not None and full is not None and full > discovery_cap:
            least = "" if exact else "at least "
            cycles = f"{math.ceil(full / discovery_cap)}{'' if exact else ' or more'} cycles"
            line = Line(root, discovery_cap, f"{line.note}; rolls: each part read every {cycles}")
            warnings.append(
                f"{root}: a complete pass ({least}{full:,} requests) is over "
                f"discovery_max_requests ({discovery_cap:,}): a new release is found within "
                f"{cycles}, not the next"
            )
        lines.append(line)
    for name in spec.order():
        resource = spec.resources[name]
        if isinstance(resource, ListResource | TopicResource):
            continue
        parents = [p for p in spec.parents(name) if p in items]
        if not plan.is_open(name) or not parents:
            lines.append(Line(name, 0, f"skipped: {plan.reasons.get(name, 'not reached')}"))
            items[name] = 0.0
            continue
        sample = sum(stats[p].fetched for p in parents)
        per_item = _queued(probe, stats, name) / max(1, sample)
        known = [items[p] for p in parents]
        count = None if None in known else sum(k or 0.0 for k in known) * per_item
        items[name] = count
        lines.append(_lookup(name, resource, plan.access[name], count, sample))
    expected = CycleEstimate(
        lines, int(spec.client.rate_limit.requests_per_second * interval_s), interval_s, warnings
    )
    if expected.total > expected.budget:
        warnings.append(
            f"a cycle needs about {expected.total:,} requests, more than the "
            f"{expected.budget:,} the rate limit allows in {interval_s:,.0f} s: cycles will run "
            "into each other; lower discovery_max_requests or raise interval_s"
        )
    return expected


def _discovery(
    root: str,
    resource: ListResource,
    plan: Plan,
    probe: WorkState,
    kept: WorkState,
    interval_s: float,
) -> tuple[Line, float | None, int | None, bool]:
    """The root's line, its new items a cycle, the requests of a complete pass, and whether
    that is exact (a kept tree) rather than a lower bound."""
    page = plan.page_size(resource, root) or 1
    leaves = [Cursor.load(v) for v in kept.cursors(root).values()]
    probed = [Cursor.load(v) for v in probe.cursors(root).values()]
    reported = [c.total for c in probed if c.total is not None]
    window = max(reported) if reported else None
    new = None
    if window is not None and resource.new_for_days is not None:
        new = window * interval_s / (resource.new_for_days * 86_400)
    about = "" if new is None else f"; about {new:,.0f} new a cycle"
    if resource.incremental is not None or resource.conditional:
        parts_count = max(1, len(leaves) or len(probed))
        how = (
            f"{parts_count} list(s) read for what changed since the last cycle: a request "
            "each, more when much changed (a 304 when nothing did, where conditional)"
        )
        return Line(root, parts_count, how), new, parts_count, False
    if any(not c.split and c.read_at is not None for c in leaves):
        full = pass_cost(leaves, resource, page)
        parts = sum(not c.split for c in leaves)
        how = f"a complete pass: {parts:,} parts, {full:,} requests of {page} a page"
        return Line(root, full, how + about), new, full, True
    elif window is not None and resource.split is not None and window > resource.split.cap:
        full = math.ceil(window / page)
        how = (
            f"no query tree yet: a first pass needs at least ceil({window:,} / {page}) = "
            f"{full:,} requests, more as narrower queries overlap"
        )
    elif window is not None:
        parts_count = max(1, len(probed))
        full = parts_count * max(1, math.ceil(window / page))
        how = f"{parts_count} list(s) of up to {window:,}, {page} a page"
    else:
        return Line(root, None, "the probe saw no total"), new, None, False
    return Line(root, full, how + about), new, full, False


def _lookup(
    name: str,
    resource: LookupResource | SubListResource | PagesResource,
    access: Access,
    items: float | None,
    sample: int,
) -> Line:
    if items is None:
        return Line(name, None, "depends on what the root finds new")
    if isinstance(resource, PagesResource):
        return Line(name, 0, f"embedded in {resource.from_}; more pages only for long lists")
    count = f"{items:,.0f} items (scaled from {sample} probed parent items)"
    if isinstance(resource, SubListResource):
        return Line(name, math.ceil(items), f"{count}, a list each: a request or more")
    if access is Access.BATCH and resource.batch is not None:
        batch = resource.batch.max
        return Line(name, math.ceil(items / batch), f"{count}, {batch} a request")
    return Line(name, math.ceil(items), f"{count}, one a request")


def _queued(probe: WorkState, stats: Mapping[str, ResourceStats], name: str) -> int:
    """Items the probe queued for a resource: still waiting, and those its one request took."""
    counted = stats[name]
    return len(probe.todo(name)) + counted.fetched + counted.missing
