"""``tunestream bench conditional``: what a cycle of the ``github`` spec costs when nothing changed.

The GitHub stand-in runs in a thread of this process, larger than the tests' (repositories,
days of history and actions an hour are options), its clock paused so that nothing happens
between cycles that the benchmark did not do. Two variants of the spec run against it in the
same run, each ``tunestream produce --once`` in its own process on topics of its own:

- **baseline** — a copy of the spec in which every list is read from its start each cycle, as a
  peer that ignores ETags and cursors would: ``conditional: false``, no
  ``poll_interval_header``, no ``incremental`` — a record still written once per version
  (``dedupe.version``: without it an edited issue would never be written again);
- **shipped** — the spec as shipped: issues and their comments asked ``since`` the last version
  seen, releases and events with the ETag of their first page (``If-None-Match``: a ``304``
  when unchanged), events not again before their ``X-Poll-Interval``.

Each variant runs a warm-up cycle (it fills the state), a cycle with nothing changed, and —
after ``edits`` issue edits and as many new comments through the stand-in's admin API — one
more; the variants take turns, so both meet the same truth. Per cycle: the stand-in's requests
by endpoint and status (``/_admin/stats`` before and after), the requests that count against
GitHub's primary rate limit (``X-RateLimit-Used`` before and after, read from a request answered
``304``, which counts none), the records written to Kafka (counted by a ``read_committed``
consumer from the topics' ends before the cycle), the process's wall time and the cycle's own
(as the producer logs it). The report gives the ratios shipped ÷ baseline.

GitHub's behaviours the shipped spec relies on: a ``304`` to an authorized conditional request
does not count against the primary rate limit
(https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate);
events are polled with their ETag, no sooner than ``X-Poll-Interval`` says
(https://docs.github.com/en/rest/activity/events). The stand-in answers the same way
(docs/EMULATOR.md).

The producer's request budget is raised past anything a cycle uses (its concurrency stays the
spec's), and the stand-in's hourly limit is high with its secondary limits off: neither is the
bottleneck of the baseline.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import yaml

from tunestream.config import KafkaSettings, Settings
from tunestream.kafka.broker import LocalBroker
from tunestream.spec.loader import load_spec
from tunestream_benchmarks.common import BenchError, cpu_model
from tunestream_benchmarks.emulated import CLOCK
from tunestream_benchmarks.isolated import IsolatedSource
from tunestream_benchmarks.plots import table
from tunestream_emulator.github import (
    GithubHandle,
    GithubSettings,
    LimitSettings,
    start_github_in_thread,
)

__all__ = [
    "CYCLES",
    "VARIANTS",
    "ConditionalOptions",
    "ConditionalResult",
    "Cycle",
    "cycle_seconds",
    "edit_targets",
    "peer_spec",
    "report",
    "requests_delta",
    "run",
]

VARIANTS = ("baseline", "shipped")
CYCLES = ("warm-up", "unchanged", "after edits")
_SPEC = "github"
_SEED = 5
_LIMITS = LimitSettings(rate_limit_per_hour=100_000_000, max_concurrent=None, max_per_minute=None)
_REQUESTS_PER_SECOND = 100_000.0
"""The producer's request budget: past what the stand-in answers on this machine."""
_CYCLE_LOG = re.compile(r": cycle \S+ completed in ([0-9.]+) s")
_CYCLE_TIMEOUT_S = 600


@dataclass(frozen=True)
class ConditionalOptions:
    repositories: int = 5
    history_days: float = 30.0
    actions_per_hour: float = 2.0
    """Generated actions per repository an hour (the stand-in's default)."""
    edits: int = 10
    """Issue edits, and as many new comments on other issues, before the last cycle."""

    @property
    def command(self) -> str:
        return (
            f"tunestream bench conditional --repositories {self.repositories} "
            f"--history-days {self.history_days:g} --actions-per-hour {self.actions_per_hour:g} "
            f"--edits {self.edits}"
        )

    def stand_in(self) -> GithubSettings:
        """The stand-in's settings: fixed seed and clock, so runs see the same truth."""
        return GithubSettings(
            seed=_SEED,
            repositories=[f"bench-org/repo-{n}" for n in range(1, self.repositories + 1)],
            clock_start=datetime.fromisoformat(CLOCK),
            history_days=self.history_days,
            actions_per_hour=self.actions_per_hour,
            limits=_LIMITS,
        )


@dataclass(frozen=True)
class Cycle:
    """One ``produce --once``: what the stand-in answered and what reached Kafka."""

    requests: dict[str, dict[str, int]]
    """Endpoint → status → requests."""
    rate_limit_used: int
    records: dict[str, int]
    """Records written, by topic key."""
    process_s: float
    cycle_s: float

    @property
    def total(self) -> int:
        return sum(n for counts in self.requests.values() for n in counts.values())

    @property
    def by_status(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for statuses in self.requests.values():
            counts.update(statuses)
        return dict(sorted(counts.items()))

    @property
    def written(self) -> int:
        return sum(self.records.values())


@dataclass(frozen=True)
class ConditionalResult:
    world: dict[str, int]
    """What the stand-in holds: issues, pull requests, comments, releases, events."""
    cycles: dict[str, list[Cycle]]
    """Variant → its cycles, in the order of ``CYCLES``."""


# -- the pure parts ------------------------------------------------------------------------------


def peer_spec(shipped: Mapping[str, Any]) -> dict[str, Any]:
    """The spec (as parsed YAML) with every list read from its start each cycle: lists not
    conditional, without a poll interval and not incremental; a record is still written once
    per version (``dedupe.version``: an edit is a new version, written once)."""
    peer = copy.deepcopy(dict(shipped))
    for resource in peer["resources"].values():
        if resource["kind"] == "list":
            resource.pop("poll_interval_header", None)
            resource["conditional"] = False
        if "incremental" in resource:
            version = resource.pop("incremental")["cursor_path"]
            resource["dedupe"] = {**resource.get("dedupe", {}), "version": version}
    return peer


def requests_delta(
    before: Mapping[str, Mapping[str, int]], after: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """Endpoint → status → requests between two ``/_admin/stats`` ``endpoints``; none empty."""
    delta: dict[str, dict[str, int]] = {}
    for endpoint, counts in sorted(after.items()):
        earlier = before.get(endpoint, {})
        changed = {s: n - earlier.get(s, 0) for s, n in sorted(counts.items())}
        changed = {s: n for s, n in changed.items() if n}
        if changed:
            delta[endpoint] = changed
    return delta


def edit_targets(truth: Mapping[str, Any], count: int) -> list[tuple[str, int]]:
    """``count`` issues to edit, then ``count`` others to comment on: the least recently updated
    of each repository (the last ones a newest-first list reaches), repositories in turn."""
    queues = [
        [
            (name, issue["number"])
            for issue in sorted(repo["issues"], key=lambda i: (i["updated_at"], i["number"]))
        ]
        for name, repo in sorted(truth["repositories"].items())
    ]
    chosen: list[tuple[str, int]] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        chosen += [queue[depth] for queue in queues if depth < len(queue)]
    if len(chosen) < 2 * count:
        raise BenchError(f"{2 * count} issues to change, the stand-in has {len(chosen)}")
    return chosen[: 2 * count]


def cycle_seconds(log: str) -> float:
    """The cycle's duration from the producer's JSON log lines (its ``completed in`` line)."""
    for line in log.splitlines():
        try:
            message = json.loads(line).get("message", "")
        except (ValueError, AttributeError):
            continue
        found = _CYCLE_LOG.search(message) if isinstance(message, str) else None
        if found:
            return float(found.group(1))
    raise BenchError("the producer logged no completed cycle")


# -- a variant -----------------------------------------------------------------------------------


class _Variant:
    """One variant's topics, configuration and cycles (``produce --once`` in a process)."""

    def __init__(
        self,
        name: str,
        spec: str,
        handle: GithubHandle,
        kafka: KafkaSettings,
        folder: Path,
    ) -> None:
        self.handle = handle
        token = handle.settings.tokens[0].token
        environ = {"GITHUB_API_URL": handle.api_url, "GITHUB_TOKEN": token}
        concurrency = load_spec(spec, environ=environ).client.rate_limit.max_concurrency
        source = {
            "variables": {"repos": list(handle.settings.repositories)},
            "rate_limit": {
                "requests_per_second": _REQUESTS_PER_SECOND,
                "max_concurrency": concurrency,
            },
        }
        self.source = IsolatedSource(name, spec, kafka, folder, environ, source)

    def cycle(self) -> Cycle:
        used = _rate_limit_used(self.handle)
        before = self.handle.stats()["endpoints"]
        ends = self.source.records.ends()
        started = time.monotonic()
        log = self.source.produce(_CYCLE_TIMEOUT_S)
        process_s = time.monotonic() - started
        after = self.handle.stats()["endpoints"]
        return Cycle(
            requests=requests_delta(before, after),
            rate_limit_used=_rate_limit_used(self.handle) - used,
            records=self.source.records.since(ends),
            process_s=process_s,
            cycle_s=cycle_seconds(log),
        )

    def close(self) -> None:
        self.source.close()


def _rate_limit_used(handle: GithubHandle) -> int:
    """The token's requests counted against the hourly limit: ``X-RateLimit-Used`` of a request
    answered 304 (``If-None-Match: *``), which counts none."""
    token = handle.settings.tokens[0].token
    response = httpx.get(
        f"{handle.api_url}/repos/{handle.settings.repositories[0]}/releases",
        headers={"Authorization": f"Bearer {token}", "If-None-Match": "*"},
        timeout=30,
    )
    if response.status_code != 304:
        raise BenchError(f"the rate-limit probe was answered {response.status_code}, not 304")
    return int(response.headers["x-ratelimit-used"])


def _world(truth: Mapping[str, Any]) -> dict[str, int]:
    repos = truth["repositories"].values()
    return {
        "issues": sum(len(r["issues"]) for r in repos),
        "pull requests": sum(1 for r in repos for i in r["issues"] if i.get("pull_request")),
        "comments": sum(len(cs) for r in repos for cs in r["comments"].values()),
        "releases": sum(len(r["releases"]) for r in repos),
        "events": sum(len(r["events"]) for r in repos),
    }


def _change(handle: GithubHandle, truth: Mapping[str, Any], count: int) -> None:
    targets = edit_targets(truth, count)
    for n, (repo, number) in enumerate(targets[:count], 1):
        handle.edit_issue(repo, number, title=f"edited by the benchmark ({n})")
    for n, (repo, number) in enumerate(targets[count:], 1):
        handle.comment(repo, number, body=f"a comment of the benchmark ({n})")


def measure(
    kafka: KafkaSettings, options: ConditionalOptions, say: Callable[[str], None]
) -> ConditionalResult:
    """Both variants' cycles against one stand-in, on the cluster of ``kafka``."""
    with (
        tempfile.TemporaryDirectory(prefix="tunestream-bench-") as tmp,
        start_github_in_thread(options.stand_in()) as handle,
    ):
        handle.pause()
        truth = handle.truth()
        folder = Path(tmp)
        shipped = resources.files("tunestream.sources") / f"{_SPEC}.yaml"
        peer = folder / "github-peer.yaml"
        peer.write_text(yaml.safe_dump(peer_spec(yaml.safe_load(shipped.read_text()))))
        specs = {"baseline": str(peer), "shipped": _SPEC}
        variants: dict[str, _Variant] = {}
        try:
            for name in VARIANTS:
                variants[name] = _Variant(name, specs[name], handle, kafka, folder)
            cycles: dict[str, list[Cycle]] = {name: [] for name in VARIANTS}
            for number, what in enumerate(CYCLES):
                if number == CYCLES.index("after edits"):
                    say(f"conditional: {options.edits} issue edits and {options.edits} comments")
                    _change(handle, truth, options.edits)
                for name in VARIANTS:  # in turns: both meet the same truth
                    say(f"conditional: {name}, {what} cycle …")
                    cycles[name].append(variants[name].cycle())
        finally:
            for variant in variants.values():
                variant.close()
    return ConditionalResult(_world(truth), cycles)


def run(settings: Settings, options: ConditionalOptions, say: Callable[[str], None] = print) -> str:
    """Measure on the configured cluster (the local broker, started if needed); the section."""
    kafka = settings.kafka
    broker = LocalBroker(kafka.local, settings.data_dir) if kafka.uses_local_broker else None
    started_broker = broker.start() if broker is not None else False
    try:
        result = measure(kafka, options, say)
    finally:
        if broker is not None and started_broker:
            broker.stop()
    return report(result, options)


# -- the report ----------------------------------------------------------------------------------


def _ratio(shipped: float, baseline: float) -> str:
    return f"{shipped / baseline:.3f}" if baseline else "n/a"


def _cycles_table(result: ConditionalResult) -> str:
    rows = [
        [
            name,
            what,
            f"{cycle.total:,}",
            ", ".join(f"{status}: {n:,}" for status, n in cycle.by_status.items()) or "none",
            f"{cycle.rate_limit_used:,}",
            f"{cycle.written:,}",
            ", ".join(f"{k} {n:,}" for k, n in sorted(cycle.records.items()) if n) or "none",
            f"{cycle.process_s:.1f}",
            f"{cycle.cycle_s:.1f}",
        ]
        for name in VARIANTS
        for what, cycle in zip(CYCLES, result.cycles[name], strict=True)
    ]
    header = ["variant", "cycle", "requests", "by status", "rate limit used", "records"]
    return table([*header, "records by topic", "process s", "cycle s"], rows)


def _ratios_table(result: ConditionalResult) -> str:
    rows = []
    for number, what in enumerate(CYCLES[1:], 1):
        base, ours = result.cycles["baseline"][number], result.cycles["shipped"][number]
        rows.append(
            [
                what,
                _ratio(ours.total, base.total),
                _ratio(ours.rate_limit_used, base.rate_limit_used),
                _ratio(ours.written, base.written),
                _ratio(ours.process_s, base.process_s),
                _ratio(ours.cycle_s, base.cycle_s),
            ]
        )
    header = ["shipped ÷ baseline", "requests", "rate limit used", "records", "process s"]
    return table([*header, "cycle s"], rows)


def _endpoints_table(result: ConditionalResult) -> str:
    """Requests of the measured cycles (all but the warm-up) by endpoint and status."""
    measured = [
        (f"{name}, {what}", result.cycles[name][number])
        for number, what in enumerate(CYCLES[1:], 1)
        for name in VARIANTS
    ]
    keys = sorted(
        {
            (e, s)
            for _, cycle in measured
            for e, statuses in cycle.requests.items()
            for s in statuses
        }
    )
    rows = [
        [f"`{e}` {s}", *(f"{cycle.requests.get(e, {}).get(s, 0):,}" for _, cycle in measured)]
        for e, s in keys
    ]
    return table(["stand-in endpoint and status", *(label for label, _ in measured)], rows)


def report(result: ConditionalResult, options: ConditionalOptions) -> str:
    world = ", ".join(f"{n:,} {what}" for what, n in result.world.items())
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    unchanged, edited = CYCLES.index("unchanged"), CYCLES.index("after edits")
    grew = {
        name: result.cycles[name][edited].total - result.cycles[name][unchanged].total
        for name in VARIANTS
    }
    return f"""## Conditional requests: a GitHub cycle where nothing changed

Command: `{options.command}`

Run {now} on {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, against
the GitHub stand-in (a thread of the benchmark, its clock paused) and the configured Kafka
cluster. The stand-in holds {options.repositories} repositories with {options.history_days:g}
days of history at {options.actions_per_hour:g} actions an hour each: {world}. Each cycle is
`tunestream produce --once` of the `github` spec in its own process, its request budget raised
past what a cycle uses (the spec's concurrency kept), against high limits of the stand-in (no
secondary limits).

- **baseline**: a copy of the spec that reads every list from its start each cycle, as a peer
  that ignores ETags and cursors would: `conditional: false`, no `poll_interval_header`, no
  `incremental` — a record still written once per version (`dedupe.version`: an edit is a new
  version, written once);
- **shipped**: the spec as shipped: issues and comments asked `since` the last version seen
  (inclusive: the last ones come back and are not written again), releases and events with
  their first page's ETag (a 304 when unchanged, which uses no rate limit), events not asked
  again within their `X-Poll-Interval` (60 s: the cycles here come sooner, so new events wait
  for a later cycle).

In both, an issue's comments and its pull request are asked only for an issue with a new
version. Each variant runs a warm-up cycle (it fills the state), a cycle with nothing changed,
then — after {options.edits} issue edits and {options.edits} new comments on other issues
through the stand-in's admin API — one more; the variants take turns. Requests are the
stand-in's counts; "rate limit used" is its `X-RateLimit-Used` after the cycle minus before;
records are those the cycle wrote to Kafka; "process s" is `produce --once` from start to exit,
"cycle s" the cycle as the producer logs it. One run of each: the ratios are what to read.

{_cycles_table(result)}

{_ratios_table(result)}

After the changes ({2 * options.edits} issues) the shipped cycle asked {grew["shipped"]:,}
requests more than with nothing changed, the baseline {grew["baseline"]:,} more; with nothing
changed the baseline still reads every page of every list.

Requests of the measured cycles by endpoint and status:

{_endpoints_table(result)}
"""
