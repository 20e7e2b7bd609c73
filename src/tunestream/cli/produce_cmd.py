"""``tunestream produce``: run the configured source spec into Kafka."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from tunestream.cli._context import settings_of
from tunestream.runtime.cycle import CycleReport
from tunestream.runtime.service import Producer

INTERRUPTED = 3  # --once: the cycle stopped early (rate limited, server failing); state is saved


def produce(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, then exit.")] = False,
) -> None:
    """Poll the source every interval and write what it finds to Kafka, exactly once."""
    settings = settings_of(ctx)
    producer = Producer(settings)
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
    return await producer.run(once=once)
