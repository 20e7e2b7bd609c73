"""Listening sockets: a taken port is one line naming the setting that moves it."""

from __future__ import annotations

import socket

import pytest

from tunestream.errors import ComponentError
from tunestream.net import ensure_free, listen

pytestmark = pytest.mark.unit


def test_a_free_port_listens_on_the_loopback_only() -> None:
    with listen(0, setting="x.port", error=ComponentError) as sock:
        host, port = sock.getsockname()
        assert host == "127.0.0.1"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        # another address of the loopback network reaches a socket bound to every address
        # (0.0.0.0) but not one bound to 127.0.0.1 alone
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=5).close()


def test_a_taken_port_names_the_port_and_the_setting() -> None:
    with listen(0, setting="x.port", error=ComponentError) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ComponentError) as raised:
            ensure_free(port, setting="dashboard.port", error=ComponentError)
    message = str(raised.value)
    assert message == (
        f"port {port} on 127.0.0.1 is already in use by another process; "
        "stop it or choose another with dashboard.port"
    )
    ensure_free(port, setting="dashboard.port", error=ComponentError)  # free again once closed
