"""``tunestream topics create|list|describe|delete``: the topics of the configuration.

Those ``kafka.topics`` names, and the records topics of every source (its spec's ``emit`` keys
that ``kafka.topics`` does not name go to ``<spec name>.<key>``): to know these, the sources'
specs are loaded, with the environment (as ``produce`` loads them). A topic named by its
``kafka.topics`` key needs no spec.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tunestream.cli._context import settings_of
from tunestream.config import Settings, TopicSettings
from tunestream.errors import TopicConflict
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import Outcome, TopicAdmin
from tunestream.runtime.service import configured_topics

app = typer.Typer(help="Manage the topics of the configuration.", no_args_is_help=True)

Names = Annotated[
    list[str] | None,
    typer.Argument(help="Topics by config key (e.g. albums) or name; default: all configured."),
]


def _admin(settings: Settings) -> TopicAdmin:
    return TopicAdmin(admin_client(settings.kafka))


def _select(settings: Settings, names: list[str] | None) -> list[TopicSettings]:
    keyed = settings.kafka.topics
    if names and all(name in keyed for name in names):
        return [keyed[name] for name in names]
    configured = configured_topics(settings)
    if not names:
        return configured
    by_name = {t.name: t for t in configured}
    chosen = []
    for name in names:
        topic = keyed.get(name) or by_name.get(name)
        if topic is None:
            known = ", ".join(sorted(by_name))
            raise typer.BadParameter(f"{name!r} is not a configured topic (configured: {known})")
        chosen.append(topic)
    return chosen


@app.command()
def create(ctx: typer.Context, names: Names = None) -> None:
    """Create the configured topics; existing ones are left alone, conflicting ones reported."""
    settings = settings_of(ctx)
    outcomes = _admin(settings).create(_select(settings, names))
    for item in outcomes:
        note = f" ({'; '.join(item.differences)})" if item.differences else ""
        typer.echo(f"{item.topic.name}: {item.outcome.value}{note}")
    conflicts = [o for o in outcomes if o.outcome is Outcome.CONFLICT]
    if conflicts:
        detail = "; ".join(f"{o.topic.name} {', '.join(o.differences)}" for o in conflicts)
        raise TopicConflict(
            f"{len(conflicts)} topic(s) exist with other settings than configured: {detail}"
        )


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List the cluster's topics, marking those the configuration names."""
    settings = settings_of(ctx)
    configured = {t.name: key for key, t in settings.kafka.topics.items()}
    for name in _admin(settings).names():
        key = configured.get(name)
        typer.echo(f"{name}\t(config: {key})" if key else name)


@app.command()
def describe(ctx: typer.Context, names: Names = None) -> None:
    """Show partitions, replication and the topic-level settings of configured topics."""
    settings = settings_of(ctx)
    topics = _select(settings, names)
    states = _admin(settings).describe(t.name for t in topics)
    table = Table("topic", "partitions", "replication", "settings")
    for topic in topics:
        state = states[topic.name]
        if state is None:
            table.add_row(topic.name, "-", "-", "(does not exist)")
            continue
        overrides = ", ".join(f"{k}={v}" for k, v in sorted(state.overrides.items()))
        table.add_row(
            state.name, str(state.partitions), str(state.replication_factor), overrides or "-"
        )
    Console(width=200).print(table)


@app.command()
def delete(
    ctx: typer.Context,
    names: Names = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete configured topics and all their records."""
    settings = settings_of(ctx)
    topics = [t.name for t in _select(settings, names)]
    if not yes:
        typer.confirm(f"Delete {', '.join(topics)} and all their records?", abort=True)
    deleted = _admin(settings).delete(topics)
    typer.echo(f"deleted: {', '.join(deleted)}" if deleted else "nothing to delete")
