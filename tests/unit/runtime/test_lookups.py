"""Lookups and pages: id batching, stepping down to single requests, next pages, fan-out."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest

from tests.support.runtime import Harness, body, harness, status
from tunestream.errors import HttpStatusError
from tunestream.http.testing import run_in_virtual_time
from tunestream.runtime.lookups import Lookups
from tunestream.runtime.plan import Access

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

NEXT = "https://api.example.test/v1/reviews/p1?page=2"


def product(pid: str, reviews: list[str], following: str | None = None) -> dict[str, Any]:
    items = [{"id": f"r-{author}", "author": author} for author in reviews]
    return {"id": pid, "reviews": {"items": items, "next": following}}


def batch(products: dict[str, dict[str, Any]]) -> Any:
    def route(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        return httpx.Response(200, json={"products": [products.get(i) for i in ids]})

    return route


def work(h: Harness, *names: str, rounds: int = 1) -> Lookups:
    """Run the jobs of each resource in turn (``rounds`` times), then commit."""
    lookups = Lookups(h.ctx)

    async def main() -> None:
        try:
            for name in names:
                for _ in range(rounds):
                    for job in lookups.jobs(name):
                        await job()
        finally:
            await h.ctx.committer.flush()

    run_in_virtual_time(main())
    return lookups


def queue(h: Harness, *ids: str) -> None:
    h.ctx.state.add_todos("products", ids, {"region": "eu"}, dedupe=True)


def test_ids_are_fetched_in_batches_and_their_records_queue_the_children() -> None:
    products = {
        "p1": product("p1", ["u1"], NEXT),
        "p2": product("p2", []),
        "p3": product("p3", ["u1", "u2"]),
    }
    h = harness({"/products": batch(products)})
    queue(h, "p1", "p2", "p3")
    work(h, "products")
    assert h.api.requests == ["/products?ids=p1,p2", "/products?ids=p3"]
    assert h.written("shop.products") == ["p1", "p2", "p3"]
    first = h.records("shop.products")[0]
    assert first.value == (
        b'{"id":"p1","reviews":{"items":[{"id":"r-u1","author":"u1"}],'
        b'"next":"https://api.example.test/v1/reviews/p1?page=2"}}'
    )
    assert dict(first.headers)["tunestream.region"] == b"eu"
    assert h.ctx.state.todo("products") == {}
    assert [r.value for r in h.records("state") if r.key == b"seen/products/p3"] == [b"1000000.0"]
    assert h.ctx.state.todo("reviews") == {"p1": {"region": "eu", "_next": NEXT}}
    assert h.ctx.state.todo("authors") == {"u1": {"region": "eu"}, "u2": {"region": "eu"}}
    stats = h.ctx.report.stats["products"]
    assert (stats.fetched, stats.emitted, stats.missing) == (3, 3, 0)
    assert h.ctx.report.stats["reviews"].fetched == 3


def test_a_forbidden_batch_steps_down_to_single_requests_and_a_404_is_a_missing_item() -> None:
    h = harness(
        {
            "/products": status(403),
            "/products/p1": body(product("p1", [])),
            "/products/p2": status(404),
            "/products/p3": body(product("p3", [])),
        }
    )
    queue(h, "p1", "p2", "p3")
    work(h, "products", rounds=2)
    assert h.api.requests == [
        "/products?ids=p1,p2",
        "/products/p1",
        "/products/p2",
        "/products/p3",
    ]
    assert h.ctx.plan.access["products"] is Access.SINGLE
    assert h.written("shop.products") == ["p1", "p3"]
    assert h.written("shop.dead") == []
    assert h.ctx.report.stats["products"].missing == 1
    assert h.ctx.state.todo("products") == {}


def test_a_job_made_before_the_plan_stepped_down_sends_nothing() -> None:
    h = harness({"/products": status(403)})
    queue(h, "p1", "p2", "p3")
    lookups = Lookups(h.ctx)
    first, second = lookups.jobs("products")

    async def main() -> None:
        await first()
        await second()

    run_in_virtual_time(main())
    assert h.api.requests == ["/products?ids=p1,p2"]
    assert list(h.ctx.state.todo("products")) == ["p1", "p2", "p3"]


def test_a_batch_answer_of_the_wrong_length_sends_its_ids_to_the_dead_letters() -> None:
    h = harness({"/products": body({"products": [product("p1", [])]})})
    queue(h, "p1", "p2")
    work(h, "products")
    assert h.written("shop.dead") == ["shop/products/p1"]
    assert b'"items":["p1","p2"]' in (h.records("shop.dead")[0].value or b"")
    assert h.ctx.report.stats["products"].dead_letters == 2
    assert h.ctx.state.todo("products") == {}
    assert not h.ctx.state.seen("products", "p1")


def test_a_404_in_a_batch_is_a_dead_letter_not_a_missing_item() -> None:
    h = harness({"/products": status(404)})
    queue(h, "p1")
    work(h, "products")
    assert h.written("shop.dead") == ["shop/products/p1"]
    assert h.ctx.report.stats["products"].missing == 0


def test_a_failing_server_interrupts_and_leaves_the_items_queued() -> None:
    h = harness({"/products": status(502)})
    queue(h, "p1", "p2")
    with pytest.raises(HttpStatusError):
        work(h, "products")
    assert list(h.ctx.state.todo("products")) == ["p1", "p2"]


def test_next_pages_are_followed_until_none_is_left() -> None:
    page2 = "https://api.example.test/v1/reviews/p1?page=2"
    page3 = "https://api.example.test/v1/reviews/p1?page=3"
    h = harness(
        {
            "/reviews/p1": lambda r: {
                "2": httpx.Response(
                    200, json={"items": [{"id": "r2", "author": "u2"}], "next": page3}
                ),
                "3": httpx.Response(
                    200, json={"items": [{"id": "r3", "author": "u3"}], "next": None}
                ),
            }[r.url.params["page"]]
        }
    )
    h.ctx.state.add_todo("reviews", "p1", {"region": "eu", "_next": page2}, dedupe=False)
    work(h, "reviews", rounds=2)
    assert h.api.requests == ["/reviews/p1?page=2", "/reviews/p1?page=3"]
    assert h.ctx.state.todo("reviews") == {}
    assert h.ctx.state.todo("authors") == {"u2": {"region": "eu"}, "u3": {"region": "eu"}}


def test_a_next_page_that_is_gone_is_a_dead_letter() -> None:
    h = harness({})
    h.ctx.state.add_todo("reviews", "p1", {"_next": NEXT}, dedupe=False)
    work(h, "reviews")
    assert h.written("shop.dead") == ["shop/reviews/p1"]
    assert h.ctx.state.todo("reviews") == {}


def test_single_lookups_emit_with_their_context_and_no_memory_without_dedupe() -> None:
    h = harness({"/authors/u1": body({"id": "u1"})})
    h.ctx.state.add_todos("authors", ["u1"], {"region": "us"}, dedupe=False)
    work(h, "authors")
    assert h.api.requests == ["/authors/u1"]
    [record] = h.records("shop.authors")
    assert (record.key, record.value) == (b"u1", b'{"id":"u1"}')
    assert dict(record.headers)["tunestream.region"] == b"us"
    assert not h.ctx.state.seen("authors", "u1")


def test_a_record_too_large_for_its_topic_is_a_dead_letter_and_its_work_is_done() -> None:
    products = {"p1": product("p1", []), "p2": product("p2", ["u" * 3000]), "p3": product("p3", [])}
    h = harness({"/products": batch(products)})
    h.ctx.wire = replace(h.ctx.wire, limits={"shop.products": 2048, "shop.dead": 2048})
    queue(h, "p1", "p2", "p3")
    work(h, "products")
    assert h.written("shop.products") == ["p1", "p3"]
    assert h.written("shop.dead") == ["shop/products/p2"]
    letter = json.loads(h.records("shop.dead")[0].value or b"")
    assert letter["items"] == ["p2"] and letter["topic"] == "shop.products"
    assert letter["size"] > 3000 and letter["limit"] == 2048 and letter["body"] == ""
    assert h.ctx.state.todo("products") == {}  # a restart does not meet it again
    assert h.ctx.state.todo("authors") == {"u" * 3000: {"region": "eu"}}  # its children go on
    stats = h.ctx.report.stats["products"]
    assert (stats.fetched, stats.emitted, stats.dead_letters) == (3, 2, 1)
    assert h.ctx.report.oversized == {"shop.products": 1}
