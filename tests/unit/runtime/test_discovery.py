"""Discovery: paging the roots per for_each value, splitting queries, stepping down, resuming."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.runtime import Harness, body, harness, listing, status
from tunestream.errors import HttpStatusError
from tunestream.http.testing import run_in_virtual_time
from tunestream.runtime.discovery import Discovery
from tunestream.runtime.lookups import Lookups
from tunestream.runtime.plan import Access

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
            "request": {"url": "/latest", "params": {"region": "eu", "offset": 2, "limit": 2}},
        },
        "region=us": {"vars": {"region": "us"}, "terms": [], "done": True, "total": 2},
    }
    assert h.ctx.report.stats["latest"].fetched == 5
    assert discovery.coverage() == {}  # a for_each root is many overlapping lists


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
    }
    assert h.ctx.state.cursors("search")["name:a*"] == {
        "vars": {},
        "terms": [["name:{word}", "a*"]],
        "done": True,
    }
    assert discovery.coverage() == {"search": (4, 5)}


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
