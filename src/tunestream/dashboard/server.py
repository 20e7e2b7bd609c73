"""Serving the dashboard on 127.0.0.1 until SIGINT or SIGTERM."""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn

from tunestream.config import Settings
from tunestream.dashboard.app import create_app
from tunestream.errors import ComponentError

__all__ = ["serve"]

HOST = "127.0.0.1"


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ComponentError(
            f"dashboard: cannot listen on {HOST}:{port} ({exc.strerror}); "
            "choose another port with dashboard.port"
        ) from None
    sock.listen(128)
    return sock


def serve(settings: Settings, announce: Callable[[str], None]) -> None:
    """Bind, tell ``announce`` the URL, serve until interrupted."""
    app = create_app(settings)
    sock = _bind(settings.dashboard.port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    with sock:
        announce(f"http://{HOST}:{settings.dashboard.port}/")
        uvicorn.Server(config).run(sockets=[sock])
