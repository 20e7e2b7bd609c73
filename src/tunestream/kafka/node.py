"""One node of the local Kafka cluster: a KRaft server (broker and controller in one JVM) on
127.0.0.1, and the files it keeps in its folder.

``server.properties`` and ``log4j2.properties`` (written by the cluster before each start),
``data/`` (the log directory), ``broker.log`` (the broker's log), ``broker.out`` (the JVM's own
output), ``broker.pid`` and ``ports.json`` (the controller port and cluster size its storage was
formatted for). The node runs in a process group of its own, so that a Ctrl-C of ours is not its
and a signal to the group reaches the JVM.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections import deque
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tunestream.errors import BrokerError, PortInUseError
from tunestream.net import LOOPBACK, ensure_free
from tunestream.pids import alive, reap, spawn

__all__ = ["MAIN_CLASS", "BrokerNode"]

MAIN_CLASS = "kafka.Kafka"


class BrokerNode:
    """Start, stop, kill and inspect one node; every method is safe to call again."""

    def __init__(
        self, node_id: int, home: Path, port: int, controller_port: int, heap: str
    ) -> None:
        self.node_id = node_id
        self.home = home
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.log_dir = home / "data"
        self.properties_file = home / "server.properties"
        self.log4j_file = home / "log4j2.properties"
        self.pid_file = home / "broker.pid"
        self.log_file = home / "broker.log"
        self.out_file = home / "broker.out"
        self.ports_file = home / "ports.json"
        self._launched: int | None = None
        """The pid of the JVM this object started."""

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def formatted(self) -> bool:
        return (self.log_dir / "meta.properties").exists()

    def write_config(self, properties: dict[str, str]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.properties_file.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        self.log4j_file.write_text(_LOG4J_TEMPLATE.format(log_file=self.log_file))

    def check_ports(self, *, setting: str, wait_s: float = 0.0) -> None:
        """That both ports are free: a port still taken after ``wait_s`` is a PortInUseError
        naming ``setting``."""
        deadline = time.monotonic() + wait_s
        for port in (self.port, self.controller_port):
            while True:
                try:
                    ensure_free(port, setting=setting, error=PortInUseError)
                    break
                except PortInUseError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)

    def launch(self, classpath: str) -> None:
        """Start the JVM, not waiting for it to serve (its ports checked first)."""
        with self.out_file.open("ab") as out:
            self._launched = spawn(
                [
                    "java",
                    "-Xms256m",
                    f"-Xmx{self.heap}",
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={self.log4j_file}",
                    "-cp",
                    classpath,
                    MAIN_CLASS,
                    str(self.properties_file),
                ],
                os.environ,
                out,
            )
        self.pid_file.write_text(str(self._launched))

    def await_ready(self, deadline: float, timeout_s: float) -> None:
        """Wait until the node listens for clients and the cluster's metadata lists it (it has
        registered with the quorum and caught up); BrokerError if it exits or ``deadline``
        (``time.monotonic()``) passes first."""
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": "0"})
        while True:
            if self._exited():
                tail = " | ".join(self._failure_lines())
                raise BrokerError(f"broker node {self.node_id} exited during start-up: {tail}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrokerError(
                    f"broker node {self.node_id} did not answer on {self.bootstrap} within "
                    f"{timeout_s:g} s; see {self.log_file}"
                )
            if self._listening() and self._listed(admin, min(2.0, remaining)):
                return
            time.sleep(0.2)

    def stop(self, grace_s: float) -> bool:
        """SIGTERM, then SIGKILL after ``grace_s``; False if it was not running."""
        pid = self.running_pid()
        if pid is None:
            self._forget()
            return False
        _signal_group(pid, signal.SIGTERM)
        if not _wait_exit(pid, grace_s):
            _signal_group(pid, signal.SIGKILL)
            if not _wait_exit(pid, 10.0):
                raise BrokerError(f"broker process {pid} did not exit after SIGKILL")
        self._forget()
        return True

    def kill(self) -> bool:
        """SIGKILL at once, as a crash does: no shutdown, no flush; False if it was not running."""
        pid = self.running_pid()
        if pid is None:
            return False
        _signal_group(pid, signal.SIGKILL)
        if not _wait_exit(pid, 10.0):
            raise BrokerError(f"broker process {pid} did not exit after SIGKILL")
        self._forget()
        return True

    def running_pid(self) -> int | None:
        """The pid of this node if it is alive (a stale or foreign pid file counts as none)."""
        pid = self._recorded_pid()
        if pid is None or not alive(pid):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        if MAIN_CLASS.encode() in cmdline and str(self.properties_file).encode() in cmdline:
            return pid
        return None

    def log_tail(self, lines: int) -> list[str]:
        """The last lines of the node's log (or the JVM's output when there is no log yet)."""
        source = self.log_file if self.log_file.exists() else self.out_file
        if not source.exists():
            return []
        with source.open(encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for line in deque(fh, maxlen=lines)]

    # -- steps -------------------------------------------------------------------------------

    def _recorded_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _forget(self) -> None:
        """Once the node has ended: reap it if it is our child (how it ended was for whoever
        supervises it to read first) and remove its pid file."""
        pid = self._recorded_pid()
        if pid is not None:
            reap(pid)
        self.pid_file.unlink(missing_ok=True)

    def _exited(self) -> bool:
        if self._launched is not None:  # ours: its exit, not the pid file, tells
            return not alive(self._launched)
        return self.running_pid() is None

    def _listening(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def _listed(self, admin: AdminClient, timeout_s: float) -> bool:
        try:
            metadata = admin.list_topics(timeout=timeout_s)
        except KafkaException:
            return False
        return self.node_id in metadata.brokers

    def _failure_lines(self) -> list[str]:
        for source in (self.out_file, self.log_file):
            if source.exists():
                with source.open(encoding="utf-8", errors="replace") as fh:
                    lines = [line.strip() for line in deque(fh, maxlen=200) if line.strip()]
                errors = [line for line in lines if "ERROR" in line or "Exception" in line]
                if errors:
                    return errors[-2:]
        return [f"see {self.log_file}"]


def _wait_exit(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        raise BrokerError(f"not allowed to signal broker process {pid}: {exc}") from exc


_LOG4J_TEMPLATE = """\
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log_file}
appender.file.filePattern = {log_file}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 10MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 5
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = WARN
"""
