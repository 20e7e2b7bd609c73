"""``tunestream config show|check``."""

from __future__ import annotations

import typer
import yaml

from tunestream.cli._context import settings_of
from tunestream.config import redacted

app = typer.Typer(help="Inspect and validate the configuration.", no_args_is_help=True)


@app.command()
def show(ctx: typer.Context) -> None:
    """Print the effective configuration (file + environment + defaults), secrets redacted."""
    typer.echo(yaml.safe_dump(redacted(settings_of(ctx)), sort_keys=False), nl=False)


@app.command()
def check(ctx: typer.Context) -> None:
    """Validate the configuration; exit 2 with one line naming the bad key if it is invalid."""
    settings = settings_of(ctx)
    target = (
        f"cluster at {settings.kafka.bootstrap_servers}"
        if not settings.kafka.uses_local_broker
        else f"local broker on {settings.kafka.bootstrap}"
    )
    typer.echo(f"configuration is valid (Kafka: {target})")
