"""A sample: the producer's probe, limited to what the resources asked for need, in memory."""

from __future__ import annotations

import httpx
import orjson
import pytest

from tests.support.runtime import SPEC, FakeApi, Route, body, listing, status
from tunestream.http.testing import run_in_virtual_time
from tunestream.runtime.probe import Sample, sample

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

NEXT = "https://api.example.test/v1/reviews/p1?page=2"
ROUTES: dict[str, Route] = {
    "/latest": lambda r: listing(
        [{"id": "p1"}, {"id": "p2"}, {"id": "p3"}] if r.url.params["region"] == "eu" else []
    )(r),
    "/products": body(
        {
            "products": [
                {"id": "p1", "reviews": {"items": [{"author": "u1"}], "next": NEXT}},
                {"id": "p2", "reviews": {"items": [], "next": None}},
            ]
        }
    ),
    "/reviews/p1": body({"items": [{"author": "u2"}], "next": None}),
    "/authors/u1": body({"id": "u1", "name": "Ana"}),
    "/authors/u2": status(404),
}


def take(resources: list[str], limit: int) -> tuple[FakeApi, Sample]:
    api = FakeApi(ROUTES)
    taken = sample(SPEC, "latest", resources, limit, transport=httpx.MockTransport(api))
    return api, run_in_virtual_time(taken)


def test_a_sample_of_every_writer_is_the_first_request_of_each_resource() -> None:
    api, taken = take(["products", "authors"], 5)
    assert api.requests == [
        "/latest?region=eu&offset=0&limit=2",  # the first page of the first part
        "/products?ids=p1,p2",  # the first batch
        "/reviews/p1?page=2",  # the first next page
        "/authors/u1",  # the first id
    ]
    assert {topic: [r.key for r in records] for topic, records in taken.records.items()} == {
        "authors": [b"u1"],
        "products": [b"p1", b"p2"],
    }
    author = taken.records["authors"][0]
    assert author.value is not None and orjson.loads(author.value) == {"id": "u1", "name": "Ana"}
    assert dict(author.headers)["tunestream.source"] == b"shop"
    assert taken.report.completed


def test_a_sample_of_one_resource_fetches_only_its_way_there_and_stops_at_the_limit() -> None:
    api, taken = take(["products"], 1)
    assert api.requests == ["/latest?region=eu&offset=0&limit=2", "/products?ids=p1,p2"]
    assert [r.key for r in taken.records["products"]] == [b"p1"]
    assert list(taken.records) == ["products"]
    assert taken.report.stats["products"].emitted == 2
