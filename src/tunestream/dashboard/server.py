"""Serving the dashboard on 127.0.0.1 until SIGINT or SIGTERM."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn

from tunestream.config import Settings
from tunestream.dashboard.app import create_app
from tunestream.errors import ComponentError
from tunestream.net import LOOPBACK, listen

__all__ = ["serve"]


def serve(settings: Settings, announce: Callable[[str], None]) -> None:
    """Bind, tell ``announce`` the URL, serve until interrupted."""
    app = create_app(settings)
    sock = listen(
        settings.dashboard.port,
        setting="dashboard.port",
        error=lambda problem: ComponentError(f"dashboard: {problem}"),
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    with sock:
        announce(f"http://{LOOPBACK}:{settings.dashboard.port}/")
        uvicorn.Server(config).run(sockets=[sock])
