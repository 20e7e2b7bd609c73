"""``tunestream spec check|try|schema``: writing a source spec.

``check`` validates a spec (every problem on a line of its own) and prints its resource graph:
per mode, the roots with their children indented under them, what each resource requests and
writes, and what the mode reads and writes. ``try`` fetches a few records through the producer's
own probe (:func:`tunestream.runtime.probe.sample`) and prints them as JSON lines, touching no
Kafka and reading no configuration (a topic root reads the records ``--input`` gives it).
``schema`` prints the JSON Schema editors check a spec with. None of them needs a configuration
file.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import orjson
import typer

from tunestream.cli.produce_cmd import INTERRUPTED
from tunestream.errors import ConfigError
from tunestream.records import Record
from tunestream.runtime.plan import Plan
from tunestream.runtime.probe import sample
from tunestream.spec.loader import load_spec, spec_problems
from tunestream.spec.models import (
    AnyResource,
    ListResource,
    LookupResource,
    PagesResource,
    SourceSpec,
    SubListResource,
    TopicResource,
)
from tunestream.spec.schema import SCHEMA_PATH, schema_text

app = typer.Typer(
    help="Write a source spec: check it, try it, get its JSON Schema.", no_args_is_help=True
)

Target = Annotated[
    str,
    typer.Argument(
        metavar="FILE|NAME", help="The path of a spec YAML file, or a built-in spec's name."
    ),
]


@app.command()
def check(target: Target) -> None:
    """Validate the spec, then print its resource graph and what each mode reads and writes.

    An invalid spec: each problem on a line of its own on stderr, exit code 2.
    """
    problems = spec_problems(target)
    if problems:
        for problem in problems:
            typer.echo(f"tunestream: error: {problem}", err=True)
        raise typer.Exit(ConfigError.exit_code)
    for line in describe(load_spec(target)):
        typer.echo(line)


@app.command("try")
def try_(
    target: Target,
    resource: Annotated[
        str | None,
        typer.Option(
            "--resource", "-r", help="The resource to show (default: each one that writes)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Records shown per resource, at most.")] = 5,
    mode: Annotated[str | None, typer.Option(help="The mode (default: the spec's first).")] = None,
    var: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME=VALUE",
            help="Override a variable of the spec; a list takes comma-separated values. "
            "Repeatable.",
        ),
    ] = None,
    given: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            metavar="[ROOT=]FILE",
            help="The records a topic root reads: JSON lines, the values its topic would hold "
            "(- is standard input). ROOT= names the root where the mode has several. Repeatable.",
        ),
    ] = None,
) -> None:
    """Fetch a few records and print them as JSON lines: topic, key, headers and value.

    The probe: each root's first page, each other resource's first request. No Kafka, no config:
    a topic root reads what --input gives it.
    """
    spec = _with_variables(target, var or [])
    mode = mode or next(iter(spec.modes))
    if mode not in spec.modes:
        raise ConfigError(f"spec {spec.name} has no mode {mode!r} (modes: {', '.join(spec.modes)})")
    inputs = _inputs(spec, mode, given or [])
    seen: set[str] = set()
    reached = {name for root in spec.modes[mode] for _, name, _ in _walk(spec, root, 0, seen)}
    names = [resource] if resource else [n for n in spec.order() if n in reached and spec.emits(n)]
    for name in names:
        _check_sampled(spec, mode, name, reached)
    result = asyncio.run(sample(spec, mode, names, limit, given=inputs))
    for records in result.records.values():
        for record in records:
            typer.echo(_json_line(record))
    for name in names:
        topic = spec.emits(name)
        shown = len(result.records[topic]) if topic else 0
        fetched = result.report.stats[name].emitted
        typer.echo(f"{name}: {shown} of the {fetched} record(s) the probe wrote", err=True)
    for root in _topic_roots(spec, mode):
        if root not in inputs:
            typer.echo(
                f"{root}: read nothing; give it the records of its topic with --input FILE",
                err=True,
            )
    if result.report.interrupted:
        typer.echo(f"the probe stopped early: {result.report.interrupted}", err=True)
        raise typer.Exit(INTERRUPTED)


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help=f"Write it to this file (the repository keeps it in {SCHEMA_PATH}).",
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of source specs (draft 7), which editors check a spec with."""
    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--output {output}: cannot write it ({exc.strerror})") from exc
    typer.echo(f"wrote {output}")


def describe(spec: SourceSpec) -> list[str]:
    """The spec as ``spec check`` prints it: the client, then per mode its resource tree (a
    resource met before is marked ``(above)``) and what the mode reads and writes."""
    client = spec.client
    lines = [
        f"spec {spec.name}" + (f": {spec.description}" if spec.description else ""),
        f"client: {client.base_url}, auth {client.auth.type}, "
        f"{client.rate_limit.requests_per_second:g} requests/s",
    ]
    read_somewhere: set[str] = set()
    for index, (mode, roots) in enumerate(spec.modes.items()):
        lines += ["", f"mode {mode}" + (" (the default)" if index == 0 else "")]
        seen: set[str] = set()
        for root in roots:
            lines += [_line(spec, *step) for step in _walk(spec, root, 1, seen)]
        reads = [name for name in spec.order() if name in seen]
        for root in roots:
            fallback = _fallback(spec, root)
            if fallback is not None:
                lines.append(f"  if the API forbids {root}, instead:")
                lines += [_line(spec, *step) for step in _walk(spec, fallback, 2, set(seen))]
        writes = Plan.initial(spec, mode, frozenset()).delivers(spec)
        lines.append(f"  reads:  {', '.join(reads)}")
        lines.append(f"  writes: {', '.join(writes) or 'nothing'}")
        read_somewhere |= seen
    unread = [name for name in spec.resources if name not in read_somewhere]
    if unread:
        lines += ["", f"read in no mode: {', '.join(unread)}"]
    return lines


def _walk(
    spec: SourceSpec, name: str, depth: int, seen: set[str]
) -> Iterator[tuple[int, str, bool]]:
    """(depth, resource, first time met) from ``name`` down through its children; a resource
    met before (in ``seen``) is not walked again."""
    first = name not in seen
    seen.add(name)
    yield depth, name, first
    if first:
        for child in spec.children(name):
            yield from _walk(spec, child, depth + 1, seen)


def _line(spec: SourceSpec, depth: int, name: str, first: bool) -> str:
    indent = "  " * depth
    if not first:
        return f"{indent}{name} (above)"
    resource = spec.resources[name]
    topic = spec.emits(name)
    writes = f" → {topic}" if topic else ""
    return f"{indent}{name} [{resource.kind}]: {_request(resource)}{writes}"


def _request(resource: AnyResource) -> str:
    """What a resource requests, in a few words."""
    if isinstance(resource, SubListResource):
        parents = ", ".join(f"{edge.resource}.{edge.select}" for edge in resource.from_)
        return f"GET {resource.request.path} for each {parents}, {resource.paginator.type} pages"
    if isinstance(resource, ListResource):
        paginator = resource.paginator
        each = "".join(f" for each {k} in {v}" for k, v in resource.for_each.items())
        size = f" of {paginator.page_size}" if paginator.page_size else ""
        at = f", records at {resource.records}" if resource.records else ""
        return f"GET {resource.request.path}{each}, {paginator.type} pages{size}{at}"
    if isinstance(resource, LookupResource):
        ways = []
        if resource.batch is not None:
            batch = resource.batch
            ways.append(f"GET {batch.path}?{batch.param}=… (up to {batch.max})")
        if resource.single is not None:
            ways.append(f"GET {resource.single.path}")
        selects = sorted({edge.select for edge in resource.from_} - {"id"})
        ids = f", ids at {', '.join(selects)}" if selects else ""
        return f"{', else '.join(ways)}{ids}"
    if isinstance(resource, PagesResource):
        return f"the pages at {resource.embedded} of each record, then their next URLs"
    return f"the records of Kafka topic {resource.topic} written since the last cycle"


def _fallback(spec: SourceSpec, root: str) -> str | None:
    resource = spec.resources[root]
    return resource.fallback if isinstance(resource, ListResource) else None


def _with_variables(target: str, assignments: list[str]) -> SourceSpec:
    """The spec with ``name=value`` overrides; a list variable takes comma-separated values."""
    spec = load_spec(target)
    if not assignments:
        return spec
    overrides: dict[str, list[str] | str] = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not equals:
            raise typer.BadParameter(f"{assignment!r} is not NAME=VALUE", param_hint="--var")
        listed = isinstance(spec.variables.get(name), list)
        overrides[name] = value.split(",") if listed else value
    return load_spec(target, variables=overrides)


def _topic_roots(spec: SourceSpec, mode: str) -> list[str]:
    return [r for r in spec.modes[mode] if isinstance(spec.resources[r], TopicResource)]


def _inputs(spec: SourceSpec, mode: str, entries: list[str]) -> dict[str, list[bytes]]:
    """``--input [ROOT=]FILE`` read: each named topic root's values, one JSON document a line."""
    roots = _topic_roots(spec, mode)
    inputs: dict[str, list[bytes]] = {}
    for entry in entries:
        root, equals, path = entry.partition("=")
        if not equals or root not in spec.resources:  # a bare FILE (which may hold a "=")
            if len(roots) != 1:
                raise ConfigError(
                    f"--input {entry}: mode {mode} reads "
                    + (
                        f"topic roots {', '.join(roots)}: name one (ROOT=FILE)"
                        if roots
                        else "no topic"
                    )
                )
            root, path = roots[0], entry
        elif root not in roots:
            raise ConfigError(
                f"--input {entry}: {root} is not a topic root of mode {mode} "
                f"(its topic roots: {', '.join(roots) or 'none'})"
            )
        inputs.setdefault(root, []).extend(_json_lines(path))
    return inputs


def _json_lines(path: str) -> list[bytes]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--input {path}: cannot read it ({exc})") from exc
    values = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"--input {path}: line {number} is not JSON ({exc})") from exc
        values.append(line.encode())
    return values


def _check_sampled(spec: SourceSpec, mode: str, name: str, reached: set[str]) -> None:
    if name not in spec.resources:
        raise ConfigError(
            f"spec {spec.name} has no resource {name!r} (resources: {', '.join(spec.resources)})"
        )
    if spec.emits(name) is None:
        raise ConfigError(f"{name} writes no records: it only feeds its children")
    if name not in reached:
        raise ConfigError(f"mode {mode} does not read {name}; try another --mode")


def _json_line(record: Record) -> str:
    line = {
        "topic": record.topic,
        "key": record.key.decode(),
        "headers": {name: value.decode() for name, value in record.headers},
        "value": None if record.value is None else orjson.loads(record.value),
    }
    return orjson.dumps(line).decode()
