"""The embedded default: one real Apache Kafka broker in KRaft combined mode on 127.0.0.1.

The broker runs from the jars Maven resolved into ``kafka.local.jars_dir`` (``make jars``). Its
files live in ``<data_dir>/kafka``: ``server.properties``, ``log4j2.properties``, ``data/`` (the
log directory, formatted on first start), ``broker.log`` (the broker's log), ``broker.out`` (the
JVM's own output) and ``broker.pid``.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tunestream.config import LocalBrokerSettings
from tunestream.errors import BrokerError, ClusterUnreachable, JarsMissingError, PortInUseError
from tunestream.kafka.client import wait_for_cluster
from tunestream.net import ensure_free

__all__ = ["BrokerStatus", "LocalBroker"]

_MAIN_CLASS = "kafka.Kafka"
_STORAGE_TOOL = "kafka.tools.StorageTool"
_MAX_MESSAGE_BYTES = 17 * 1024 * 1024  # above the largest topic-level max.message.bytes we set


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    home: Path


class LocalBroker:
    """Start, stop and inspect the local broker; every method is safe to call again."""

    def __init__(
        self,
        settings: LocalBrokerSettings,
        data_dir: Path,
        *,
        extra_properties: Mapping[str, str] | None = None,
        scram_credentials: Sequence[str] = (),
    ) -> None:
        """``extra_properties`` replace or add ``server.properties`` entries (another listener,
        say); ``scram_credentials`` are ``kafka-storage format --add-scram`` arguments, e.g.
        ``SCRAM-SHA-512=[name=alice,password=…]``, stored when the storage is formatted."""
        self.settings = settings
        self.extra_properties = dict(extra_properties or {})
        self.scram_credentials = tuple(scram_credentials)
        self.home = data_dir.resolve() / "kafka"
        self.log_dir = self.home / "data"
        self.properties_file = self.home / "server.properties"
        self.log4j_file = self.home / "log4j2.properties"
        self.pid_file = self.home / "broker.pid"
        self.log_file = self.home / "broker.log"
        self.out_file = self.home / "broker.out"
        self.ports_file = self.home / "ports.json"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.settings.port}"

    # -- public operations -------------------------------------------------------------------

    def status(self) -> BrokerStatus:
        pid = self._running_pid()
        return BrokerStatus(pid is not None, pid, self.bootstrap, self.home)

    def start(self) -> bool:
        """Start the broker and wait until it answers; False if it was already running."""
        if self._running_pid() is not None:
            self._await_ready()
            return False
        classpath = self._classpath()
        for port, setting in (
            (self.settings.port, "kafka.local.port"),
            (self.settings.controller_port, "kafka.local.controller_port"),
        ):
            ensure_free(port, setting=setting, error=PortInUseError)
        self.home.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if not (self.log_dir / "meta.properties").exists():
            self._format(classpath)
        with self.out_file.open("ab") as out:
            self._process = subprocess.Popen(
                [
                    "java",
                    "-Xms256m",
                    f"-Xmx{self.settings.heap}",
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={self.log4j_file}",
                    "-cp",
                    classpath,
                    _MAIN_CLASS,
                    str(self.properties_file),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: a Ctrl-C of ours is not its
            )
        self.pid_file.write_text(str(self._process.pid))
        try:
            self._await_ready()
        except BrokerError:
            self.stop()
            raise
        return True

    def stop(self) -> bool:
        """SIGTERM, then SIGKILL after the grace period; False if it was not running."""
        pid = self._running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        _signal_group(pid, signal.SIGTERM)
        if not self._wait_exit(pid, self.settings.stop_grace_s):
            _signal_group(pid, signal.SIGKILL)
            if not self._wait_exit(pid, 10.0):
                raise BrokerError(f"broker process {pid} did not exit after SIGKILL")
        self.pid_file.unlink(missing_ok=True)
        self._process = None
        return True

    def log_tail(self, lines: int) -> list[str]:
        """The last lines of the broker's log (or the JVM's output when there is no log yet)."""
        source = self.log_file if self.log_file.exists() else self.out_file
        if not source.exists():
            return []
        with source.open(encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for line in deque(fh, maxlen=lines)]

    # -- steps -------------------------------------------------------------------------------

    def _classpath(self) -> str:
        jars = self.settings.jars_dir
        if not any(jars.glob("kafka_2.13-*.jar")):
            raise JarsMissingError(
                f"Kafka broker jars not found in {jars}; run `make jars` "
                "(mvn -f jvm/kafka/pom.xml dependency:copy-dependencies) first"
            )
        return f"{jars}/*"

    def _write_config(self) -> None:
        port, cport = self.settings.port, self.settings.controller_port
        if self.ports_file.exists() and (self.log_dir / "meta.properties").exists():
            formatted = json.loads(self.ports_file.read_text())["controller_port"]
            if formatted != cport:
                raise BrokerError(
                    f"the broker storage in {self.log_dir} was formatted for controller port "
                    f"{formatted}; set kafka.local.controller_port back to {formatted} "
                    "or remove that directory to start afresh"
                )
        properties = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{cport}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.log_dir),
            "num.partitions": "1",
            # topics are made by `tunestream topics create` with their settings, never by a
            # client's first request with the broker's defaults
            "auto.create.topics.enable": "false",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "message.max.bytes": str(_MAX_MESSAGE_BYTES),
            "replica.fetch.max.bytes": str(_MAX_MESSAGE_BYTES),
            "num.network.threads": "2",
            "num.io.threads": "4",
            **self.extra_properties,
        }
        self.properties_file.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
        self.log4j_file.write_text(_LOG4J_TEMPLATE.format(log_file=self.log_file))

    def _format(self, classpath: str) -> None:
        cluster_id = _random_cluster_id()
        command = [
            "java",
            "-Xmx256m",
            f"-Dlog4j2.configurationFile={self.log4j_file}",
            "-cp",
            classpath,
            _STORAGE_TOOL,
            "format",
            "--standalone",
            "-t",
            cluster_id,
            "-c",
            str(self.properties_file),
            *(arg for credential in self.scram_credentials for arg in ("--add-scram", credential)),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BrokerError(f"formatting the broker storage failed: {exc}") from exc
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
            raise BrokerError(f"formatting the broker storage failed: {lines[-1]}")
        self.ports_file.write_text(json.dumps({"controller_port": self.settings.controller_port}))

    def _await_ready(self) -> None:
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": "0"})
        deadline = time.monotonic() + self.settings.start_timeout_s
        while True:
            pid = self._running_pid()
            if pid is None:
                tail = " | ".join(self._failure_lines())
                raise BrokerError(f"the broker exited during start-up: {tail}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrokerError(
                    f"the broker did not answer on {self.bootstrap} within "
                    f"{self.settings.start_timeout_s:g} s; see {self.log_file}"
                )
            try:
                if wait_for_cluster(admin, self.bootstrap, min(2.0, remaining)) > 0:
                    return
            except ClusterUnreachable:
                pass
            time.sleep(0.2)

    def _failure_lines(self) -> list[str]:
        for source in (self.out_file, self.log_file):
            if source.exists():
                with source.open(encoding="utf-8", errors="replace") as fh:
                    lines = [line.strip() for line in deque(fh, maxlen=200) if line.strip()]
                errors = [line for line in lines if "ERROR" in line or "Exception" in line]
                if errors:
                    return errors[-2:]
        return [f"see {self.log_file}"]

    # -- process bookkeeping -----------------------------------------------------------------

    def _running_pid(self) -> int | None:
        """The pid of our broker if it is alive (a stale or foreign pid file counts as none)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not _alive(pid):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        if _MAIN_CLASS.encode() in cmdline and str(self.properties_file).encode() in cmdline:
            return pid
        return None

    def _wait_exit(self, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                return True
            time.sleep(0.1)
        return not _alive(pid)


def _alive(pid: int) -> bool:
    """True while the process runs; reaps it when it is our child, treats zombies as dead."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        raise BrokerError(f"not allowed to signal broker process {pid}: {exc}") from exc


def _random_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting '-'."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


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
