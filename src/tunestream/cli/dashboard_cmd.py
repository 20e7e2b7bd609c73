"""``tunestream dashboard``: the read-only web dashboard, in the foreground."""

from __future__ import annotations

import typer

from tunestream.cli._context import settings_of
from tunestream.extras import DASHBOARD

__all__ = ["dashboard"]


def dashboard(ctx: typer.Context) -> None:
    """Serve the dashboard on 127.0.0.1:<dashboard.port> until Ctrl-C."""
    DASHBOARD.check("tunestream dashboard")
    from tunestream.dashboard import serve

    def announce(url: str) -> None:
        typer.echo(f"dashboard on {url}; Ctrl-C stops it", err=True)

    serve(settings_of(ctx), announce)
