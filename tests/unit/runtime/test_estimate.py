"""The cost of a cycle ``produce --plan`` prints: discovery from the kept tree or the floor,
rolling past the cap, lookups from the probe, the warning when the budget does not hold it."""

from __future__ import annotations

import pytest

from tests.support.runtime import SPEC
from tunestream.runtime.cursor import Cursor
from tunestream.runtime.estimate import estimate
from tunestream.runtime.plan import Plan
from tunestream.runtime.report import ResourceStats
from tunestream.state.work import WorkState

pytestmark = pytest.mark.unit

NAME = "name:{word}"


def _probe(total: int) -> tuple[WorkState, dict[str, ResourceStats]]:
    """What a probe of the search root leaves: its first page's total, four items queued."""
    state = WorkState()
    state.set_cursor("search", "all", Cursor({}, total=total, done=True).dump())
    state.add_todos("products", ["p3", "p4"], {}, dedupe=False)
    stats = {name: ResourceStats() for name in SPEC.resources}
    stats["search"].fetched = 2
    stats["products"].fetched = 2  # and p3, p4 wait: 2 products an item of the root
    return state, stats


def _tree(*leaves: int) -> WorkState:
    """A kept tree: the top query split, leaves read with these totals."""
    state = WorkState()
    state.set_cursor("search", "all", Cursor({}, total=sum(leaves), split=True).dump())
    for n, total in enumerate(leaves):
        cursor = Cursor({}, ((NAME, f"{n}*"),), done=True, total=total, read_at=1.0)
        state.set_cursor("search", f"name:{n}*", cursor.dump())
    return state


def test_a_first_run_knows_only_the_floor_and_warns_when_it_rolls() -> None:
    probe, stats = _probe(total=12)
    plan = Plan.initial(SPEC, "search", frozenset())
    expected = estimate(SPEC, plan, probe, stats, WorkState(), interval_s=60.0, discovery_cap=4)
    search = expected.lines[0]
    assert (search.resource, search.requests) == ("search", 4)  # the cap: ceil(12 / 2) = 6 > 4
    assert "at least ceil(12 / 2) = 6" in search.note
    assert expected.warnings == [
        "search: a complete pass (at least 6 requests) is over discovery_max_requests (4): "
        "a new release is found within 2 or more cycles, not the next"
    ]
    products = next(line for line in expected.lines if line.resource == "products")
    assert products.requests is None  # the search root declares no new_for_days


def test_the_kept_tree_gives_the_complete_pass_and_lookups_scale_from_the_probe() -> None:
    probe, stats = _probe(total=5)
    spec = SPEC.model_copy(deep=True)
    search = spec.resources["search"]
    spec.resources["search"] = search.model_copy(update={"new_for_days": 1.0})
    plan = Plan.initial(spec, "search", frozenset())
    expected = estimate(
        spec, plan, probe, stats, _tree(3, 2, 0), interval_s=8_640.0, discovery_cap=None
    )
    lines = {line.resource: line for line in expected.lines}
    assert lines["search"].requests == 2 + 1 + 1  # pages of 2: 3 → 2, 2 → 1, 0 → 1
    # 5 results new over a day, a tenth of a day a cycle: 0.5 new items, 2 products each
    assert lines["products"].requests == 1  # 1 product, 2 a request
    assert expected.budget == int(spec.client.rate_limit.requests_per_second * 8_640)
    assert expected.warnings == []
