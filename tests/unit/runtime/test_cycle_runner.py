"""The run loop: a cycle from its roots to its last lookup, interrupted, resumed, stopped."""

from __future__ import annotations

import time

import orjson
import pytest

from tests.support.runtime import SPEC, TOPICS, FakeApi, Route, body, listing, status
from tunestream.errors import AuthError
from tunestream.http.testing import run_in_virtual_time
from tunestream.records import Record
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.runtime.cycle import CycleRunner
from tunestream.runtime.plan import Plan
from tunestream.runtime.report import CycleReport
from tunestream.state.work import WorkState

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

NEXT = "https://api.example.test/v1/reviews/p1?page=2"
ROUTES: dict[str, Route] = {
    "/latest": lambda r: listing(
        [{"id": "p1"}, {"id": "p2"}] if r.url.params["region"] == "eu" else []
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
    "/authors/u1": body({"id": "u1"}),
    "/authors/u2": status(404),
}
ALL_REQUESTS = [
    "/latest?region=eu&offset=0&limit=2",
    "/latest?region=us&offset=0&limit=2",
    "/products?ids=p1,p2",
    "/reviews/p1?page=2",
    "/authors/u1",
    "/authors/u2",
]


class Producer:
    """Cycles of ``SPEC`` in mode ``latest`` on one state, committing into ``units``."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.api = FakeApi(routes)
        self.state = WorkState()
        self.units: list[list[Record]] = []
        self.plan = Plan.initial(SPEC, "latest", frozenset())

    def runner(self, *, probe: bool = False) -> CycleRunner:
        committer = Committer(
            MemoryWriter.pair(self.units.append), self.state, state_topic="state", prefix=""
        )
        return CycleRunner(
            SPEC,
            self.api.client(),
            self.state,
            committer,
            self.plan,
            TOPICS,
            concurrency=1 if probe else 2,
            probe=probe,
        )

    def cycle(self, runner: CycleRunner | None = None) -> CycleReport:
        return run_in_virtual_time((runner or self.runner()).run("latest"))

    def written(self, topic: str) -> list[str]:
        return [r.key.decode() for unit in self.units for r in unit if r.topic == topic]


def test_a_cycle_reads_its_roots_then_each_resource_parents_first() -> None:
    producer = Producer(ROUTES)
    report = producer.cycle()
    assert producer.api.requests == ALL_REQUESTS
    assert (report.completed, report.interrupted, report.resumed) == (True, None, False)
    assert producer.written("shop.products") == ["p1", "p2"]
    assert producer.written("shop.authors") == ["u1"]
    assert [(s.fetched, s.emitted, s.missing) for s in report.stats.values()] == [
        (2, 0, 0),  # latest
        (0, 0, 0),  # search
        (2, 2, 0),  # products
        (2, 0, 0),  # reviews: one embedded, one on a next page
        (1, 1, 1),  # authors
    ]
    assert producer.state.cycle is not None and not producer.state.cycle.running
    # the parts stay, read to their end, for the next cycle to start from
    assert [c["done"] for c in producer.state.cursors("latest").values()] == [True, True]


def test_the_plan_goes_out_before_the_records_and_again_when_a_resource_closes() -> None:
    producer = Producer({**ROUTES, "/authors/u1": status(403)})
    report = producer.cycle()
    assert report.completed and report.stats["authors"].skipped == 2
    sent = [r for unit in producer.units for r in unit if r.topic != "state"]
    assert [(r.topic, r.key) for r in sent] == [
        ("shop.plan", b"shop"),
        ("shop.products", b"p1"),
        ("shop.products", b"p2"),
        ("shop.plan", b"shop"),
    ]
    plans = [orjson.loads(r.value or b"") for r in sent if r.topic == "shop.plan"]
    assert [(p["source"], p["delivers"], p["closed"]) for p in plans] == [
        ("shop", ["shop.authors", "shop.products"], {}),
        ("shop", ["shop.products"], {"authors": "forbidden to these credentials (HTTP 403)"}),
    ]


def test_rate_limited_past_the_ceiling_interrupts_and_the_next_run_resumes() -> None:
    routes = dict(ROUTES)
    routes["/products"] = status(429, **{"Retry-After": "3600"})
    producer = Producer(routes)
    report = producer.cycle()
    assert (report.completed, report.retry_after_s) == (False, 3600.0)
    assert report.interrupted is not None and "3600" in report.interrupted
    assert producer.state.cycle is not None and producer.state.cycle.running

    producer.api.routes["/products"] = ROUTES["/products"]
    producer.api.requests.clear()
    resumed = producer.cycle()
    assert (resumed.completed, resumed.resumed, resumed.cycle_id) == (True, True, report.cycle_id)
    assert producer.api.requests == ALL_REQUESTS[2:]
    assert producer.written("shop.products") == ["p1", "p2"]


def test_a_cycle_resumed_by_a_new_process_reports_the_discovery_of_the_whole_cycle() -> None:
    """What the first run found (p1, p2 in eu) comes from the state the second one loads."""
    eu = listing([{"id": "p1"}, {"id": "p2"}])
    us = status(500)
    producer = Producer(
        {**ROUTES, "/latest": lambda r: (eu if r.url.params["region"] == "eu" else us)(r)}
    )
    assert not producer.cycle().completed

    state: dict[str, bytes] = {}  # the state topic, compacted: what a new process loads
    for record in (r for unit in producer.units for r in unit if r.topic == "state"):
        key = record.key.decode()
        state.pop(key) if record.value is None else state.update({key: record.value})
    producer.state = WorkState(state)
    us = listing([{"id": "p3"}])
    producer.api.routes["/products"] = lambda r: body(
        {"products": [{"id": i, "reviews": {"items": []}} for i in r.url.params["ids"].split(",")]}
    )(r)
    producer.api.requests.clear()
    resumed = producer.cycle()
    assert (resumed.completed, resumed.resumed) == (True, True)
    assert producer.api.requests[0] == "/latest?region=us&offset=0&limit=2"  # eu: read before
    line = resumed.summary(time.time())
    assert "latest: 2/2 parts read in 3 requests (100% of its results), 3 found" in line, line


def test_a_server_that_keeps_failing_interrupts_with_what_was_done_committed() -> None:
    routes = dict(ROUTES)
    routes["/reviews/p1"] = status(500)
    producer = Producer(routes)
    report = producer.cycle()
    assert not report.completed
    assert report.interrupted is not None and "500" in report.interrupted
    assert report.retry_after_s is None
    assert producer.written("shop.products") == ["p1", "p2"]


def test_refused_credentials_end_the_cycle_with_an_error() -> None:
    producer = Producer({"/latest": status(401)})
    with pytest.raises(AuthError):
        producer.cycle()
    assert producer.api.requests == ["/latest?region=eu&offset=0&limit=2"]


def test_a_stopped_runner_sends_nothing_and_reports_it() -> None:
    producer = Producer(ROUTES)
    runner = producer.runner()
    runner.stop()
    report = producer.cycle(runner)
    assert (report.completed, report.interrupted) == (False, "stopped")
    assert producer.api.requests == []


def test_a_probe_tries_each_resource_once() -> None:
    producer = Producer({**ROUTES, "/latest": listing([{"id": "p1"}, {"id": "p2"}])})
    producer.cycle(producer.runner(probe=True))
    assert producer.api.requests == [
        "/latest?region=eu&offset=0&limit=2",
        "/products?ids=p1,p2",
        "/reviews/p1?page=2",
        "/authors/u1",
    ]
