"""Listening sockets for the servers tunestream runs, and one message when a port is not free."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

__all__ = ["LOOPBACK", "ensure_free", "listen"]

LOOPBACK = "127.0.0.1"


def listen(
    port: int,
    *,
    setting: str,
    error: Callable[[str], Exception],
    host: str = LOOPBACK,
    backlog: int = 128,
) -> socket.socket:
    """A socket bound to ``host:port`` and listening. A port that cannot be bound raises
    ``error`` with one line naming the port and ``setting``, the option that moves it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            problem = f"port {port} on {host} is already in use by another process; stop it or"
        else:
            problem = f"cannot listen on {host}:{port} ({exc.strerror});"
        raise error(f"{problem} choose another with {setting}") from None
    sock.listen(backlog)
    return sock


def ensure_free(
    port: int, *, setting: str, error: Callable[[str], Exception], host: str = LOOPBACK
) -> None:
    """Raise ``error`` (see :func:`listen`) unless ``host:port`` can be bound now."""
    listen(port, setting=setting, error=error, host=host, backlog=1).close()
