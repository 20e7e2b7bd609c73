"""``tunestream bench spark-catchup``: the Spark job's catch-up rate as a curve of its backlog.

A batch of the job has a large fixed cost (the queries' starts; a stage-2 batch is a fixed number
of Spark jobs, an aggregate and a MERGE per table, whatever its size), so a rate measured on a
small batch says little of how fast the job catches up with a day's backlog. For each backlog:

1. Fresh topics get it in transactions: :func:`.spark.synthetic_records` in a day's mix (six
   tracks an album, two artists an album, audio features for every track) without analyses, or
   with an analysis for every track (a few distinct documents reused: see there).
2. A no-op read of those topics (Spark reading them into the ``noop`` sink): what reading them
   costs any query.
3. The whole job once into fresh tables, as ``tunestream spark run --once`` runs it: stage 1
   reads the backlog into ``records`` in one batch, then stage 2 merges it into the tables in one
   batch; timed by the clock from the queries' start (the tables are created first, untimed).

Baseline, in the same run and the same session: the job on a backlog of one album with analyses
(21 records: every query start and every Spark job of a batch, next to no records), before the
curves and after them. One Spark session for the whole run, after an unmeasured job and no-op
read; ``spark run --once`` also starts its JVM, once a run.

Headroom at a day's backlog: a day at N new tracks is N x the mix's records a track; the job
takes it in the seconds read off the curve (linear between the two measured backlogs around it),
so it catches up at that batch's rate, and the headroom is that rate ÷ the day's average arrival
rate (= a day's seconds ÷ the seconds one day's backlog takes).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

from pyspark.sql import SparkSession

from tunestream.config import Settings
from tunestream.spark.session import build_session
from tunestream_benchmarks.capacity import CAPACITY_DAYS
from tunestream_benchmarks.plots import lines, table
from tunestream_benchmarks.spark import (
    bench_topics,
    job_settings,
    noop_read,
    produce,
    run_once,
    synthetic_records,
)

__all__ = [
    "CatchupOptions",
    "CatchupResult",
    "Headroom",
    "Point",
    "day_records",
    "headroom",
    "plot",
    "records_per_album",
    "report",
    "run",
]

TRACKS_PER_ALBUM = 6
ARTISTS_PER_ALBUM = 2
"""A day's mix: the capacity sample has 0.15 albums and 0.31 artists a new track."""
DISTINCT_ANALYSES = 64
DAY_S = 86_400


def records_per_album(analyses: bool) -> int:
    """An album, its tracks with their features (and analyses), its artists."""
    return 1 + TRACKS_PER_ALBUM * (3 if analyses else 2) + ARTISTS_PER_ALBUM


def day_records(tracks_per_day: int, analyses: bool) -> float:
    """Records of a day of ``tracks_per_day`` new tracks in the mix."""
    return tracks_per_day * records_per_album(analyses) / TRACKS_PER_ALBUM


@dataclass(frozen=True)
class CatchupOptions:
    backlogs: tuple[int, ...] = (10_000, 30_000, 100_000, 300_000, 1_000_000)
    """Backlog sizes (records) without analyses."""
    analysis_backlogs: tuple[int, ...] = (10_000, 30_000, 100_000)
    """Backlog sizes (records) with an analysis for every track."""
    days: tuple[int, ...] = CAPACITY_DAYS
    """New tracks a day to compute the headroom for."""


@dataclass(frozen=True)
class Point:
    """One backlog: its records and value bytes, the no-op read's and the job's seconds."""

    analyses: bool
    records: int
    megabytes: float
    noop_s: float
    stage1_s: float
    job_s: float
    load_average: float
    """The machine's 1-minute load average when the job ended (other work on the same CPUs)."""

    @property
    def records_per_s(self) -> float:
        return self.records / self.job_s


@dataclass(frozen=True)
class CatchupResult:
    points: list[Point]
    baseline: tuple[Point, Point]
    """The job on one album, before the curves and after them."""
    master: str
    load_average: float
    """The machine's 1-minute load average when the run began (other work on the same CPUs)."""

    @property
    def baseline_s(self) -> float:
        return sum(p.job_s for p in self.baseline) / len(self.baseline)

    def curve(self, analyses: bool) -> list[Point]:
        return sorted((p for p in self.points if p.analyses == analyses), key=lambda p: p.records)


def run(settings: Settings, options: CatchupOptions, say: Callable[[str], None]) -> CatchupResult:
    """Measure the baseline and each backlog against ``settings.kafka``."""
    load_average = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="tunestream-spark-catchup-"))
    spark = build_session(job_settings(settings, settings.kafka, work))
    try:

        def measure(records: int, analyses: bool) -> Point:
            return _measure(spark, settings, work, records, analyses, say)

        measure(1, True)  # unmeasured: warms the JVM's code, the consumers and the writers
        before = measure(1, True)
        points = [measure(n, False) for n in options.backlogs]
        points += [measure(n, True) for n in options.analysis_backlogs]
        after = measure(1, True)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)
    return CatchupResult(points, (before, after), settings.spark.master, round(load_average, 1))


def _measure(
    spark: SparkSession,
    settings: Settings,
    work: Path,
    records: int,
    analyses: bool,
    say: Callable[[str], None],
) -> Point:
    """A backlog of about ``records`` in fresh topics: a no-op read of it, then the job."""
    prefix = f"catchup{time.time_ns()}"
    albums = max(1, round(records / records_per_album(analyses)))
    messages = synthetic_records(
        albums,
        TRACKS_PER_ALBUM,
        prefix=prefix,
        artists_per_album=ARTISTS_PER_ALBUM,
        analyses=analyses,
        distinct_analyses=DISTINCT_ANALYSES,
    )
    folder = work / prefix
    try:
        with bench_topics(settings, prefix) as kafka:
            started = time.perf_counter()
            count, size = produce(kafka, messages)
            written_s = time.perf_counter() - started
            noop = noop_read(spark, kafka, folder / "noop")
            job = run_once(spark, job_settings(settings, kafka, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    say(
        f"{count:,} records ({size / 1e6:,.1f} MB, analyses {'in' if analyses else 'out'}): "
        f"written in {written_s:.1f} s, no-op read {noop.wall_s:.1f} s, job {job.job_s:.1f} s "
        f"(stage 1 {job.stage1_s:.1f} s), load average {os.getloadavg()[0]:.1f}"
    )
    load_average = os.getloadavg()[0]
    return Point(
        analyses, count, size / 1e6, noop.wall_s, job.stage1_s, job.job_s, round(load_average, 1)
    )


# -- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headroom:
    """A day's backlog and the job's rate at a batch that size, read off one curve."""

    tracks_per_day: int
    analyses: bool
    records: float
    rate: float | None
    """Records/s at the day's batch; None when the curve does not tell."""
    seconds: float | None
    """Seconds the day's backlog takes, between two measured backlogs; None past the curve,
    where ``rate`` is the largest backlog's: a lower bound while the rate rises with the
    backlog."""
    measured: tuple[int, int]
    """The smallest and the largest backlog measured (records)."""

    @property
    def needed(self) -> float:
        """The day's average arrival rate, records/s."""
        return self.records / DAY_S

    @property
    def ratio(self) -> float | None:
        return None if self.rate is None else self.rate / self.needed


def headroom(curve: Sequence[Point], tracks_per_day: int, analyses: bool) -> Headroom:
    """The headroom at one day's backlog of ``tracks_per_day``, from a measured curve (its
    backlogs in increasing order)."""
    records = day_records(tracks_per_day, analyses)
    largest = curve[-1]
    span = (curve[0].records, largest.records)
    for low, high in pairwise(curve):
        if low.records <= records <= high.records:
            share = (records - low.records) / (high.records - low.records)
            seconds = low.job_s + share * (high.job_s - low.job_s)
            return Headroom(tracks_per_day, analyses, records, records / seconds, seconds, span)
    rising = all(a.records_per_s < b.records_per_s for a, b in pairwise(curve))
    rate = largest.records_per_s if records > largest.records and rising else None
    return Headroom(tracks_per_day, analyses, records, rate, None, span)


def plot(result: CatchupResult, folder: Path) -> Path:
    """Records/s against the backlog, with analyses and without."""
    series: dict[str, tuple[Sequence[float], Sequence[float]]] = {
        label: (
            [round(p.records / 1000, 1) for p in result.curve(analyses)],
            [p.records_per_s for p in result.curve(analyses)],
        )
        for label, analyses in (("without analyses", False), ("with analyses", True))
        if result.curve(analyses)
    }
    return lines(
        folder / "spark-catchup.png",
        "Spark job: catch-up rate by backlog (both stages, one batch each)",
        ("backlog, thousands of records", "records/s"),
        series,
        log_x=True,
    )


def _headroom_row(h: Headroom) -> list[str]:
    first = [f"{h.tracks_per_day:,}", "with" if h.analyses else "without", f"{h.records:,.0f}"]
    first.append(f"{h.needed:,.2f}")
    if h.rate is None or h.ratio is None:
        smallest, largest = h.measured
        why = (
            f"below the curve (from {smallest:,})"
            if h.records < smallest
            else f"past the curve (to {largest:,}), whose rate did not rise throughout"
        )
        return [*first, "not measured", why, ""]
    if h.seconds is not None:
        return [*first, f"{h.rate:,.0f}", f"{h.seconds:,.0f} s, from the curve", f"{h.ratio:,.1f}x"]
    how = f"past the curve: the rate at {h.measured[1]:,} records"
    return [*first, f"≥ {h.rate:,.0f}", how, f"≥ {h.ratio:,.1f}x"]


def report(result: CatchupResult, options: CatchupOptions, image: str, command: str) -> str:
    """The markdown section of docs/BENCHMARKS.md."""
    base = result.baseline_s
    before, after = result.baseline
    rows = [
        [
            "one album, with analyses (baseline: before / after)",
            f"{before.records}",
            f"{before.megabytes:,.1f}",
            f"{before.job_s:.1f} / {after.job_s:.1f}",
            f"{before.stage1_s:.1f} / {after.stage1_s:.1f}",
            "1.00",
            f"{before.records_per_s:,.1f}",
            f"{before.noop_s / before.job_s:.2f}",
            f"{before.load_average:g} / {after.load_average:g}",
        ]
    ]
    for analyses in (False, True):
        rows += [
            [
                "with analyses" if analyses else "without analyses",
                f"{p.records:,}",
                f"{p.megabytes:,.1f}",
                f"{p.job_s:.1f}",
                f"{p.stage1_s:.1f}",
                f"{p.job_s / base:.2f}",
                f"{p.records_per_s:,.0f}",
                f"{p.noop_s / p.job_s:.2f}",
                f"{p.load_average:g}",
            ]
            for p in result.curve(analyses)
        ]
    header = ["backlog", "records", "MB", "job s", "stage 1 s", "÷ baseline s", "records/s"]
    points = table([*header, "job ÷ no-op read", "load average"], rows)
    headrooms = table(
        [
            "tracks a day",
            "analyses",
            "a day's backlog, records",
            "needed, records/s",
            "job at that batch, records/s",
            "how",
            "headroom",
        ],
        [
            _headroom_row(headroom(result.curve(analyses), tracks, analyses))
            for analyses in (False, True)
            if result.curve(analyses)
            for tracks in options.days
        ],
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""## Spark job: catch-up rate by backlog

Command: `{command}`

Run {now} on {os.cpu_count()} CPUs (load average {result.load_average:g} when it began: other
work shared them), Spark master `{result.master}`, one session for the whole run. Each backlog is
written to fresh topics in a day's mix ({TRACKS_PER_ALBUM} tracks an album, {ARTISTS_PER_ALBUM}
artists an album, audio features for every track, and with analyses an analysis of every track:
`bench spark`'s synthetic records), then read by Spark into a no-op sink, then taken by the whole
job once as `tunestream spark run --once` takes it (`availableNow`: stage 1 reads it into
`records` in one batch, then stage 2 merges it into the entity and derived tables in one batch),
into fresh tables, timed by the clock from the queries' start. "job ÷ no-op read" is the job's
records/s ÷ the no-op read's; the load average is the machine's (1 minute) when the job ended.
The baseline is the job on one album: its fixed cost of a batch (the query starts, and the Spark
jobs of a batch whatever its size), measured before the curves and after them; "÷ baseline s"
divides by their mean ({base:.1f} s). The JVM's start, which `spark run --once` adds once a run,
is in none of these seconds.

{points}

Headroom at a day's backlog: a day of N new tracks is N x {day_records(1, False):g} records
without analyses and N x {day_records(1, True):g} with them; needed is the day's average (÷ 86,400
s). The job's rate at a batch of a day's backlog is read off the curve: its seconds linearly
between the two measured backlogs around it; past the largest backlog measured, that backlog's
rate, a lower bound when the rate rose with every larger backlog. Headroom = that rate ÷ needed
(= 86,400 s ÷ the seconds a day's backlog takes).

{headrooms}

{image}
"""
