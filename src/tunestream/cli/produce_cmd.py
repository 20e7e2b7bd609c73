"""``tunestream produce``: run the configured sources into Kafka, side by side in one process."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from tunestream.cli._context import settings_of
from tunestream.runtime.metrics import Metrics
from tunestream.runtime.plan import Plan
from tunestream.runtime.report import CycleReport
from tunestream.runtime.service import Producer, producers, run_together
from tunestream.sources.enrichment import ENRICHMENTS
from tunestream.system.components import against_emulator

INTERRUPTED = 3  # --once: a cycle stopped early (rate limited, server failing); state is saved


def produce(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="Run this source (its name; repeat for several); default: every configured one.",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run one cycle of each source, then exit.")
    ] = False,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan",
            help="Find out what the credentials may use; print each source's plan and the "
            "requests a cycle is expected to take against the budget; exit.",
        ),
    ] = False,
    emulator: Annotated[
        bool,
        typer.Option(
            "--emulator",
            hidden=True,
            help="Set by `tunestream up` when it started the emulator: the spotify sources "
            "cycle every system.emulator.interval_s.",
        ),
    ] = False,
) -> None:
    """Poll each source every interval and write what it finds to Kafka, exactly once."""
    settings = settings_of(ctx)
    if emulator:
        settings = against_emulator(settings)
    metrics = Metrics()
    running = producers(settings, source or [], metrics)
    if plan:
        asyncio.run(_plans(running))
        return
    if settings.producer.metrics_port is not None:
        metrics.serve(settings.producer.metrics_port)
    reports = asyncio.run(_run(running, once=once))
    interrupted = {n: r for n, r in reports.items() if r is not None and not r.completed}
    for name, report in interrupted.items() if once else ():
        typer.echo(
            f"source {name}: cycle {report.cycle_id} interrupted: {report.interrupted}", err=True
        )
    if once and interrupted:
        raise typer.Exit(INTERRUPTED)


async def _plans(running: Sequence[Producer]) -> None:
    detected: dict[str, Plan] = {}
    for n, producer in enumerate(running):
        plan, expected = await producer.estimate()
        detected[producer.source.name] = plan
        header = f"source {producer.source.name} (spec {producer.source.spec})"
        lines = [header, *plan.describe(producer.spec), "", *expected.describe()]
        for line in ["", *lines] if n else lines:
            typer.echo(line)
    supplied = _suppliers(running, detected)
    for line in ["", "who supplies what", *supplied] if supplied else []:
        typer.echo(line)


def _suppliers(running: Sequence[Producer], plans: Mapping[str, Plan]) -> list[str]:
    """A line per enrichment the running sources bring: the sources that supply it (Spotify's
    first, where it stands in for one of Spotify's resources), and why Spotify's do not."""

    def of_spec(spec: str) -> list[tuple[str, Plan]]:
        return [(p.source.name, plans[p.source.name]) for p in running if p.source.spec == spec]

    lines = []
    for e in ENRICHMENTS:
        ours = [name for name, plan in of_spec(e.spec) if plan.is_open(e.resource)]
        first, closed = [], []
        for name, plan in of_spec("spotify") if e.fills else []:
            if plan.is_open(e.fills or ""):
                first.append(name)
            else:
                closed.append(f"{name}'s {e.fills}: {plan.reasons.get(e.fills or '', 'closed')}")
        if ours or first:
            who = ", ".join(first) + ("; where it has none: " if first and ours else "")
            why = f" ({'; '.join(closed)})" if closed else ""
            lines.append(f"{e.what}: {who}{', '.join(ours)}{why}")
    return lines


async def _run(running: Sequence[Producer], *, once: bool) -> dict[str, CycleReport | None]:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop, running)
    if not sys.stderr.isatty():
        return await run_together(running, once=once)
    with Live(console=Console(stderr=True), refresh_per_second=2, transient=True) as live:
        task = asyncio.create_task(run_together(running, once=once))
        while not task.done():
            live.update(_progress(running))
            await asyncio.wait([task], timeout=0.5)
        return task.result()


def _stop(running: Sequence[Producer]) -> None:
    for producer in running:
        producer.stop()


def _progress(running: Sequence[Producer]) -> Group:
    """Each source's running cycle, a row per resource: fetched, written, missing, skipped."""
    tables = []
    for producer in running:
        report = producer.current
        if report is None or not report.cycle_id:
            continue
        table = Table(
            title=f"{producer.source.name}: cycle {report.cycle_id} ({report.mode})",
            title_justify="left",
        )
        for column in ("resource", "fetched", "written", "missing", "dead letters", "skipped"):
            table.add_column(column, justify="left" if column == "resource" else "right")
        for name, stats in report.stats.items():
            table.add_row(
                name,
                f"{stats.fetched:,}",
                f"{stats.emitted:,}",
                f"{stats.missing:,}",
                f"{stats.dead_letters:,}",
                f"{stats.skipped:,}",
            )
        tables.append(table)
    return Group(*tables)
