"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import socket

from tunestream.config import LocalBrokerSettings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def local_broker_settings(**overrides: object) -> LocalBrokerSettings:
    """Settings for a throw-away local broker on free ports, sized for a test machine."""
    values: dict[str, object] = {
        "port": free_port(),
        "controller_port": free_port(),
        "heap": "512m",
        "stop_grace_s": 20.0,
    }
    values.update(overrides)
    return LocalBrokerSettings.model_validate(values)
