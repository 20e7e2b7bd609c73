"""Command groups from other distributions, found through the entry points of ``GROUP``.

Each entry point names a ``typer.Typer`` app, added under the entry point's name (the benchmarks
register ``bench = "tunestream_benchmarks.cli:app"``), so the pipeline imports none of them. A
group that does not load is one warning line on stderr, and every other command still works. A
group's commands read the settings the global options select with :func:`settings_of`.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points

import typer

from tunestream.cli._context import settings_of

__all__ = ["GROUP", "add_command_groups", "settings_of"]

GROUP = "tunestream.commands"


def add_command_groups(app: typer.Typer, found: Iterable[EntryPoint] | None = None) -> None:
    """Add to ``app`` each group registered under ``GROUP`` (or each of ``found``)."""
    taken = {group.name for group in app.registered_groups}
    taken |= {command.name for command in app.registered_commands}
    for entry in entry_points(group=GROUP) if found is None else found:
        try:
            if entry.name in taken:
                raise ValueError("a command of that name exists")
            group = entry.load()
            if not isinstance(group, typer.Typer):
                raise TypeError(f"{type(group).__name__} is not a typer.Typer")
        except Exception as exc:  # a broken plugin must not take the other commands down
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())
            typer.echo(
                f"tunestream: warning: command group {entry.name!r} ({entry.value}) "
                f"not loaded: {reason}",
                err=True,
            )
            continue
        app.add_typer(group, name=entry.name)
        taken.add(entry.name)
