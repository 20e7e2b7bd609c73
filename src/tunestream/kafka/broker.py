"""The embedded default: a real Apache Kafka cluster on 127.0.0.1, of one node or of three or
more, each node a KRaft server in combined mode (broker and controller in one JVM).

The nodes run from the jars Maven resolved into ``kafka.local.jars_dir`` (``make jars``). One node
keeps its files in ``<data_dir>/kafka`` (the layout of every earlier version); a cluster of
``kafka.local.brokers`` nodes keeps node ``i``'s in ``<data_dir>/kafka/node-<i>`` (see
:mod:`tunestream.kafka.node`). Every node is a voter of the metadata quorum, formatted on first
start: one alone (``--standalone``), several with the same ``--initial-controllers`` list, the
KIP-853 way of bootstrapping a dynamic quorum of several controllers
(https://kafka.apache.org/41/operations/kraft, "Bootstrap with Multiple Controllers"). On three
nodes or more every topic, the internal offsets and transaction topics too, keeps three copies
and ``min.insync.replicas`` 2: a committed write survives the loss of any one broker.
"""

from __future__ import annotations

import base64
import json
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tunestream.config import LocalBrokerSettings
from tunestream.errors import BrokerError, JarsMissingError
from tunestream.kafka.node import BrokerNode
from tunestream.net import LOOPBACK

__all__ = ["BrokerStatus", "LocalBroker"]

_STORAGE_TOOL = "kafka.tools.StorageTool"
_MAX_MESSAGE_BYTES = 17 * 1024 * 1024  # above the largest topic-level max.message.bytes we set
_PORTS_SETTING = "kafka.local.port / kafka.local.controller_port"
_PORT_WAIT_S = 30.0


@dataclass(frozen=True)
class BrokerStatus:
    pids: tuple[int | None, ...]
    """Each node's pid, node 1 first; None where it is not running."""
    bootstrap: str
    home: Path

    @property
    def running(self) -> bool:
        """Every node runs."""
        return all(pid is not None for pid in self.pids)

    @property
    def pid(self) -> int | None:
        """The first running node's pid."""
        return next((pid for pid in self.pids if pid is not None), None)


class LocalBroker:
    """Start, stop and inspect the local cluster, or one node of it; every method is safe to
    call again."""

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
        single = settings.brokers == 1
        self.nodes = tuple(
            BrokerNode(
                node_id,
                self.home if single else self.home / f"node-{node_id}",
                port,
                controller_port,
                settings.heap,
            )
            for node_id, (port, controller_port) in enumerate(settings.node_ports(), start=1)
        )

    @property
    def bootstrap(self) -> str:
        return self.settings.bootstrap

    @property
    def log_dir(self) -> Path:
        """Node 1's log directory."""
        return self.nodes[0].log_dir

    def node(self, node_id: int) -> BrokerNode:
        """Node ``node_id`` (1 to ``kafka.local.brokers``)."""
        if not 1 <= node_id <= len(self.nodes):
            raise BrokerError(f"no broker node {node_id}: the cluster has {len(self.nodes)}")
        return self.nodes[node_id - 1]

    # -- public operations -------------------------------------------------------------------

    def status(self) -> BrokerStatus:
        pids = tuple(node.running_pid() for node in self.nodes)
        return BrokerStatus(pids, self.bootstrap, self.home)

    def start(self) -> bool:
        """Start the nodes that are not running and wait until every node answers; False if all
        of them were running already."""
        stopped = [node for node in self.nodes if node.running_pid() is None]
        if stopped:
            classpath = self._classpath()
            for node in stopped:
                node.check_ports(setting=_PORTS_SETTING)
            self._check_storage()
            for node in stopped:
                node.write_config(self.node_properties(node))
            self._format(classpath)
            for node in stopped:
                node.launch(classpath)
        try:
            self._await_ready(self.nodes)
        except BrokerError:
            if stopped:
                self.stop()
            raise
        return bool(stopped)

    def start_node(self, node_id: int) -> bool:
        """Start one node of a formatted cluster (one stopped or killed) and wait until it
        answers; False if it was running."""
        node = self.node(node_id)
        if node.running_pid() is not None:
            return False
        if not node.formatted:
            raise BrokerError(f"broker node {node_id} has no storage yet: start the cluster")
        classpath = self._classpath()
        # a node just killed may hold its ports a moment longer (the sockets it had open)
        node.check_ports(setting=_PORTS_SETTING, wait_s=_PORT_WAIT_S)
        node.write_config(self.node_properties(node))
        node.launch(classpath)
        self._await_ready([node])
        return True

    def stop(self) -> bool:
        """Every node at once: SIGTERM, then SIGKILL after the grace period (one by one, the last
        ones would wait for a quorum gone with the first); False if none was running."""
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            stopped = list(pool.map(lambda n: n.stop(self.settings.stop_grace_s), self.nodes))
        return any(stopped)

    def log_tail(self, lines: int, node_id: int = 1) -> list[str]:
        """The last lines of a node's log (or of its JVM's output when there is no log yet)."""
        return self.node(node_id).log_tail(lines)

    def node_properties(self, node: BrokerNode) -> dict[str, str]:
        """The ``server.properties`` of one node."""
        local = self.settings
        copies, in_sync = str(local.replication_factor), str(local.min_insync_replicas)
        listeners = (
            f"PLAINTEXT://{LOOPBACK}:{node.port},CONTROLLER://{LOOPBACK}:{node.controller_port}"
        )
        return {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.bootstrap.servers": ",".join(
                f"{LOOPBACK}:{n.controller_port}" for n in self.nodes
            ),
            "listeners": listeners,
            "advertised.listeners": listeners,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(node.log_dir),
            "num.partitions": "1",
            # topics are made by `tunestream topics create` with their settings, never by a
            # client's first request with the broker's defaults
            "auto.create.topics.enable": "false",
            "default.replication.factor": copies,
            "min.insync.replicas": in_sync,
            "offsets.topic.replication.factor": copies,
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": copies,
            "transaction.state.log.min.isr": in_sync,
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": copies,
            "share.coordinator.state.topic.min.isr": in_sync,
            "group.initial.rebalance.delay.ms": "0",
            "message.max.bytes": str(_MAX_MESSAGE_BYTES),
            "replica.fetch.max.bytes": str(_MAX_MESSAGE_BYTES),
            "num.network.threads": "2",
            "num.io.threads": "4",
            **self.extra_properties,
        }

    # -- steps -------------------------------------------------------------------------------

    def _classpath(self) -> str:
        jars = self.settings.jars_dir
        if not any(jars.glob("kafka_2.13-*.jar")):
            raise JarsMissingError(
                f"Kafka broker jars not found in {jars}; run `make jars` "
                "(mvn -f jvm/kafka/pom.xml dependency:copy-dependencies) first"
            )
        return f"{jars}/*"

    def _check_storage(self) -> None:
        """The storage there is was formatted for these nodes: the same controller ports, the
        same number of brokers."""
        brokers = len(self.nodes)
        other = self.home / "node-1" if brokers == 1 else self.home
        if (other / "data" / "meta.properties").exists():
            was = _recorded(other).get("brokers", 1)
            raise BrokerError(
                f"the broker storage in {self.home} was formatted for {was} broker(s); set "
                f"kafka.local.brokers back to {was} or remove that directory to start afresh"
            )
        for node in self.nodes:
            if not node.formatted:
                continue
            recorded = _recorded(node.home)
            formatted = recorded.get("controller_port", node.controller_port)
            if formatted != node.controller_port:
                raise BrokerError(
                    f"the broker storage in {node.log_dir} was formatted for controller port "
                    f"{formatted}; set kafka.local.controller_port back to "
                    f"{formatted - 2 * (node.node_id - 1)} or remove that directory to start "
                    "afresh"
                )
            if recorded.get("brokers", 1) != brokers:
                raise BrokerError(
                    f"the broker storage in {self.home} was formatted for "
                    f"{recorded.get('brokers', 1)} broker(s); set kafka.local.brokers back to "
                    f"{recorded.get('brokers', 1)} or remove that directory to start afresh"
                )

    def _format(self, classpath: str) -> None:
        """Format every node's storage on first start, the same cluster id and voters in all."""
        blank = [node for node in self.nodes if not node.formatted]
        if not blank:
            return
        if len(blank) < len(self.nodes):
            names = ", ".join(str(node.node_id) for node in blank)
            raise BrokerError(
                f"broker node(s) {names} lost their storage while the others kept theirs; "
                f"remove {self.home} to start afresh"
            )
        if len(self.nodes) == 1:
            quorum = ["--standalone"]
        else:
            voters = ",".join(
                f"{node.node_id}@{LOOPBACK}:{node.controller_port}:{_random_id()}"
                for node in self.nodes
            )
            quorum = ["--initial-controllers", voters]
        scram = [arg for user in self.scram_credentials for arg in ("--add-scram", user)]
        cluster_id = _random_id()
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            list(
                pool.map(
                    lambda n: _format_node(n, classpath, cluster_id, [*quorum, *scram]), self.nodes
                )
            )
        for node in self.nodes:
            node.ports_file.write_text(
                json.dumps({"controller_port": node.controller_port, "brokers": len(self.nodes)})
            )

    def _await_ready(self, nodes: tuple[BrokerNode, ...] | list[BrokerNode]) -> None:
        timeout = self.settings.start_timeout_s
        deadline = time.monotonic() + timeout
        for node in nodes:
            node.await_ready(deadline, timeout)


def _format_node(node: BrokerNode, classpath: str, cluster_id: str, options: list[str]) -> None:
    command = [
        "java",
        "-Xmx256m",
        f"-Dlog4j2.configurationFile={node.log4j_file}",
        "-cp",
        classpath,
        _STORAGE_TOOL,
        "format",
        *options,
        "-t",
        cluster_id,
        "-c",
        str(node.properties_file),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrokerError(f"formatting the broker storage failed: {exc}") from exc
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["(no output)"]
        raise BrokerError(f"formatting the broker storage failed: {lines[-1]}")


def _recorded(home: Path) -> dict[str, int]:
    """What a node's storage was formatted for (``ports.json``); empty if it says nothing."""
    try:
        recorded: dict[str, int] = json.loads((home / "ports.json").read_text())
    except (OSError, ValueError):
        return {}
    return recorded


def _random_id() -> str:
    """A Kafka id (cluster, directory): 16 random bytes, URL-safe base64 without padding, not
    starting '-'."""
    while True:
        found = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not found.startswith("-"):
            return found
