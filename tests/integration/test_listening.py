"""Listening sockets as the kernel lists them (:mod:`tests.support.sockets`), which the system's
exposure test relies on: a port of :func:`tunestream.net.listen` is on 127.0.0.1; every interface,
IPv6 and a JVM's IPv4-mapped address are each told for what they are. A taken metrics port is one
line, like every other port tunestream listens on."""

from __future__ import annotations

import os
import socket

import pytest

from tests.support.sockets import descendants, listeners
from tunestream.errors import ComponentError
from tunestream.net import listen
from tunestream.runtime.metrics import Metrics

pytestmark = pytest.mark.integration


def ours(*ports: int) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in listeners(descendants([os.getpid()])) if s.port in ports]


def test_a_tunestream_port_is_on_the_loopback_in_the_kernels_table() -> None:
    with listen(0, setting="x.port", error=ComponentError) as sock:
        port = sock.getsockname()[1]
        assert ours(port) == [("127.0.0.1", port)]
    assert ours(port) == []


def test_a_taken_metrics_port_is_one_line_naming_its_setting() -> None:
    with listen(0, setting="x.port", error=ComponentError) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ComponentError) as raised:
            Metrics().serve(port)
    assert str(raised.value) == (
        f"port {port} on 127.0.0.1 is already in use by another process; "
        "stop it or choose another with producer.metrics_port"
    )


def test_every_interface_ipv6_and_a_mapped_ipv4_address_are_told_apart() -> None:
    mapped = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    mapped.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    mapped.bind(("::ffff:127.0.0.1", 0))
    mapped.listen()
    with (
        mapped,
        socket.create_server(("0.0.0.0", 0)) as anywhere,
        socket.create_server(("::1", 0), family=socket.AF_INET6) as ipv6,
    ):
        ports = [s.getsockname()[1] for s in (mapped, anywhere, ipv6)]
        assert sorted(ours(*ports)) == sorted(
            [("127.0.0.1", ports[0]), ("0.0.0.0", ports[1]), ("::1", ports[2])]
        )
