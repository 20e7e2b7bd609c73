"""``tunestream up | down | status``: the whole system with one command, supervised.

``up --foreground`` supervises in its own process; ``up`` starts the hidden ``supervise`` command
detached, which starts the system and stays to supervise it.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tunestream.cli._context import Globals, settings_of
from tunestream.errors import ComponentError
from tunestream.system import ComponentStatus, System
from tunestream.system.stack import SUPERVISOR
from tunestream.system.supervisor import Supervisor, launch, stamped

__all__ = ["down", "status", "supervise", "up"]

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
            "--foreground",
            help="Stay in the foreground, supervising; Ctrl-C (or SIGTERM) runs `down`.",
        ),
    ] = False,
) -> None:
    """Start what is not running: Kafka, topics, emulator, producer, Spark job, dashboard; and
    a supervisor that restarts any of them that dies (`status` tells restarts and last exits).

    The producer runs every configured source; the emulator starts only for Spotify sources
    when SPOTIFY_CLIENT_ID / SPOTIFY_CLIENT_SECRET are not set.
    """
    system = _system(ctx)
    supervisor = system.process(SUPERVISOR).running()
    if not foreground:
        if supervisor is not None:  # supervised already: start only what is not running
            system.up(_echo)
        elif not launch(system, _echo):
            raise typer.Exit(1)
        typer.echo(system.dashboard_url)
        return
    if supervisor is not None:
        raise ComponentError(
            f"the system runs, supervised by process {supervisor.pid}: `tunestream down` first"
        )
    signal.signal(signal.SIGTERM, _interrupt)
    system.process(SUPERVISOR).claim()
    try:
        system.up(_echo)
        typer.echo(system.dashboard_url)
        _echo("running; Ctrl-C stops everything")
        Supervisor(system, _echo).run()
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C must not cut the clean stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _echo(f"stopping (each component gets up to {system.settings.system.stop_grace_s:g} s)")
        system.down(_echo)


def supervise(ctx: typer.Context) -> None:
    """What `up` runs detached: start what is not running, then supervise it until SIGTERM
    (`down`), leaving the components running."""
    system = _system(ctx)
    echo = stamped(_echo)  # its output is supervisor.log
    signal.signal(signal.SIGTERM, _interrupt)
    system.process(SUPERVISOR).claim()
    try:
        system.up(echo)
        Supervisor(system, echo).run()
    except KeyboardInterrupt:
        echo("supervisor: stopped")


def down(ctx: typer.Context) -> None:
    """Stop the supervisor, then every component cleanly; what is left after
    system.stop_grace_s is killed."""
    _system(ctx).down(_echo)


def status(ctx: typer.Context) -> None:
    """Each component: running or not, its pid, where it serves, and the supervisor's restarts
    and last exit (exit 3 if one is down); then each source the producer runs, and how its last
    cycle ended."""
    system = _system(ctx)
    states = system.status()
    table = Table("component", "state", "pid", "where", "restarts", "last exit")
    for state in states:
        table.add_row(
            state.name,
            _state(state),
            str(state.pid or "-"),
            state.where or "-",
            str(state.restarts),
            "-"
            if state.last_exit_at is None
            else f"{state.last_exit} at {_when(state.last_exit_at)}",
        )
    sources = Table("source", "last cycle", "last completed")
    for source in system.sources():
        sources.add_row(
            source.name,
            source.last_cycle or "-",
            "-" if source.last_success is None else _when(source.last_success),
        )
    console = Console(width=160)
    console.print(table)
    console.print(sources)
    if not all(state.running for state in states):
        raise typer.Exit(NOT_RUNNING)


def _state(state: ComponentStatus) -> str:
    """Running, stopped, or (while the supervisor runs) restarting or failed."""
    if state.running:
        return "running"
    return state.supervised if state.supervised in ("restarting", "failed") else "stopped"


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))
