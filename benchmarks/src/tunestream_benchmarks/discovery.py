"""``tunestream bench discovery``: what finding every release through search costs at scale.

Against the emulator's default catalog (100,000 tracks a day; ``tag:new`` holds the 14-day window,
about 241,000 albums), its search ranked like Spotify's (a stable order that is not by date), for
each profile — extended (50 results a page) and development (10 a page):

1. **First pass** — the query tree built from ``tag:new`` down: each query past the 1,000-result
   cap is split into narrower ones. Every album of the window must be found.
2. **Complete pass** — every leaf of the kept tree read to its end: the pages of the leaves'
   totals as the first pass read them, ÷ ceil(W / P), the floor (W albums in the window, P a
   page). The rolling cycles below read each leaf once in N cycles: their requests are the
   measured complete pass.
3. **Rolling** — hourly cycles with a discovery budget of 0.4 x the floor: each cycle reads the
   parts read longest ago; N = ceil(complete pass / budget). For every album released during
   the run, the number of cycles until a cycle found it, against the emulator's truth; and after
   N cycles, the share of the window found.

Discovery runs in this process (the producer's own ``Discovery`` on the producer's HTTP client,
against the emulator over HTTP); no records are written, so Kafka is not needed. The lower
bound printed beside the ratio is the fewest results any complete set of queries must return
(README, "Discovery at scale"): an album whose name has words of two initials and whose
artists too must be in two queries, since single-word albums could exist for each.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tunestream.http.client import RestClient
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.runtime.context import CycleContext
from tunestream.runtime.cursor import Cursor
from tunestream.runtime.discovery import Discovery, pass_cost
from tunestream.runtime.plan import Plan
from tunestream.runtime.pool import Pool
from tunestream.runtime.report import CycleReport, ResourceStats, RootReport
from tunestream.runtime.wire import Wire
from tunestream.spec.models import ListResource, SourceSpec
from tunestream.state.work import WorkState
from tunestream_benchmarks.common import BenchError, cpu_model
from tunestream_benchmarks.emulated import CLIENT, CLOCK, Emulator, spotify_spec, start_emulator
from tunestream_emulator.catalog import Catalog
from tunestream_emulator.settings import EmulatorSettings

__all__ = ["DiscoveryOptions", "Measure", "ProfileResult", "load_measures", "run", "save_measures"]

ROOT = "new_albums"
HOUR = 3600.0
_WORD = re.compile(r"[0-9a-z]+")


@dataclass(frozen=True)
class DiscoveryOptions:
    tracks_per_day: float = 100_000.0
    budget_share: float = 0.4
    """The rolling budget per cycle as a share of the floor ceil(W / P)."""
    extra_cycles: int = 1
    """Rolling cycles run past N, so that albums released late in the run are seen found."""
    profiles: tuple[str, ...] = ("extended", "development")


@dataclass
class ProfileResult:
    profile: str
    page_size: int
    window: int
    first_requests: int
    first_found: int
    first_seconds: float
    complete_requests: int
    """A complete pass over the kept tree: every leaf's pages when last read."""
    parts: int
    budget: int
    n_cycles: int
    rolling: list[RootReport] = field(default_factory=list)
    latencies: list[int] = field(default_factory=list)
    """Per album released during the rolling run: cycles until one found it."""
    missed: int = 0
    """Albums released during the run and still in the window that no cycle found."""
    rolled_found: int = 0
    rolled_window: int = 0
    """After N rolling cycles: of the albums the first pass found that are still in the
    window, those the rolling cycles found again (every part was re-read)."""

    @property
    def floor(self) -> int:
        return math.ceil(self.window / self.page_size)


@dataclass(frozen=True)
class Measure:
    """What ``bench discovery`` measured for one profile, as the capacity report scales it."""

    profile: str
    page_size: int
    tracks_per_day: float
    window: int
    first_requests: int
    complete_requests: int
    budget_share: float
    measured: str
    """The date and the command."""

    def at(self, tracks_per_day: float) -> tuple[int, int, int, int, int]:
        """At another volume, scaled by the measured cost per album of the window: (W, first
        pass, complete pass, a rolling cycle's budget, N cycles)."""
        window = round(self.window * tracks_per_day / self.tracks_per_day)
        first = -(-self.first_requests * window // self.window)  # ceil, in integers
        complete = -(-self.complete_requests * window // self.window)
        budget = max(1, int(self.budget_share * math.ceil(window / self.page_size)))
        return window, first, complete, budget, math.ceil(complete / budget)


def save_measures(
    path: Path, results: list[ProfileResult], options: DiscoveryOptions, command: str
) -> None:
    """Write the results for the capacity report (``load_measures``), dated, with the command."""
    measured = f"{datetime.now(UTC):%Y-%m-%d}, `{command}`"
    rows = [
        Measure(
            r.profile,
            r.page_size,
            options.tracks_per_day,
            r.window,
            r.first_requests,
            r.complete_requests,
            options.budget_share,
            measured,
        ).__dict__
        for r in results
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1) + "\n")


def load_measures(path: Path) -> dict[str, Measure]:
    """The last ``bench discovery`` results by profile (none if it never ran)."""
    if not path.exists():
        return {}
    return {row["profile"]: Measure(**row) for row in json.loads(path.read_text())}


class _Session:
    """One profile's emulator, spec, client and the state kept between cycles."""

    def __init__(self, emulator: Emulator, spec: SourceSpec) -> None:
        self.emulator = emulator
        self.spec = spec
        self.state = WorkState()
        self.plan = Plan.initial(spec, "full", frozenset())

    async def cycle(self, client: RestClient, budget: int | None) -> tuple[Discovery, float]:
        """One cycle's discovery; (the discovery, seconds it took)."""
        report = CycleReport("bench", "full", False)
        report.stats = {name: ResourceStats() for name in self.spec.resources}
        committer = Committer(MemoryWriter.pair(), self.state, state_topic="", prefix="")
        ctx = CycleContext(
            self.spec,
            client,
            self.state,
            committer,
            self.plan,
            Pool(self.spec.client.rate_limit.max_concurrency),
            Wire(self.spec.name, "bench", {}),
            report,
            time.time,
            discovery_budget=budget,
        )
        discovery = Discovery(ctx, lambda *_: None)
        started = time.monotonic()
        for root in self.plan.roots:
            discovery.start(root)
        await discovery.run()
        await committer.flush()
        return discovery, time.monotonic() - started

    def advance(self, seconds: float) -> float:
        """Move the paused release clock on; the new time (epoch seconds)."""
        response = httpx.post(
            f"{self.emulator.base}/_admin/clock", json={"advance": seconds}, timeout=30
        )
        response.raise_for_status()
        return float(response.json()["now_epoch"])

    def window(self, now: float) -> dict[str, float]:
        """The albums ``tag:new`` holds at ``now``: id → release time."""
        return self.released(now - 14 * 86_400, now)

    def released(self, since: float, until: float) -> dict[str, float]:
        out: dict[str, float] = {}
        offset = 0
        while True:
            page = self.emulator.admin(
                "truth/albums", since=since, until=until, offset=offset, limit=10_000
            )
            out.update((a["id"], a["released_at"]) for a in page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return out


def _profile(folder: Path, profile: str, options: DiscoveryOptions) -> ProfileResult:
    client_id = (f"{CLIENT[0]}-{profile}", CLIENT[1])
    emulator = start_emulator(
        folder,
        tracks_per_day=options.tracks_per_day,
        rate_limit_per_30s=None,
        search_order="relevance",
        entity_cache=400_000,
        clients=[{"client_id": client_id[0], "client_secret": client_id[1], "profile": profile}],
    )
    try:
        spec = spotify_spec(
            emulator, None, client_id, requests_per_second=10_000.0, max_concurrency=8
        )
        session = _Session(emulator, spec)
        now = float(emulator.admin("clock")["now_epoch"])
        httpx.post(f"{emulator.base}/_admin/clock", json={"paused": True}, timeout=30)
        return asyncio.run(_measure(session, profile, now, options))
    finally:
        emulator.stop()


async def _measure(
    session: _Session, profile: str, now: float, options: DiscoveryOptions
) -> ProfileResult:
    resource = session.spec.resources[ROOT]
    assert isinstance(resource, ListResource)
    async with RestClient.from_config(session.spec.client) as client:
        window = session.window(now)
        first, first_s = await session.cycle(client, None)
        _check_all_found(first, window, "the first pass")
        page_size = session.plan.page_size(resource, ROOT) or 1
        leaves = _leaves(session)
        cost = pass_cost(leaves, resource, page_size)

        floor = math.ceil(len(window) / page_size)
        budget = max(1, int(options.budget_share * floor))
        n_cycles = math.ceil(cost / budget)
        result = ProfileResult(
            profile=profile,
            page_size=page_size,
            window=len(window),
            first_requests=sum(first.requests.values()),
            first_found=len(first.found.get(ROOT, ())),
            first_seconds=first_s,
            complete_requests=cost,
            parts=len(leaves),
            budget=budget,
            n_cycles=n_cycles,
        )
        start = now
        found_in: dict[str, int] = {}
        cycles = n_cycles + options.extra_cycles
        seen: set[str] = set()
        for number in range(1, cycles + 1):
            now = session.advance(HOUR)
            rolling, _ = await session.cycle(client, budget)
            result.rolling.append(rolling.report()[ROOT])
            for album in rolling.found.get(ROOT, ()):
                found_in.setdefault(album, number)
            seen |= rolling.found.get(ROOT, set())
            if number == n_cycles:  # the first pass's albums still in the window: all re-read
                before = set(session.window(now)) & set(window)
                result.rolled_found = len(seen & before)
                result.rolled_window = len(before)
        released = session.released(start, now)
        still_in = session.window(now)
        for album, at in released.items():
            cycle = math.ceil((at - start) / HOUR)  # the first cycle after its release
            if album in found_in:
                result.latencies.append(found_in[album] - cycle)
            elif album in still_in and cycle + n_cycles <= cycles:
                result.missed += 1
    return result


def _leaves(session: _Session) -> list[Cursor]:
    return [
        cursor
        for cursor in (Cursor.load(v) for v in session.state.cursors(ROOT).values())
        if not cursor.split
    ]


def _check_all_found(discovery: Discovery, window: dict[str, float], what: str) -> None:
    found = discovery.found.get(ROOT, set())
    missing = set(window) - found
    if missing:
        raise BenchError(f"{what} missed {len(missing)} of {len(window)} albums of the window")


def lower_bound(tracks_per_day: float) -> float:
    """The fewest results any complete set of positive queries returns, ÷ W, on the
    benchmark's catalog (computed from the emulator's catalog in this process)."""
    settings = {"seed": 3, "clock_start": CLOCK, "tracks_per_day": tracks_per_day}
    catalog = Catalog(EmulatorSettings.model_validate(settings))
    now = catalog.start
    first, last = catalog.first_since(now - 14 * 86_400), catalog.last_released(now)
    twice = 0
    for index in range(first, last + 1):
        name, artists = catalog.search_terms(index)
        names = {w[0] for w in _WORD.findall(name.lower())}
        artist_words = {
            w[0] for a in artists for w in _WORD.findall(catalog.artist_name(a).lower())
        }
        twice += len(names) >= 2 and len(artist_words) >= 2
    total = last - first + 1
    return (total + twice) / total


def run(
    options: DiscoveryOptions, command: str, say: Any = print
) -> tuple[str, list[ProfileResult]]:
    """The report section, and the results (for ``save_measures``)."""
    results: list[ProfileResult] = []
    with tempfile.TemporaryDirectory(prefix="tunestream-bench-") as folder:
        for profile in options.profiles:
            say(f"discovery: {profile} profile …")
            results.append(_profile(Path(folder), profile, options))
    say("discovery: the lower bound …")
    bound = lower_bound(options.tracks_per_day)
    return _report(results, bound, options, command), results


def _report(
    results: list[ProfileResult], bound: float, options: DiscoveryOptions, command: str
) -> str:
    lines = [
        "## Discovery at scale: search `tag:new` past its cap",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {cpu_model()} with `{command}`: the emulator's",
        f"catalog at {options.tracks_per_day:,.0f} tracks a day, search ranked by relevance (a",
        "stable order per query that is not by date), discovery through `search tag:new` split",
        "past its 1,000-result cap (`new_albums`).",
        "",
        "| profile | P | W (albums) | floor ceil(W/P) | first pass | complete pass (kept tree) "
        "| ÷ floor | N rolling cycles | ÷ floor | lower bound ÷ floor | parts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rolled = sum(c.requests for c in r.rolling[: r.n_cycles])
        lines.append(
            f"| {r.profile} | {r.page_size} | {r.window:,} | {r.floor:,} | "
            f"{r.first_requests:,} ({r.first_seconds:.0f} s) | {r.complete_requests:,} | "
            f"{r.complete_requests / r.floor:.2f} | {rolled:,} | {rolled / r.floor:.2f} | "
            f"{bound:.2f} | {r.parts:,} |"
        )
    lines += [
        "",
        f"Rolling, hourly cycles with a budget of {options.budget_share:g} x the floor:",
        "",
        "| profile | budget | N = ceil(pass ÷ budget) | requests a cycle (max) | ÷ floor "
        "| coverage a cycle (min) | re-found in N cycles | albums released "
        "| found within (cycles, max) | missed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        most = max(c.requests for c in r.rolling)
        lines.append(
            f"| {r.profile} | {r.budget:,} | {r.n_cycles} | {most:,} | {most / r.floor:.3f} | "
            f"{min(c.coverage for c in r.rolling):.0%} | "
            f"{r.rolled_found:,} / {r.rolled_window:,} | {len(r.latencies) + r.missed:,} | "
            f"{max(r.latencies, default=0) + 1} | {r.missed} |"
        )
    return "\n".join(lines) + "\n"
