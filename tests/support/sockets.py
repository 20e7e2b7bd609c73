"""The TCP sockets processes listen on, read from ``/proc`` (Linux) with nothing to install.

A process's sockets are the ``socket:[inode]`` links among ``/proc/<pid>/fd``; the listening ones
are the entries of ``/proc/<pid>/net/tcp`` and ``tcp6`` in state ``0A`` (``TCP_LISTEN``, 10) with
that inode. Their local address is hexadecimal, each 32-bit word in the kernel's byte order:
little-endian here (https://docs.kernel.org/networking/proc_net_tcp.html).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Listener", "descendants", "listeners", "table"]

_LISTEN = "0A"


@dataclass(frozen=True, order=True)
class Listener:
    """One listening socket: the process holding it and its local address."""

    pid: int
    command: str
    host: str
    port: int

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _host(hex_address: str) -> str:
    """The address; an IPv4 one a JVM's dual-stack socket holds (``::ffff:127.0.0.1``) as IPv4."""
    raw = bytes.fromhex(hex_address)
    address = ipaddress.ip_address(b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4)))
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return str(mapped or address)


def _listening(pid: int) -> dict[int, tuple[str, int]]:
    """Inode → (host, port) of every LISTEN socket in the network namespace of ``pid``."""
    found = {}
    for table_name in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table_name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] != _LISTEN:
                continue
            address, port = fields[1].split(":")
            found[int(fields[9])] = (_host(address), int(port, 16))
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes: set[int] = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:  # gone, or not ours
        return inodes
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def _command(pid: int) -> str:
    """The program's name (``python3``, ``java``)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def listeners(pids: Iterable[int]) -> list[Listener]:
    """Every TCP socket the processes ``pids`` listen on, sorted."""
    found = set()
    for pid in pids:
        inodes = _socket_inodes(pid)
        for inode, (host, port) in _listening(pid).items():
            if inode in inodes:
                found.add(Listener(pid, _command(pid), host, port))
    return sorted(found)


def descendants(pids: Iterable[int]) -> set[int]:
    """``pids`` and every live process below them (children, their children …)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid for pid in pids if os.path.exists(f"/proc/{pid}")]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def table(found: Mapping[str, Iterable[Listener]]) -> str:
    """The sockets of each named group of processes as aligned lines, for a test's output."""
    rows = [(name, str(s.pid), s.command, s.address) for name, of in found.items() for s in of]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
