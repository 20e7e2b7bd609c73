"""Shared pieces of the cycle-part tests: a small shop API's spec, a fake of that API on
``httpx.MockTransport``, and a cycle's context committing into memory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import httpx

from tests.support.rest import API, make_client
from tunestream.http.client import RestClient
from tunestream.http.models import RetryConfig
from tunestream.records import Record
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.runtime.context import CycleContext
from tunestream.runtime.plan import Plan
from tunestream.runtime.pool import Pool
from tunestream.runtime.report import CycleReport, ResourceStats
from tunestream.runtime.wire import Wire
from tunestream.spec.models import SourceSpec
from tunestream.state.work import WorkState

SPEC = SourceSpec.model_validate(
    {
        "name": "shop",
        "client": {"base_url": API},
        "variables": {"regions": ["eu", "us"]},
        "modes": {"latest": ["latest"], "search": ["search"]},
        "resources": {
            "latest": {
                "kind": "list",
                "request": {"path": "/latest", "params": {"region": "{region}"}},
                "for_each": {"region": "regions"},
                "paginator": {"type": "offset", "limit": 2},
                "records": "items",
                "fallback": "search",
            },
            "search": {
                "kind": "list",
                "request": {"path": "/search", "params": {"q": "new"}},
                "paginator": {"type": "offset", "limit": 2},
                "records": "items",
                "smaller_limits": [1],
                "split": {
                    "param": "q",
                    "cap": 3,
                    "refine": ["name:{word}"],
                    "alphabet": "ab",
                    "max_prefix": 1,
                },
            },
            "products": {
                "kind": "lookup",
                "from": [{"resource": "latest"}, {"resource": "search"}],
                "batch": {"path": "/products", "param": "ids", "max": 2, "records": "products"},
                "single": {"path": "/products/{id}"},
                "emit": "products",
                "schema": "shop.product.v1",
                "dedupe": {"remember_days": 30},
            },
            "reviews": {"kind": "pages", "from": "products", "embedded": "reviews"},
            "authors": {
                "kind": "lookup",
                "from": [{"resource": "reviews", "select": "author"}],
                "single": {"path": "/authors/{id}"},
                "emit": "authors",
            },
        },
    }
)
TOPICS = {
    "products": "shop.products",
    "authors": "shop.authors",
    "dead_letter": "shop.dead",
    "source_plan": "shop.plan",
}
CYCLE = "c1"
FETCHED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOW = 1_000_000.0
"""The cycle's clock (remembered items are stamped with it)."""

Route = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """The shop API: a route per path; logs each request as ``/path?query`` (decoded)."""

    def __init__(self, routes: Mapping[str, Route]) -> None:
        self.routes = dict(routes)
        self.requests: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        query = unquote_plus(request.url.query.decode())
        self.requests.append(f"{path}?{query}" if query else path)
        route = self.routes.get(path)
        return httpx.Response(404, json={"error": "no route"}) if route is None else route(request)

    def client(self) -> RestClient:
        """A client on this API that does not retry."""
        return make_client(self, retry=RetryConfig(attempts=1))


def listing(items: list[dict[str, Any]], total: int | None = None) -> Route:
    """An offset-paged list of ``items`` (``total`` reported, default their number)."""

    def route(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        page = items[offset : offset + limit]
        return httpx.Response(
            200, json={"items": page, "total": len(items) if total is None else total}
        )

    return route


def status(code: int, **headers: str) -> Route:
    return lambda request: httpx.Response(code, json={"error": code}, headers=headers)


def body(value: Any) -> Route:
    return lambda request: httpx.Response(200, json=value)


@dataclass
class Harness:
    """A cycle context on the fake API; committed units land in ``units``."""

    api: FakeApi
    ctx: CycleContext
    units: list[list[Record]] = field(default_factory=list)

    def written(self, topic: str) -> list[str]:
        """Keys of the records committed to a topic, in order."""
        return [r.key.decode() for unit in self.units for r in unit if r.topic == topic]

    def records(self, topic: str) -> list[Record]:
        return [r for unit in self.units for r in unit if r.topic == topic]


def harness(
    routes: Mapping[str, Route],
    *,
    mode: str = "latest",
    probe: bool = False,
    size: int = 1,
    spec: SourceSpec = SPEC,
    topics: Mapping[str, str] = TOPICS,
) -> Harness:
    """A context for one cycle of ``spec`` (the shop's) in ``mode``, writing to ``topics``;
    ``size`` requests at once."""
    api = FakeApi(routes)
    state = WorkState()
    units: list[list[Record]] = []
    committer = Committer(MemoryWriter.pair(units.append), state, state_topic="state", prefix="")
    report = CycleReport(CYCLE, mode, False, stats={n: ResourceStats() for n in spec.resources})
    ctx = CycleContext(
        spec,
        api.client(),
        state,
        committer,
        Plan.initial(spec, mode, frozenset()),
        Pool(size),
        Wire(spec.name, CYCLE, topics, now=lambda: FETCHED_AT),
        report,
        clock=lambda: NOW,
        probe=probe,
    )
    return Harness(api, ctx, units)
