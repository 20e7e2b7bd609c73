"""``tunestream bench all``: every benchmark in one run, and docs/BENCHMARKS.md rewritten.

One Kafka broker is started for the run (free ports, a temporary folder), so no benchmark meets
another's topics or a broker someone else is using. The benchmarks run one after another, each
writing its section as soon as it is done; plots go to ``benchmarks/`` beside the report. The
report's layout (the overview, then a section per benchmark in a fixed order) is rewritten first,
keeping every section's current content until its benchmark replaces it.
"""

from __future__ import annotations

import os
import platform
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tunestream.config import KafkaSettings, LocalBrokerSettings, Settings
from tunestream.kafka.broker import LocalBroker
from tunestream_benchmarks import capacity, partitions
from tunestream_benchmarks.capacity import CAPACITY_DAYS
from tunestream_benchmarks.common import BenchError, cpu_model, free_port
from tunestream_benchmarks.discovery import load_measures
from tunestream_benchmarks.plots import bars, markdown_image, table
from tunestream_benchmarks.report import DEFAULT_REPORT, write_section
from tunestream_benchmarks.sample import Sample, take_sample

__all__ = ["PIECES", "AllOptions", "command", "layout", "run"]

PIECES = (
    "emulator",
    "ingest",
    "discovery",
    "conditional",
    "enrichment",
    "spark",
    "spark-catchup",
    "partitions",
    "capacity",
)
_SECTION = re.compile(r"<!-- bench:([a-z0-9_-]+) -->\n(.*?)\n<!-- /bench:\1 -->", re.DOTALL)
_SMOKE = " (a smoke run: short phases, rough numbers)"
_HEADER = """# Benchmarks

`tunestream bench all` writes this file: the overview, then each benchmark's section (between
its `bench:NAME` markers) with the command that made it; `tunestream bench NAME` refreshes one
section alone. Plots are in [benchmarks/](benchmarks/).
"""


@dataclass(frozen=True)
class AllOptions:
    quick: bool = False
    """A smoke run: minutes, not a quarter of an hour; the numbers are rough."""
    only: tuple[str, ...] = PIECES
    output: Path = DEFAULT_REPORT

    @property
    def figures(self) -> Path:
        return self.output.parent / "benchmarks"


def command(options: AllOptions) -> str:
    words = ["tunestream bench all"]
    if options.quick:
        words.append("--quick")
    if options.only != PIECES:
        words.append(f"--only {','.join(options.only)}")
    if options.output != DEFAULT_REPORT:
        words.append(f"--output {options.output}")
    return " ".join(words)


def layout(path: Path) -> None:
    """Rewrite the report in the fixed order, keeping every section's content."""
    text = path.read_text() if path.exists() else ""
    sections = dict(_SECTION.findall(text))
    order = ["overview", *PIECES] + [name for name in sections if name not in PIECES]
    parts = [_HEADER]
    for name in dict.fromkeys(order):
        body = sections.get(name, f"## {name}\n\nNot run yet: `tunestream bench all`.")
        parts.append(f"<!-- bench:{name} -->\n{body.strip()}\n<!-- /bench:{name} -->\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))


@dataclass
class _Run:
    settings: Settings
    log_dir: Path
    options: AllOptions
    say: Callable[[str], None]
    seconds: dict[str, float] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    sample: Sample | None = None
    producer: partitions.PartitionResult | None = None
    ratios: dict[str, float] = field(default_factory=dict)

    def image(self, path: Path, alt: str) -> str:
        return markdown_image(path, self.options.output, alt)

    def write(self, name: str, body: str, command: str) -> None:
        self.commands[name] = command
        self.outcomes[name] = "written"
        write_section(self.options.output, name, body)
        self.say(f"{name}: written to {self.options.output}")


def run(settings: Settings, options: AllOptions, say: Callable[[str], None]) -> None:
    """Run the chosen benchmarks in order; each writes its section (and plots) when done. One
    that fails keeps its old section and says so in the overview; the others still run, and
    BenchError is raised at the end."""
    layout(options.output)
    started = datetime.now(UTC)
    with _broker(settings) as (bench_settings, log_dir):
        state = _Run(bench_settings, log_dir, options, say)
        steps: dict[str, Callable[[_Run], None]] = {
            "emulator": _emulator,
            "ingest": _ingest,
            "discovery": _discovery,
            "conditional": _conditional,
            "enrichment": _enrichment,
            "spark": _spark,
            "spark-catchup": _catchup,
            "partitions": _partitions,
            "capacity": _capacity,
        }
        failed: list[str] = []
        for name in PIECES:
            if name not in options.only:
                continue
            say(f"{name}: running")
            begun = time.monotonic()
            try:
                steps[name](state)
            except Exception as exc:  # its section stays as it was; the others still run
                failed.append(name)
                state.outcomes[name] = f"failed: {exc}"
                say(f"{name}: failed: {exc}")
            state.seconds[name] = time.monotonic() - begun
    write_section(options.output, "overview", _overview(state, started))
    if failed:
        raise BenchError(f"benchmarks failed: {', '.join(failed)}")


@contextmanager
def _broker(settings: Settings) -> Iterator[tuple[Settings, Path]]:
    """A broker for this run; the settings pointing every benchmark at it, and its log folder."""
    with tempfile.TemporaryDirectory(prefix="tunestream-bench-all-") as tmp:
        local = LocalBrokerSettings(
            port=free_port(),
            controller_port=free_port(),
            jars_dir=settings.kafka.local.jars_dir,
        )
        broker = LocalBroker(local, Path(tmp))
        broker.start()
        try:
            values = settings.kafka.model_dump(exclude={"bootstrap_servers", "local"})
            kafka = KafkaSettings.model_validate({**values, "bootstrap_servers": broker.bootstrap})
            yield settings.model_copy(update={"kafka": kafka}), broker.log_dir
        finally:
            broker.stop()


def _overview(state: _Run, started: datetime) -> str:
    options = state.options
    rows = [
        [
            name,
            f"`{state.commands.get(name, command(options))}`",
            f"{seconds:,.0f}",
            state.outcomes[name],
        ]
        for name, seconds in state.seconds.items()
    ]
    return f"""## Overview

Command: `{command(options)}`{_SMOKE if options.quick else ""}

Run {started:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs ({cpu_model()}), Python
{platform.python_version()}, against one local Kafka broker started for the run. The machine's two
cores were shared with other work while this ran, so absolute numbers move from run to run: each
section compares its numbers with a baseline measured in the same run, and those ratios are what
to read.

{table(["benchmark", "command", "seconds", "section"], rows)}
"""


# -- the benchmarks ------------------------------------------------------------------------------


def _emulator(state: _Run) -> None:
    from tunestream_benchmarks.emulator import BenchOptions, report
    from tunestream_benchmarks.emulator import run as run_emulator

    options = BenchOptions(duration_s=1, warmup_s=0.5) if state.options.quick else BenchOptions()
    command = (
        f"tunestream bench emulator --duration {options.duration_s:g} "
        f"--warmup {options.warmup_s:g} --connections {options.connections}"
    )
    results = run_emulator(options)
    body, _ = report(results, options, command)
    baseline = [r.rps for r in results if r.name.startswith("baseline")]
    plot = bars(
        state.options.figures / "emulator.png",
        "Requests a second ÷ the hello-world baseline",
        ("", "÷ baseline"),
        [r.name.rsplit(" /", 1)[-1].removeprefix("v1/").split("?")[0] for r in results],
        {"req/s ÷ baseline": [r.rps / (sum(baseline) / len(baseline)) for r in results]},
    )
    state.write("emulator", f"{body}\n{state.image(plot, 'emulator throughput')}\n", command)


def _ingest(state: _Run) -> None:
    from tunestream_benchmarks.ingest import IngestOptions
    from tunestream_benchmarks.ingest import run as run_ingest

    options = (
        IngestOptions(budget_seconds=15, memory_tracks=5_000)
        if state.options.quick
        else IngestOptions()
    )
    command = (
        f"tunestream bench ingest --budget-seconds {options.budget_seconds:g} "
        f"--memory-tracks {options.memory_tracks}"
    )
    state.write("ingest", run_ingest(state.settings, options, command), command)


def _discovery(state: _Run) -> None:
    from tunestream_benchmarks.discovery import DiscoveryOptions, save_measures
    from tunestream_benchmarks.discovery import run as run_discovery

    options = DiscoveryOptions(tracks_per_day=10_000 if state.options.quick else 100_000)
    command = f"tunestream bench discovery --tracks-per-day {options.tracks_per_day:g}"
    body, results = run_discovery(options, command, say=state.say)
    save_measures(state.options.figures / "discovery.json", results, options, command)
    state.write("discovery", body, command)


def _conditional(state: _Run) -> None:
    from tunestream_benchmarks.conditional import ConditionalOptions
    from tunestream_benchmarks.conditional import run as run_conditional

    options = (
        ConditionalOptions(repositories=2, history_days=10, edits=3)
        if state.options.quick
        else ConditionalOptions()
    )
    body = run_conditional(state.settings, options, state.say)
    state.write("conditional", body, options.command)


def _enrichment(state: _Run) -> None:
    from tunestream_benchmarks.enrichment import EnrichmentOptions
    from tunestream_benchmarks.enrichment import run as run_enrichment
    from tunestream_benchmarks.enrichment_report import report

    options = (
        EnrichmentOptions(tracks=150, baseline_tracks=20)
        if state.options.quick
        else EnrichmentOptions()
    )
    result = run_enrichment(state.settings, options, state.say)
    state.write("enrichment", report(result, options), options.command)


def _spark(state: _Run) -> None:
    from tunestream_benchmarks.spark import report, run_bench

    albums, tracks, live, rounds = (20, 2, 10.0, 1) if state.options.quick else (200, 5, 30.0, 5)
    command = (
        f"tunestream bench spark --albums {albums} --tracks {tracks} --live-seconds {live:g} "
        f"--rounds {rounds}"
    )
    result = run_bench(
        state.settings, albums=albums, tracks_per_album=tracks, live_seconds=live, rounds=rounds
    )
    plot = bars(
        state.options.figures / "spark.png",
        "Spark: the job against a no-op read of the same topics",
        ("", "records/s"),
        ["no-op read", "stage 1", "stage 2", "whole job"],
        {
            "records/s": [
                result.noop_records_per_s,
                result.records_records_per_s,
                result.tables_records_per_s,
                result.job_records_per_s,
            ]
        },
    )
    body = report(result, command)
    state.write("spark", f"{body}\n{state.image(plot, 'Spark throughput')}\n", command)


def _catchup(state: _Run) -> None:
    from tunestream_benchmarks import catchup

    options = (
        catchup.CatchupOptions(backlogs=(1_000, 10_000), analysis_backlogs=(1_000,))
        if state.options.quick
        else catchup.CatchupOptions()
    )
    command = (
        "tunestream bench spark-catchup --backlogs "
        f"{','.join(map(str, options.backlogs))} "
        f"--analysis-backlogs '{','.join(map(str, options.analysis_backlogs))}'"
    )
    result = catchup.run(state.settings, options, state.say)
    image = state.image(catchup.plot(result, state.options.figures), "Spark catch-up rate")
    state.write("spark-catchup", catchup.report(result, options, image, command), command)


def _sample(state: _Run) -> Sample:
    if state.sample is None:
        state.say("sample: a day of releases from the emulator")
        state.sample = take_sample(150 if state.options.quick else 400)
    return state.sample


def _partitions(state: _Run) -> None:
    sample = _sample(state)
    # the steady rate: the daily average of 1,000,000 new tracks a day
    rate = sum(sample.per_track().values()) * max(CAPACITY_DAYS) / 86_400
    options = (
        partitions.PartitionOptions(partitions=(1, 4), rounds=2, rate=rate, live_s=8, warmup_s=2)
        if state.options.quick
        else partitions.PartitionOptions(rate=rate)
    )
    results = partitions.run(state.settings, state.log_dir, sample.records, options)
    configured = state.settings.kafka.topics["tracks"].partitions
    base = partitions.baseline(results, configured)
    state.producer = base
    state.ratios = {
        topic: base.raw_bytes[topic] / base.disk_bytes[topic] for topic in base.raw_bytes
    }
    images = [
        state.image(path, path.stem) for path in partitions.plots(results, state.options.figures)
    ]
    command_text = command(state.options)
    body = partitions.report(results, options, configured, images, command_text)
    state.write("partitions", body, command_text)


def _capacity(state: _Run) -> None:
    sample = _sample(state)
    if not state.ratios:
        raise BenchError("capacity needs the zstd ratios that partitions measures: run both")
    topics = state.settings.kafka.topics
    discovery = load_measures(state.options.figures / "discovery.json")
    measured = capacity.Measured(
        state.producer.records_per_s if state.producer else None,
        state.producer.megabytes_per_s if state.producer else None,
        discovery,
    )
    images = [
        state.image(path, path.stem)
        for path in capacity.plots(
            sample, CAPACITY_DAYS, topics, state.ratios, state.options.figures, discovery
        )
    ]
    command_text = command(state.options)
    body = capacity.report(
        sample, CAPACITY_DAYS, topics, state.ratios, measured, images, command_text
    )
    state.write("capacity", body, command_text)
