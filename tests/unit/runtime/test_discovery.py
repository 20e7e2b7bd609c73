"""Discovery: paging the roots per for_each value, splitting queries, stepping down, resuming."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.runtime import NOW, SPEC, Harness, body, harness, listing, status
from tunestream.errors import HttpStatusError
from tunestream.http.testing import run_in_virtual_time
from tunestream.runtime.discovery import Discovery
from tunestream.runtime.lookups import Lookups
from tunestream.runtime.plan import Access, Plan

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


def per_region(**routes: httpx.Response) -> Any:
    def route(request: httpx.Request) -> httpx.Response:
        return routes[request.url.params["region"]]

    return route


def discover(h: Harness, *, start: bool = True) -> Discovery:
    """Run discovery on the harness's context (its roots started first), commit, return it."""
    discovery = Discovery(h.ctx, Lookups(h.ctx).fan_out)

    async def main() -> None:
        if start:
            for root in h.ctx.plan.roots:
                discovery.start(root)
        try:
            await discovery.run()
        finally:
            await h.ctx.committer.flush()

    run_in_virtual_time(main())
    return discovery


def items(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i} for i in ids]


def test_each_for_each_value_is_paged_to_its_end_and_its_items_queued_once() -> None:
    eu = listing(items("p1", "p2", "p3"))
    us = listing(items("p2", "p4"))
    h = harness({"/latest": lambda r: (eu if r.url.params["region"] == "eu" else us)(r)})
    discovery = discover(h)
    assert h.api.requests == [
        "/latest?region=eu&offset=0&limit=2",
        "/latest?region=eu&offset=2&limit=2",
        "/latest?region=us&offset=0&limit=2",
    ]
    assert h.ctx.state.todo("products") == {
        "p1": {"region": "eu"},
        "p2": {"region": "eu"},
        "p3": {"region": "eu"},
        "p4": {"region": "us"},
    }
    assert h.ctx.state.cursors("latest") == {
        "region=eu": {
            "vars": {"region": "eu"},
            "terms": [],
            "done": True,
            "total": 3,
            "read_at": NOW,
        },
        "region=us": {
            "vars": {"region": "us"},
            "terms": [],
            "done": True,
            "total": 2,
            "read_at": NOW,
        },
    }
    assert h.ctx.report.stats["latest"].fetched == 5
    report = discovery.report()["latest"]
    assert (report.parts, report.read, report.requests, report.coverage) == (2, 2, 3, 1.0)


def test_a_query_past_the_cap_is_split_into_narrower_ones() -> None:
    answers = {
        "new": listing(items("p1", "p2"), total=5),
        "new name:a*": listing(items("p1", "p2")),
        "new name:b*": listing(items("p2", "p3", "p4")),
    }
    h = harness({"/search": lambda r: answers[r.url.params["q"]](r)}, mode="search")
    discovery = discover(h)
    assert h.api.requests == [
        "/search?q=new&offset=0&limit=2",
        "/search?q=new name:a*&offset=0&limit=2",
        "/search?q=new name:b*&offset=0&limit=2",
        "/search?q=new name:b*&offset=2&limit=2",
    ]
    assert list(h.ctx.state.todo("products")) == ["p1", "p2", "p3", "p4"]
    assert h.ctx.state.cursors("search")["all"] == {
        "vars": {},
        "terms": [],
        "done": True,
        "total": 5,
        "split": True,
    }
    assert h.ctx.state.cursors("search")["name:a*"] == {
        "vars": {},
        "terms": [["name:{word}", "a*"]],
        "done": True,
        "total": 2,
        "read_at": NOW,
    }
    report = discovery.report()["search"]
    assert (report.parts, report.read, report.requests, report.found) == (2, 2, 4, 4)
    assert (report.results, report.results_read) == (5, 5)  # p2 is in both parts


SEARCH_ANSWERS = {
    "new": listing(items("p1", "p2"), total=5),
    "new name:a*": listing(items("p1", "p2")),
    "new name:b*": listing(items("p2", "p3", "p4")),
}


def searched(h: Harness) -> list[str]:
    """The queries of the requests made, in order, once each."""
    return list(dict.fromkeys(r.split("&")[0].removeprefix("/search?q=") for r in h.api.requests))


def test_the_query_tree_is_kept_and_the_next_cycle_reads_only_its_leaves() -> None:
    h = harness({"/search": lambda r: SEARCH_ANSWERS[r.url.params["q"]](r)}, mode="search")
    discover(h)
    h.api.requests.clear()
    h.ctx.clock = lambda: NOW + 3600
    discovery = discover(h)
    assert h.api.requests == [
        "/search?q=new name:a*&offset=0&limit=2",
        "/search?q=new name:b*&offset=0&limit=2",
        "/search?q=new name:b*&offset=2&limit=2",
    ]
    report = discovery.report()["search"]
    assert (report.read, report.requests, report.stalest_read_at) == (2, 3, NOW + 3600)


def test_with_a_request_budget_each_cycle_reads_the_parts_read_longest_ago() -> None:
    h = harness({"/search": lambda r: SEARCH_ANSWERS[r.url.params["q"]](r)}, mode="search")
    discover(h)  # the first pass: the top query, then its two parts (1 and 2 pages)
    h.ctx.discovery_budget = 2
    read: list[list[str]] = []
    for hour in (1, 2, 3, 4):
        h.api.requests.clear()
        h.ctx.clock = lambda hour=hour: NOW + hour * 3600  # type: ignore[misc]
        discovery = discover(h)
        assert len(h.api.requests) <= 2
        read.append(searched(h))
    assert read == [["new name:a*"], ["new name:b*"], ["new name:a*"], ["new name:b*"]]
    report = discovery.report()["search"]
    assert (report.parts, report.read, report.results, report.results_read) == (2, 1, 5, 3)
    assert report.stalest_read_at == NOW + 3 * 3600


def test_a_budget_too_small_for_a_new_tree_defers_its_parts_to_the_next_cycles() -> None:
    h = harness({"/search": lambda r: SEARCH_ANSWERS[r.url.params["q"]](r)}, mode="search")
    h.ctx.discovery_budget = 1
    discover(h)
    assert searched(h) == ["new"]  # split; both parts wait
    h.api.requests.clear()
    h.ctx.clock = lambda: NOW + 3600
    discovery = discover(h)
    assert searched(h) == ["new name:a*"]
    assert discovery.report()["search"].stalest_read_at is None  # name:b* never read yet
    h.api.requests.clear()
    discover(h)
    assert searched(h) == ["new name:b*"]  # its two pages: a part under way is read to its end


def test_a_refused_page_size_steps_down_to_the_next_smaller_one() -> None:
    def search(request: httpx.Request) -> httpx.Response:
        if request.url.params["limit"] == "2":
            return httpx.Response(400, json={"error": "invalid limit"})
        return listing(items("p1", "p2"))(request)

    h = harness({"/search": search}, mode="search")
    discover(h)
    assert h.api.requests == [
        "/search?q=new&offset=0&limit=2",
        "/search?q=new&offset=0&limit=1",
        "/search?q=new&offset=1&limit=1",
    ]
    assert h.ctx.plan.limits == {"search": 1}
    assert h.written("shop.dead") == []


def test_a_forbidden_root_steps_down_to_its_fallback_after_one_request() -> None:
    h = harness({"/latest": status(403), "/search": listing(items("p1"))})
    discover(h)
    assert h.api.requests == [
        "/latest?region=eu&offset=0&limit=2",
        "/search?q=new&offset=0&limit=2",
    ]
    assert h.ctx.plan.roots == ["search"]
    assert h.ctx.plan.access["latest"] is Access.CLOSED
    assert list(h.ctx.state.todo("products")) == ["p1"]


def test_a_fallback_with_a_kept_tree_is_read_again_when_the_next_run_steps_down() -> None:
    h = harness({"/latest": status(403), "/search": listing(items("p1"))})
    discover(h)
    h.api.requests.clear()
    h.ctx.plan = Plan.initial(SPEC, "latest", frozenset())  # a new run learns the 403 again
    h.ctx.clock = lambda: NOW + 3600
    discover(h)
    assert h.api.requests == [
        "/latest?region=eu&offset=0&limit=2",
        "/search?q=new&offset=0&limit=2",
    ]


def test_the_parts_follow_the_configured_values_from_cycle_to_cycle() -> None:
    h = harness({"/latest": listing(items("p1"))})
    discover(h)
    h.ctx.spec = SPEC.model_copy(update={"variables": {"regions": ["us", "asia"]}})
    h.api.requests.clear()
    discover(h)
    assert sorted(h.ctx.state.cursors("latest")) == ["region=asia", "region=us"]  # eu dropped
    assert sorted(h.api.requests) == [
        "/latest?region=asia&offset=0&limit=2",
        "/latest?region=us&offset=0&limit=2",
    ]


def test_a_client_error_sends_the_part_to_the_dead_letters_and_the_others_go_on() -> None:
    h = harness(
        {
            "/latest": per_region(
                eu=httpx.Response(404),
                us=httpx.Response(200, json={"items": [{"id": "p9"}], "total": 1}),
            )
        }
    )
    discover(h)
    assert h.written("shop.dead") == ["shop/latest/region=eu"]
    assert h.ctx.report.stats["latest"].dead_letters == 1
    assert h.ctx.state.cursors("latest")["region=eu"] == {
        "vars": {"region": "eu"},
        "terms": [],
        "done": True,
    }
    assert list(h.ctx.state.todo("products")) == ["p9"]


def test_a_failing_server_interrupts_and_the_walk_resumes_at_the_saved_page() -> None:
    pages = {"0": body({"items": items("p1", "p2"), "total": 3}), "2": status(503)}
    h = harness({"/latest": lambda r: pages[r.url.params["offset"]](r)})
    with pytest.raises(HttpStatusError) as raised:
        discover(h)
    assert raised.value.status == 503
    assert h.ctx.state.cursors("latest")["region=eu"]["request"] == {
        "url": "/latest",
        "params": {"region": "eu", "offset": 2, "limit": 2},
    }

    pages["2"] = body({"items": items("p3"), "total": 3})
    pages["0"] = body({"items": [], "total": 0})
    h.api.requests.clear()
    discover(h, start=False)
    assert h.api.requests == [
        "/latest?region=eu&offset=2&limit=2",
        "/latest?region=us&offset=0&limit=2",
    ]
    assert list(h.ctx.state.todo("products")) == ["p1", "p2", "p3"]


def test_a_probe_reads_one_page_of_one_part() -> None:
    h = harness({"/latest": listing(items("p1", "p2", "p3"))}, probe=True)
    discover(h)
    assert h.api.requests == ["/latest?region=eu&offset=0&limit=2"]
    assert [c["done"] for c in h.ctx.state.cursors("latest").values()] == [True, True]
