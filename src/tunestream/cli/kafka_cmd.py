"""``tunestream kafka start|stop|status|logs``: the embedded local broker, or cluster of
``kafka.local.brokers`` nodes."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from tunestream.cli._context import settings_of
from tunestream.config import Settings
from tunestream.errors import BrokerError, ClusterUnreachable
from tunestream.kafka.broker import BrokerStatus, LocalBroker
from tunestream.kafka.client import admin_client, wait_for_cluster

app = typer.Typer(help="Run the local Kafka broker (the embedded default).", no_args_is_help=True)

NOT_RUNNING = 3  # the LSB status code for "not running"


def _local_broker(settings: Settings) -> LocalBroker:
    if not settings.kafka.uses_local_broker:
        raise BrokerError(
            f"kafka.bootstrap_servers is set ({settings.kafka.bootstrap_servers}): that cluster "
            "is yours to run; unset it to use the local broker"
        )
    return LocalBroker(settings.kafka.local, settings.data_dir)


@app.command()
def start(ctx: typer.Context) -> None:
    """Start the local broker's nodes (formatting their storage on first start) and wait until
    every one answers."""
    broker = _local_broker(settings_of(ctx))
    started = broker.start()
    verb = "started" if started else "already running"
    typer.echo(f"Kafka broker {verb} ({_pids(broker.status())}, data in {broker.home})")
    typer.echo(f"bootstrap servers: {broker.bootstrap}")


def _pids(state: BrokerStatus) -> str:
    if len(state.pids) == 1:
        return f"pid {state.pid}"
    return "pids " + ", ".join("-" if pid is None else str(pid) for pid in state.pids)


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the local broker's nodes: SIGTERM, then SIGKILL after kafka.local.stop_grace_s."""
    broker = _local_broker(settings_of(ctx))
    typer.echo("Kafka broker stopped" if broker.stop() else "Kafka broker was not running")


@app.command()
def status(ctx: typer.Context) -> None:
    """Say whether the broker (every node of it) runs (exit 0) or not (exit 3)."""
    settings = settings_of(ctx)
    if settings.kafka.uses_local_broker:
        state = LocalBroker(settings.kafka.local, settings.data_dir).status()
        if not state.running:
            some = f"{_pids(state)}; " if state.pid is not None else ""
            typer.echo(f"local Kafka broker: not running ({some}data in {state.home})")
            raise typer.Exit(NOT_RUNNING)
        typer.echo(f"local Kafka broker: running ({_pids(state)}) on {state.bootstrap}")
        return
    try:
        brokers = wait_for_cluster(admin_client(settings.kafka), settings.kafka.bootstrap, 10.0)
    except ClusterUnreachable as exc:
        typer.echo(f"Kafka cluster: unreachable ({exc})")
        raise typer.Exit(NOT_RUNNING) from None
    typer.echo(f"Kafka cluster at {settings.kafka.bootstrap}: {brokers} broker(s) answering")


@app.command()
def logs(
    ctx: typer.Context,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, help="How many lines.")] = 50,
    node: Annotated[int, typer.Option("--node", min=1, help="Which node's log.")] = 1,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
) -> None:
    """Print the end of the local broker's log (of one node)."""
    broker = _local_broker(settings_of(ctx))
    for line in broker.log_tail(lines, node):
        typer.echo(line)
    if not follow:
        return
    with broker.node(node).log_file.open(encoding="utf-8", errors="replace") as fh:
        fh.seek(0, 2)
        while True:
            line = fh.readline()
            if line:
                typer.echo(line, nl=False)
            else:
                time.sleep(0.5)
