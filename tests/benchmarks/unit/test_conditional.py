"""The conditional bench's pure parts: the baseline's spec, the stand-in's request deltas, the
issues it changes, the cycle's time from the producer's log, and the report's ratios."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tunestream.spec.loader import load_spec
from tunestream.spec.models import ListResource
from tunestream_benchmarks.common import BenchError
from tunestream_benchmarks.conditional import (
    ConditionalOptions,
    ConditionalResult,
    Cycle,
    cycle_seconds,
    edit_targets,
    peer_spec,
    report,
    requests_delta,
)

pytestmark = pytest.mark.unit

SHIPPED = Path(__file__).resolve().parents[3] / "src" / "tunestream" / "sources" / "github.yaml"
CENTURY_S = 3_153_600_000  # 100 x 365 days
ISSUES = "GET /repos/{owner}/{repo}/issues"
RELEASES = "GET /repos/{owner}/{repo}/releases"


def test_the_peer_reads_every_list_from_its_start_and_still_writes_each_edit(
    tmp_path: Path,
) -> None:
    shipped = yaml.safe_load(SHIPPED.read_text())
    untouched = copy.deepcopy(shipped)
    peer = peer_spec(shipped)
    assert shipped == untouched
    resources = peer["resources"]
    assert "incremental" not in resources["issues"]
    assert resources["issues"]["dedupe"] == {"remember_days": 30, "version": "updated_at"}
    assert "incremental" not in resources["issue_comments"]
    assert resources["issue_comments"]["dedupe"]["version"] == "updated_at"
    assert resources["releases"]["conditional"] is False
    assert resources["events"]["conditional"] is False
    assert "poll_interval_header" not in resources["events"]
    assert resources["pull_requests"] == untouched["resources"]["pull_requests"]
    assert peer["client"] == untouched["client"]

    path = tmp_path / "peer.yaml"
    path.write_text(yaml.safe_dump(peer))
    issues = load_spec(str(path), environ={"GITHUB_TOKEN": "t"}).resources["issues"]
    assert isinstance(issues, ListResource) and issues.incremental is None


def test_requests_are_the_stand_ins_counts_after_less_before() -> None:
    before = {ISSUES: {"200": 5}, RELEASES: {"200": 1, "304": 2}}
    after = {ISSUES: {"200": 7}, RELEASES: {"200": 1, "304": 3}, "GET /x": {"404": 1}}
    assert requests_delta(before, after) == {
        "GET /x": {"404": 1},
        ISSUES: {"200": 2},
        RELEASES: {"304": 1},
    }
    assert requests_delta(after, after) == {}


def test_the_changed_issues_are_the_least_recently_updated_repositories_in_turn() -> None:
    def issue(number: int, day: int) -> dict[str, object]:
        return {"number": number, "updated_at": f"2026-11-{day:02d}T00:00:00Z"}

    truth = {
        "repositories": {
            "org/b": {"issues": [issue(1, 5), issue(2, 4)]},
            "org/a": {"issues": [issue(1, 3), issue(2, 1), issue(3, 2)]},
        }
    }
    assert edit_targets(truth, 2) == [("org/a", 2), ("org/b", 2), ("org/a", 3), ("org/b", 1)]
    with pytest.raises(BenchError, match="6 issues to change, the stand-in has 5"):
        edit_targets(truth, 3)


def test_the_cycle_time_is_read_from_the_producers_json_log() -> None:
    log = "\n".join(
        [
            "not json",
            '{"level": "info", "message": "github: topics checked"}',
            '{"level": "info", "message": "github: cycle 1a2b completed in 12.5 s: issues 3"}',
        ]
    )
    assert cycle_seconds(log) == 12.5
    with pytest.raises(BenchError, match="no completed cycle"):
        cycle_seconds('{"message": "github: cycle 1a2b interrupted (rate limited) in 3.0 s"}')


def _cycle(
    ok: int, not_modified: int, used: int, records: int, process: float, cycle: float
) -> Cycle:
    requests = {ISSUES: {"200": ok}}
    if not_modified:
        requests[RELEASES] = {"304": not_modified}
    return Cycle(requests, used, {"issues": records}, process, cycle)


def test_the_report_gives_shipped_over_baseline_for_the_measured_cycles() -> None:
    options = ConditionalOptions(repositories=3, history_days=7.5, actions_per_hour=1, edits=4)
    warm = _cycle(900, 0, 900, 5_000, 20.0, 15.0)
    result = ConditionalResult(
        {"issues": 300, "comments": 700},
        {
            "baseline": [warm, _cycle(40, 0, 40, 0, 5.0, 2.0), _cycle(50, 0, 50, 20, 5.0, 2.5)],
            "shipped": [warm, _cycle(3, 5, 3, 0, 4.0, 0.5), _cycle(15, 5, 15, 15, 4.5, 0.5)],
        },
    )
    text = report(result, options)
    assert (
        "Command: `tunestream bench conditional --repositories 3 --history-days 7.5 "
        "--actions-per-hour 1 --edits 4`" in text
    )
    assert "| unchanged | 0.200 | 0.075 | n/a | 0.800 | 0.250 |" in text
    assert "| after edits | 0.400 | 0.300 | 0.750 | 0.900 | 0.200 |" in text
    assert "| shipped | unchanged | 8 | 200: 3, 304: 5 | 3 | 0 | none | 4.0 | 0.5 |" in text
    assert (
        "After the changes (8 issues) the shipped cycle asked 12 requests more than with nothing "
        "changed, the baseline 10 more" in " ".join(text.split())
    )
    assert f"| `{RELEASES}` 304 | 0 | 5 | 0 | 5 |" in text
