"""The ``tunestream`` command line: where settings are loaded and errors become one line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tunestream import __version__
from tunestream.cli import (
    config_cmd,
    dashboard_cmd,
    kafka_cmd,
    produce_cmd,
    spark_cmd,
    spec_cmd,
    state_cmd,
    system_cmd,
    topics_cmd,
)
from tunestream.cli._context import Globals
from tunestream.cli.plugins import add_command_groups
from tunestream.errors import TunestreamError
from tunestream.logs import LogFormat
from tunestream.logs import configure as configure_logging

__all__ = ["app", "main"]

app = typer.Typer(
    name="tunestream",
    help="Poll web APIs on a schedule and stream what they return into Apache Kafka, exactly once.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(kafka_cmd.app, name="kafka")
app.add_typer(topics_cmd.app, name="topics")
app.add_typer(spark_cmd.app, name="spark")
app.add_typer(spec_cmd.app, name="spec")
app.add_typer(state_cmd.app, name="state")
app.command("query")(spark_cmd.query)
app.command("produce")(produce_cmd.produce)
app.command("up")(system_cmd.up)
app.command("down")(system_cmd.down)
app.command("status")(system_cmd.status)
app.command("supervise", hidden=True)(system_cmd.supervise)
app.command("dashboard")(dashboard_cmd.dashboard)

_globals = Globals()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tunestream {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="YAML config file (default: $TUNESTREAM_CONFIG, else ./tunestream.yaml).",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks and debug logs.")] = False,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            help="Logs on stderr as text lines or JSON objects.", envvar="TUNESTREAM_LOG_FORMAT"
        ),
    ] = LogFormat.TEXT,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    _globals.config_file = config
    _globals.debug = debug
    ctx.obj = _globals
    configure_logging(debug=debug, json_lines=log_format is LogFormat.JSON)


def main() -> None:
    """Console-script entry point: a TunestreamError is one line on stderr and its exit code.

    The command groups of other distributions (``tunestream bench`` when the benchmarks are
    installed) join ``app`` here, not on import, so that importing one of them first is no cycle.
    """
    add_command_groups(app)
    try:
        app()
    except TunestreamError as exc:
        if _globals.debug:
            raise
        typer.echo(f"tunestream: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("tunestream: interrupted", err=True)
        sys.exit(130)
