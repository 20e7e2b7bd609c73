"""Incremental lists and sublists, conditional requests, poll intervals: what a cycle asks for and
writes, cycle after cycle, against a small issue tracker whose ``since`` is inclusive (as
GitHub's is) and whose event list answers ETags with 304."""

from __future__ import annotations

from typing import Any

import httpx
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
        "name": "tracker",
        "client": {"base_url": API},
        "variables": {"repos": ["a", "b"]},
        "modes": {"all": ["issues", "events"]},
        "resources": {
            "issues": {
                "kind": "list",
                "request": {"path": "/repos/{repo}/issues", "params": {"state": "all"}},
                "for_each": {"repo": "repos"},
                "paginator": {"type": "offset", "limit": 2, "total_path": None},
                "incremental": {"cursor_path": "updated_at", "param": "since"},
                "emit": "issues",
                "dedupe": {"remember_days": 30},
            },
            "comments": {
                "kind": "sublist",
                "from": [{"resource": "issues", "select": "comments_url"}],
                "request": {"path": "{id}"},
                "paginator": {"type": "offset", "limit": 2, "total_path": None},
                "incremental": {"cursor_path": "updated_at", "param": "since"},
                "emit": "comments",
                "dedupe": {"remember_days": 30},
            },
            "events": {
                "kind": "list",
                "request": {"path": "/events"},
                "paginator": {"type": "single"},
                "conditional": True,
                "poll_interval_header": "X-Poll-Interval",
                "emit": "events",
                "dedupe": {"remember_days": 30},
            },
        },
    }
)
TOPICS = {
    "issues": "t.issues",
    "comments": "t.comments",
    "events": "t.events",
    "dead_letter": "t.dead",
    "source_plan": "t.plan",
}


def stamp(minute: int) -> str:
    return f"2026-12-03T10:{minute:02d}:00Z"


class Tracker:
    """Issues per repo (number → updated_at minute), comments per issue, one event list."""

    def __init__(self) -> None:
        self.issues: dict[str, dict[int, int]] = {"a": {1: 1, 2: 3, 3: 3}, "b": {1: 2}}
        self.comments: dict[tuple[str, int], list[tuple[int, int]]] = {
            ("a", 1): [(101, 1), (102, 1), (103, 1)],  # (id, minute): three, two a page
            ("a", 2): [(201, 3)],
            ("b", 1): [],
        }
        self.events = [{"id": "e1"}, {"id": "e2"}]
        self.etag = '"v1"'
        self.not_modified = 0

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        return {
            "id": f"{repo}{number}",
            "updated_at": stamp(self.issues[repo][number]),
            "comments_url": f"{API}/repos/{repo}/issues/{number}/comments",
        }

    def routes(self) -> dict[str, Any]:
        routes: dict[str, Any] = {"/events": self.events_route}
        for repo in self.issues:
            routes[f"/repos/{repo}/issues"] = self.issues_route(repo)
        for repo, number in self.comments:
            routes[f"/repos/{repo}/issues/{number}/comments"] = self.comments_route(repo, number)
        return routes

    def issues_route(self, repo: str) -> Any:
        def route(request: httpx.Request) -> httpx.Response:
            since = request.url.params.get("since")
            rows = sorted(
                (self.issue(repo, n) for n in self.issues[repo]), key=lambda i: i["updated_at"]
            )
            rows = [r for r in rows if since is None or r["updated_at"] >= since]  # inclusive
            return _page(request, rows)

        return route

    def comments_route(self, repo: str, number: int) -> Any:
        def route(request: httpx.Request) -> httpx.Response:
            since = request.url.params.get("since")
            rows = [{"id": str(i), "updated_at": stamp(m)} for i, m in self.comments[repo, number]]
            return _page(request, [r for r in rows if since is None or r["updated_at"] >= since])

        return route

    def events_route(self, request: httpx.Request) -> httpx.Response:
        headers = {"ETag": self.etag, "X-Poll-Interval": "60"}
        if request.headers.get("If-None-Match") == self.etag:
            self.not_modified += 1
            return httpx.Response(304, headers=headers)
        return httpx.Response(200, json=self.events, headers=headers)


def _page(request: httpx.Request, rows: list[dict[str, Any]]) -> httpx.Response:
    offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
    return httpx.Response(200, json=rows[offset : offset + limit])


class Run:
    """Cycles on one state with a clock the test moves."""

    def __init__(self, tracker: Tracker, spec: SourceSpec = SPEC) -> None:
        self.tracker = tracker
        self.spec = spec
        self.state = WorkState()
        self.units: list[list[Record]] = []
        self.now = 1_000_000.0

    def cycle(self) -> list[str]:
        """Run a cycle; return the requests it sent."""
        api = FakeApi(self.tracker.routes())
        committer = Committer(
            MemoryWriter.pair(self.units.append), self.state, state_topic="s", prefix=""
        )
        runner = CycleRunner(
            self.spec,
            api.client(),
            self.state,
            committer,
            Plan.initial(self.spec, "all", frozenset()),
            TOPICS,
            concurrency=2,
            clock=lambda: self.now,
        )
        report = run_in_virtual_time(runner.run("all"))
        assert report.completed, report.interrupted
        return api.requests

    def written(self, topic: str) -> list[tuple[str, str]]:
        """(key, version) of each record written to the topic, in order."""
        out = []
        for unit in self.units:
            for record in unit:
                if record.topic == TOPICS[topic]:
                    value = httpx.Response(200, content=record.value).json()
                    out.append((record.key.decode(), value.get("updated_at", "")))
        return out


def test_the_first_cycle_reads_everything_and_keeps_the_highest_version_per_part() -> None:
    run = Run(Tracker())
    requests = run.cycle()
    assert sorted(run.written("issues")) == [
        ("a1", stamp(1)),
        ("a2", stamp(3)),
        ("a3", stamp(3)),
        ("b1", stamp(2)),
    ]
    assert sorted(run.written("comments")) == [
        ("101", stamp(1)),
        ("102", stamp(1)),
        ("103", stamp(1)),
        ("201", stamp(3)),
    ]
    assert not any("since=" in r for r in requests)
    assert run.state.cursor("issues", "repo=a")["since"] == stamp(3)  # type: ignore[index]
    assert run.state.cursor("issues", "repo=b")["since"] == stamp(2)  # type: ignore[index]
    a1 = f"{API}/repos/a/issues/1/comments"
    assert run.state.cursor("comments", a1) == {"since": stamp(1)}


def test_an_unchanged_source_asks_since_its_last_version_and_writes_nothing() -> None:
    run = Run(Tracker())
    run.cycle()
    before = len(run.written("issues")) + len(run.written("comments"))
    run.now += 3600
    requests = run.cycle()
    assert f"/repos/a/issues?state=all&since={stamp(3)}&offset=0&limit=2" in requests
    assert f"/repos/b/issues?state=all&since={stamp(2)}&offset=0&limit=2" in requests
    # the boundary issues came back (since is inclusive) but are not written again, and their
    # comments are not asked for: nothing about them changed
    assert len(run.written("issues")) + len(run.written("comments")) == before
    assert not any("/comments" in r for r in requests)


def test_an_edit_and_a_new_comment_arrive_once_each_and_only_they() -> None:
    tracker = Tracker()
    run = Run(tracker)
    run.cycle()
    tracker.issues["a"][1] = 7  # edited: a new version of a1
    tracker.comments["a", 1].append((104, 7))
    run.now += 3600
    requests = run.cycle()
    assert run.written("issues")[-1] == ("a1", stamp(7))
    assert [k for k, _ in run.written("issues")].count("a1") == 2  # two versions, once each
    assert sorted(k for k, _ in run.written("comments")) == ["101", "102", "103", "104", "201"]
    assert f"/repos/a/issues/1/comments?since={stamp(1)}&offset=0&limit=2" in requests


def test_a_conditional_list_sends_its_etag_and_a_304_writes_nothing() -> None:
    tracker = Tracker()
    run = Run(tracker)
    first = run.cycle()
    assert first.count("/events") == 1
    run.now += 3600
    assert "/events" in run.cycle()
    assert tracker.not_modified == 1
    assert [k for k, _ in run.written("events")] == ["e1", "e2"]
    assert run.state.cursor("events", "all")["etag"] == '"v1"'  # type: ignore[index]
    tracker.events.insert(0, {"id": "e3"})
    tracker.etag = '"v2"'
    run.now += 3600
    run.cycle()
    assert [k for k, _ in run.written("events")] == ["e1", "e2", "e3"]


def test_a_list_is_not_read_again_before_its_poll_interval() -> None:
    run = Run(Tracker())
    run.cycle()
    run.now += 30  # X-Poll-Interval: 60
    assert "/events" not in run.cycle()
    run.now += 31
    assert "/events" in run.cycle()


def test_the_request_of_a_sublist_item_is_its_parents_url() -> None:
    requests = Run(Tracker()).cycle()
    paths = {r.split("?")[0] for r in requests if "/comments" in r}
    assert paths == {
        "/repos/a/issues/1/comments",
        "/repos/a/issues/2/comments",
        "/repos/a/issues/3/comments",  # no such list (404): the item is missing, nothing more
        "/repos/b/issues/1/comments",
    }


def test_a_list_read_whole_writes_a_record_once_per_version_of_its_dedupe() -> None:
    resources = SPEC.model_dump(by_alias=True, exclude_none=True)["resources"]
    issues = {k: v for k, v in resources["issues"].items() if k != "incremental"}
    issues["dedupe"] = {"remember_days": 30, "version": "updated_at"}
    spec = SourceSpec.model_validate(
        {
            **SPEC.model_dump(by_alias=True, exclude_none=True),
            "resources": {"issues": issues},
            "modes": {"all": ["issues"]},
        }
    )
    tracker = Tracker()
    run = Run(tracker, spec)
    run.cycle()
    assert len(run.written("issues")) == 4
    run.cycle()  # read whole again, nothing changed: nothing written
    assert len(run.written("issues")) == 4
    tracker.issues["b"][1] = 9
    requests = run.cycle()
    assert not any("since=" in r for r in requests)
    assert run.written("issues")[4:] == [("b1", stamp(9))]
