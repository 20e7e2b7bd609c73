"""``tunestream state show|reset``: a source's state, readably; rewinding it (replay, backfill).

Both read the state topic as the producer does at start-up. ``reset`` writes its changes through
the source's own transactional ids, as the producer writes state: a producer of the source still
running elsewhere is fenced by it (its next commit fails), and one running on this machine makes
``reset`` refuse (``runtime/lock.py``). A topic root is rewound by moving its consumer group's
position back, committed in the transaction that holds the state's changes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from confluent_kafka import TopicPartition

from tunestream.cli._context import settings_of
from tunestream.config import Settings
from tunestream.errors import ConfigError
from tunestream.kafka.client import client_config
from tunestream.kafka.feed import behind, rewound
from tunestream.records import Record
from tunestream.runtime.lock import source_lock
from tunestream.runtime.rewind import describe, rewind
from tunestream.runtime.service import STATE_TOPIC, check_spec, input_topic
from tunestream.sink.transactional import SinkPair
from tunestream.sources.settings import SourceSettings, named
from tunestream.spec.loader import load_spec
from tunestream.spec.models import SourceSpec, TopicResource
from tunestream.state.store import KafkaStateStore, state_records

app = typer.Typer(help="Show or rewind a source's state.", no_args_is_help=True)


def _sources(
    settings: Settings, names: list[str]
) -> list[tuple[SourceSettings, SourceSpec, KafkaStateStore]]:
    """The named sources (none: all) with their specs and state stores."""
    out = []
    for source in named(settings.sources, names):
        spec = load_spec(source.spec, variables=source.variables)
        _, _, topics = check_spec(spec, source, settings)
        topic = topics[STATE_TOPIC].name
        store = KafkaStateStore(client_config(settings.kafka), topic, f"{source.name}/")
        out.append((source, spec, store))
    return out


@app.command("show")
def show(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None, typer.Argument(help="Sources by name (default: every configured one).")
    ] = None,
) -> None:
    """Print sources' state: their cycle, cursors, ETags, queues and memories, and how far
    behind the topics they read they are."""
    settings = settings_of(ctx)
    for chosen, spec, store in _sources(settings, source or []):
        typer.echo(f"source {chosen.name}")
        for line in describe(store.load()):
            typer.echo(f"  {line}")
        for name, resource in spec.resources.items():
            if isinstance(resource, TopicResource):
                topic = input_topic(settings.kafka, resource)
                left = behind(client_config(settings.kafka), topic, chosen.transactional_id)
                typer.echo(f"  {name}: topic {topic}, {left:,} offsets not read yet")


@app.command("reset")
def reset(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The source to rewind.")],
    resource: Annotated[
        list[str] | None,
        typer.Option("--resource", "-r", help="Rewind only this resource (repeatable)."),
    ] = None,
    cursor: Annotated[
        str | None,
        typer.Option(
            help="Read the incremental resource(s) from this value next (e.g. a time); a topic "
            "root, from its first record written at or after this time (ISO 8601)."
        ),
    ] = None,
    replay: Annotated[
        bool, typer.Option(help="Also forget what was emitted: write everything read again.")
    ] = False,
) -> None:
    """Rewind a source (or some of its resources): its next cycle reads from the start (a topic
    root: its topic's first record still held), or from --cursor; without --replay only what is
    missing from Kafka is written."""
    settings = settings_of(ctx)
    [(configured, spec, store)] = _sources(settings, [source])
    chosen = resource or list(spec.resources)
    unknown = sorted(set(chosen) - set(spec.resources))
    if unknown:
        raise ConfigError(
            f"--resource: {', '.join(unknown)} not in spec {spec.name} "
            f"(resources: {', '.join(spec.resources)})"
        )
    roots = {n: r for n in chosen if isinstance(r := spec.resources[n], TopicResource)}
    inputs = {name: input_topic(settings.kafka, root) for name, root in roots.items()}
    fed = _fed(spec, set(roots))
    chosen = [*chosen, *(n for n in fed if n not in chosen)]
    since_ms = None
    if cursor is not None:
        flat = [
            n
            for n in chosen
            if n not in roots
            and n not in fed
            and getattr(spec.resources[n], "incremental", None) is None
        ]
        if resource and flat:
            raise ConfigError(f"--cursor: {', '.join(flat)} not incremental (no cursor to set)")
        chosen = [n for n in chosen if n not in flat]
        if roots:
            since_ms = _epoch_ms(cursor)
    config = client_config(settings.kafka)
    with source_lock(settings.data_dir, source, doing=f"reset source {source}"):
        loaded = store.load()
        changes = rewind(loaded, resources=chosen, cursor=cursor, replay=replay)
        if not resource:
            changes["cycle"] = None  # the next run starts a cycle of its own
        records: list[Record] = state_records(store.topic, store.prefix, changes)
        positions: list[TopicPartition] = []
        group: object = None
        for topic in inputs.values():
            read_from, group = rewound(config, topic, configured.transactional_id, since_ms)
            positions += read_from
        sinks = SinkPair(config, configured.transactional_id)
        sinks.start([store.topic])
        try:
            sinks.sinks[0].write(records, (positions, group) if positions else None)
        finally:
            sinks.close()
    typer.echo(f"source {source}: {len(records):,} state record(s) rewritten")
    where = "the start" if since_ms is None else f"{cursor} on"
    for name, topic in inputs.items():
        typer.echo(f"  {name}: topic {topic} is read from {where} next")


def _fed(spec: SourceSpec, roots: set[str]) -> list[str]:
    """What topic roots feed, to any depth: rewound with them (--replay forgets what it wrote)."""
    fed: list[str] = []
    for name in spec.order():  # parents first
        if set(spec.parents(name)) & (roots | set(fed)):
            fed.append(name)
    return fed


def _epoch_ms(cursor: str) -> int:
    """An ISO 8601 time (UTC where it names no offset) as milliseconds since the epoch."""
    try:
        at = datetime.fromisoformat(cursor)
    except ValueError as exc:
        raise ConfigError(
            f"--cursor {cursor!r}: a topic root reads from a time: give one in ISO 8601 "
            "(2026-12-01T00:00:00Z)"
        ) from exc
    return int((at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp() * 1000)
