"""``tunestream up | down | status``: the whole system with one command."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tunestream.cli._context import Globals, settings_of
from tunestream.system import System

__all__ = ["down", "status", "up"]

NOT_RUNNING = 3  # as `kafka status`: some component is not running


def _system(ctx: typer.Context) -> System:
    globals_ = ctx.find_object(Globals)
    assert globals_ is not None, "the root callback always sets Globals"
    return System(settings_of(ctx), globals_.config_file)


def _echo(line: str) -> None:
    typer.echo(line, err=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def up(
    ctx: typer.Context,
    foreground: Annotated[
        bool,
        typer.Option(
            "--foreground", help="Stay in the foreground; Ctrl-C (or SIGTERM) runs `down`."
        ),
    ] = False,
) -> None:
    """Start what is not running: Kafka, topics, emulator, producer, Spark job, dashboard.

    The producer runs every configured source; the emulator starts only for Spotify sources
    when SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET are not set.
    """
    system = _system(ctx)
    if not foreground:
        system.up(_echo)
        typer.echo(system.dashboard_url)
        return
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        system.up(_echo)
        typer.echo(system.dashboard_url)
        _echo("running; Ctrl-C stops everything")
        _watch(system)
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C must not cut the clean stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _echo(f"stopping (each component gets up to {system.settings.system.stop_grace_s:g} s)")
        system.down(_echo)


def _watch(system: System) -> None:
    """Until interrupted: say once when a component stops on its own."""
    reported: set[str] = set()
    while True:
        time.sleep(2.0)
        for state in system.status():
            if not state.running and state.name not in reported:
                reported.add(state.name)
                _echo(f"{state.name} is not running any more; see {system.home}")


def down(ctx: typer.Context) -> None:
    """Stop every component cleanly; what is left after system.stop_grace_s is killed."""
    _system(ctx).down(_echo)


def status(ctx: typer.Context) -> None:
    """Each component: running or not, its pid and where it serves (exit 3 if one is down);
    then each source the producer runs, and how its last cycle ended."""
    system = _system(ctx)
    states = system.status()
    table = Table("component", "state", "pid", "where")
    for state in states:
        table.add_row(
            state.name,
            "running" if state.running else "stopped",
            str(state.pid or "-"),
            state.where or "-",
        )
    sources = Table("source", "last cycle", "last completed")
    for source in system.sources():
        sources.add_row(
            source.name,
            source.last_cycle or "-",
            "-"
            if source.last_success is None
            else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(source.last_success)),
        )
    console = Console(width=160)
    console.print(table)
    console.print(sources)
    if not all(state.running for state in states):
        raise typer.Exit(NOT_RUNNING)
