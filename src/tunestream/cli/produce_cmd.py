"""``tunestream produce``: run the configured source spec into Kafka."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from tunestream.cli._context import settings_of
from tunestream.runtime.report import CycleReport
from tunestream.runtime.service import Producer

INTERRUPTED = 3  # --once: the cycle stopped early (rate limited, server failing); state is saved


def produce(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, then exit.")] = False,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan",
            help="Find out what the credentials may use; print the plan and the requests a "
            "cycle is expected to take against the budget; exit.",
        ),
    ] = False,
) -> None:
    """Poll the source every interval and write what it finds to Kafka, exactly once."""
    settings = settings_of(ctx)
    producer = Producer(settings)
    if plan:
        detected, expected = asyncio.run(producer.estimate())
        for line in [*detected.describe(producer.spec), "", *expected.describe()]:
            typer.echo(line)
        return
    if settings.source.metrics_port is not None:
        producer.metrics.serve(settings.source.metrics_port)
    report = asyncio.run(_run(producer, once=once))
    if once and report is not None and not report.completed:
        typer.echo(f"cycle {report.cycle_id} interrupted: {report.interrupted}", err=True)
        raise typer.Exit(INTERRUPTED)


async def _run(producer: Producer, *, once: bool) -> CycleReport | None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, producer.stop)
    if not sys.stderr.isatty():
        return await producer.run(once=once)
    with Live(console=Console(stderr=True), refresh_per_second=2, transient=True) as live:
        task = asyncio.create_task(producer.run(once=once))
        while not task.done():
            report = producer.current
            if report is not None and report.cycle_id:
                live.update(_progress(report))
            await asyncio.wait([task], timeout=0.5)
        return task.result()


def _progress(report: CycleReport) -> Table:
    """The running cycle, a row per resource: what was fetched, written, missing, skipped."""
    table = Table(title=f"cycle {report.cycle_id} ({report.mode})", title_justify="left")
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
    return table
