"""What the benchmarks share: free ports, servers in their own process, the machine's name."""

from __future__ import annotations

import platform
import socket
import subprocess
import time

from tunestream.errors import TunestreamError

__all__ = ["BenchError", "cpu_model", "free_port", "spawn"]


class BenchError(TunestreamError):
    """A benchmark could not run (a server did not start, requests failed)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def spawn(args: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise BenchError(f"{' '.join(args[:4])} exited: {stderr.decode()[-300:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise BenchError(f"{' '.join(args[:4])} did not listen on port {port} within 30 s")


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):  # noqa: SIM115
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
