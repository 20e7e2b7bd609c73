"""A resource's shape in a cycle: the records it writes are keyed, timestamped and trimmed as it
says; those its filter drops are neither written nor followed to their children."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from tests.support.rest import API
from tests.support.runtime import FakeApi
from tunestream.http.testing import run_in_virtual_time
from tunestream.records import Record
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.runtime.cycle import CycleRunner
from tunestream.runtime.plan import Plan
from tunestream.spec.models import SourceSpec
from tunestream.state.work import WorkState

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]

SPEC = SourceSpec.model_validate(
    {
        "name": "shop",
        "client": {"base_url": API},
        "variables": {"regions": ["eu"]},
        "modes": {"all": ["orders"]},
        "resources": {
            "orders": {
                "kind": "list",
                "request": {"path": "/orders", "params": {"region": "{region}"}},
                "for_each": {"region": "regions"},
                "paginator": {"type": "single"},
                "emit": "orders",
                "dedupe": {"remember_days": 1},
                "shape": {
                    "filter": "status != 'draft'",
                    "key": "{region}/{number}",
                    "timestamp": "placed_at",
                    "drop": ["internal"],
                    "add": {"region": "{region}", "source": "shop"},
                },
            },
            "customers": {
                "kind": "lookup",
                "from": [{"resource": "orders", "select": "customer"}],
                "single": {"path": "/customers/{id}"},
                "emit": "customers",
            },
        },
    }
)
ORDERS = [
    {
        "id": "o1",
        "number": 7,
        "status": "paid",
        "customer": "c1",
        "internal": "x",
        "placed_at": "2026-12-03T10:00:00Z",
    },
    {
        "id": "o2",
        "number": 8,
        "status": "draft",
        "customer": "c2",
        "internal": "y",
        "placed_at": "2026-12-03T10:05:00Z",
    },
]


def test_records_are_shaped_and_the_filtered_ones_go_nowhere() -> None:
    api = FakeApi(
        {
            "/orders": lambda r: httpx.Response(200, json=ORDERS),
            "/customers/c1": lambda r: httpx.Response(200, json={"id": "c1"}),
            "/customers/c2": lambda r: httpx.Response(200, json={"id": "c2"}),
        }
    )
    state, units = WorkState(), []
    committer = Committer(MemoryWriter.pair(units.append), state, state_topic="s", prefix="")
    topics = {
        "orders": "t.orders",
        "customers": "t.customers",
        "dead_letter": "t.dead",
        "source_plan": "t.plan",
    }
    runner = CycleRunner(
        SPEC,
        api.client(),
        state,
        committer,
        Plan.initial(SPEC, "all", frozenset()),
        topics,
        concurrency=1,
    )
    report = run_in_virtual_time(runner.run("all"))
    written: list[Record] = [r for unit in units for r in unit if r.topic == "t.orders"]
    assert [(r.key, r.timestamp_ms) for r in written] == [(b"eu/7", 1_796_292_000_000)]
    value: dict[str, Any] = orjson.loads(written[0].value or b"")
    assert value == {
        "id": "o1",
        "number": 7,
        "status": "paid",
        "customer": "c1",
        "placed_at": "2026-12-03T10:00:00Z",
        "region": "eu",
        "source": "shop",
    }
    assert "/customers/c2" not in api.requests  # the draft's customer is not looked up
    assert "/customers/c1" in api.requests
    assert report.stats["orders"].filtered == 1
