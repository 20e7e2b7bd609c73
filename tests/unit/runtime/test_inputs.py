"""Topic roots: records read from a topic queue their children, and the positions read to commit
with the units that hold that work; batches matched by id where the API leaves unknown ids out."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from confluent_kafka import TopicPartition

from tests.support.rest import API
from tests.support.runtime import FakeApi
from tunestream.kafka.feed import Polled
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.runtime.cycle import CycleRunner
from tunestream.runtime.plan import Plan
from tunestream.spec.models import SourceSpec, TopicResource
from tunestream.state.work import WorkState

pytestmark = [pytest.mark.unit, pytest.mark.timeout(20)]

SPEC = SourceSpec.model_validate(
    {
        "name": "enrich",
        "client": {"base_url": API},
        "modes": {"features": ["tracks"]},
        "resources": {
            "tracks": {"kind": "topic", "topic": "tracks", "max_records": 6},
            "features": {
                "kind": "lookup",
                "from": [{"resource": "tracks", "select": "id"}],
                "batch": {
                    "path": "/features",
                    "max": 3,
                    "records": "content",
                    "match": "href",
                    "match_pattern": "/track/(\\w+)$",
                },
                "emit": "features",
                "dedupe": {"remember_days": 30},
            },
        },
    }
)
TOPICS = {"features": "enrich.features", "dead_letter": "dead", "source_plan": "plan"}
UNKNOWN = {"t2", "t5"}
"""Tracks the API leaves out of its answers."""


class FakeFeed:
    """A topic of one partition holding ``values`` at offsets 0…, polled ``per_poll`` at a
    time."""

    topic = "tracks"

    def __init__(self, values: list[bytes], per_poll: int = 2) -> None:
        self.values = values
        self.per_poll = per_poll
        self.position = 0
        self.closed = False

    def open(self) -> None:
        pass

    def poll(self, limit: int, timeout_s: float = 1.0) -> Polled:
        taken = self.values[self.position : self.position + min(limit, self.per_poll)]
        records = [(f"k{self.position + i}".encode(), v) for i, v in enumerate(taken)]
        self.position += len(taken)
        positions = [TopicPartition("tracks", 0, self.position)] if taken else []
        return Polled(records, positions, at_end=self.position >= len(self.values))

    def group_metadata(self) -> object:
        return "group"

    def close(self) -> None:
        self.closed = True


def features(request: httpx.Request) -> httpx.Response:
    ids = request.url.params["ids"].split(",")
    assert len(ids) <= 3
    content = [
        {"id": f"rb-{i}", "href": f"https://open.spotify.com/track/{i}", "energy": 0.5}
        for i in reversed(ids)  # any order
        if i not in UNKNOWN
    ]
    return httpx.Response(200, json={"content": content})


def track(track_id: str) -> bytes:
    return orjson.dumps({"id": track_id, "name": f"song {track_id}"})


def run_cycle(
    feed: FakeFeed,
) -> tuple[list[tuple[str, Any]], CycleRunner, FakeApi]:
    """One cycle reading ``feed``; the committed units and input positions, in commit order."""
    import asyncio

    api = FakeApi({"/features": features})
    events: list[tuple[str, Any]] = []
    state = WorkState()
    committer = Committer(
        MemoryWriter.pair(
            lambda unit: events.append(("unit", unit)),
            lambda positions: events.append(("positions", positions)),
        ),
        state,
        state_topic="state",
        prefix="",
        max_records=2,
    )
    runner = CycleRunner(
        SPEC,
        api.client(),
        state,
        committer,
        Plan.initial(SPEC, "features", frozenset()),
        TOPICS,
        concurrency=1,
        open_feed=lambda resource: feed,  # type: ignore[arg-type,return-value]
    )
    asyncio.run(runner.run("features"))
    return events, runner, api


def emitted(events: list[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        r.key.decode(): orjson.loads(r.value)
        for kind, unit in events
        if kind == "unit"
        for r in unit
        if r.topic == "enrich.features"
    }


def test_records_read_from_a_topic_are_looked_up_in_batches_matched_by_id() -> None:
    feed = FakeFeed([track(f"t{i}") for i in range(5)])
    events, runner, api = run_cycle(feed)
    assert api.requests == ["/features?ids=t0,t1,t2", "/features?ids=t3,t4"]
    found = emitted(events)
    assert sorted(found) == ["t0", "t1", "t3", "t4"]  # t2 was left out of the answer
    assert found["t3"]["id"] == "rb-t3"  # each record under the id its href ends with
    report = runner.report
    assert (report.stats["features"].missing, report.stats["tracks"].fetched) == (1, 5)
    assert report.completed and not report.backlog and feed.closed


def test_positions_commit_with_the_unit_holding_the_work_they_queued() -> None:
    feed = FakeFeed([track(f"t{i}") for i in range(5)])
    events, _, _ = run_cycle(feed)
    state: dict[str, bytes] = {}
    checked = []
    for index, (kind, payload) in enumerate(events):
        if kind == "unit":
            state.update({r.key.decode(): r.value or b"" for r in payload if r.topic == "state"})
            continue
        unit = events[index + 1][1]  # the unit these positions commit with
        state.update({r.key.decode(): r.value or b"" for r in unit if r.topic == "state"})
        queued = {
            item
            for key, value in state.items()
            if key.startswith("todo/features/") and value
            for item in orjson.loads(value)["items"]
        }
        done = {key.removeprefix("seen/features/") for key in state if key.startswith("seen/")}
        read = {f"t{i}" for i in range(payload[0].offset)}
        assert read <= queued | done, (payload, sorted(state))
        checked.append(payload[0].offset)
    assert checked[-1] == 5


def test_a_cycle_reads_at_most_max_records_and_leaves_the_rest_as_backlog() -> None:
    feed = FakeFeed([track(f"t{i}") for i in range(9)])
    events, runner, _ = run_cycle(feed)
    assert feed.position == 6
    assert runner.report.backlog
    assert sorted(emitted(events)) == ["t0", "t1", "t3", "t4"]  # t2, t5 unknown


def test_a_value_that_is_not_json_is_a_dead_letter_and_reading_goes_on() -> None:
    feed = FakeFeed([track("t0"), b"{not json", track("t1")])
    events, runner, _ = run_cycle(feed)
    letters = [
        orjson.loads(r.value)
        for kind, unit in events
        if kind == "unit"
        for r in unit
        if r.topic == "dead"
    ]
    assert [(d["resource"], d["items"]) for d in letters] == [("tracks", ["k1"])]
    assert sorted(emitted(events)) == ["t0", "t1"]
    assert runner.report.stats["tracks"].dead_letters == 1


def test_a_topic_root_needs_no_emit_and_is_a_root_of_its_mode() -> None:
    resource = SPEC.resources["tracks"]
    assert isinstance(resource, TopicResource)
    assert SPEC.emits("tracks") is None
    assert SPEC.children("tracks") == ["features"]
