"""``tunestream bench …``: benchmarks that write their section of docs/BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tunestream.bench.report import DEFAULT_REPORT, write_section

__all__ = ["app"]

app = typer.Typer(
    help="Run benchmarks and record them in docs/BENCHMARKS.md.", no_args_is_help=True
)


@app.command()
def emulator(
    duration: Annotated[float, typer.Option(help="Measured seconds per scenario.")] = 5.0,
    warmup: Annotated[float, typer.Option(help="Warm-up seconds per scenario.")] = 1.0,
    connections: Annotated[int, typer.Option(help="Concurrent keep-alive connections.")] = 32,
    min_rps: Annotated[
        float, typer.Option(help="Target for small requests; below it exits 1.")
    ] = 1000.0,
    output: Annotated[
        Path, typer.Option(help="Report to update.", dir_okay=False)
    ] = DEFAULT_REPORT,
    write: Annotated[
        bool, typer.Option(help="Write the report section (else only print it).")
    ] = True,
) -> None:
    """Requests per second of the Spotify emulator, against a hello-world baseline."""
    from tunestream.bench.emulator import BenchOptions, report, run

    options = BenchOptions(
        duration_s=duration, warmup_s=warmup, connections=connections, min_rps=min_rps
    )
    command = (
        f"tunestream bench emulator --duration {duration:g} --warmup {warmup:g} "
        f"--connections {connections}"
    )
    body, ok = report(run(options), options, command)
    typer.echo(body)
    if write:
        write_section(output, "emulator", body)
        typer.echo(f"written to {output}", err=True)
    if not ok:
        raise typer.Exit(1)
