"""The local cluster's settings: each node's ports and properties, the copies of every topic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from tunestream.config import KafkaSettings, LocalBrokerSettings
from tunestream.errors import BrokerError
from tunestream.kafka.broker import LocalBroker

pytestmark = pytest.mark.unit


def test_three_nodes_take_port_pairs_and_every_one_is_a_bootstrap_server() -> None:
    local = LocalBrokerSettings(brokers=3)
    assert local.node_ports() == [(9092, 9093), (9094, 9095), (9096, 9097)]
    kafka = KafkaSettings(local=local)
    assert kafka.bootstrap == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    assert KafkaSettings().bootstrap == "127.0.0.1:9092"


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ({"brokers": 2}, "brokers: 2 cannot lose either broker"),
        ({"brokers": 3, "controller_port": 9094}, "ports collide"),
        ({"brokers": 3, "port": 65532, "controller_port": 65533}, "ports up to 65537"),
    ],
)
def test_a_cluster_that_cannot_work_is_refused(local: dict[str, int], expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        LocalBrokerSettings.model_validate(local)


def test_on_three_brokers_topics_keep_three_copies_unless_their_entry_says_otherwise() -> None:
    kafka = KafkaSettings.model_validate(
        {
            "local": {"brokers": 3},
            "topics": {
                "dead_letter": {"replication_factor": 1},
                "albums": {"configs": {"min.insync.replicas": "3"}},
            },
        }
    )
    topics = kafka.topics
    assert (topics["tracks"].replication_factor, topics["tracks"].configs) == (
        3,
        {"min.insync.replicas": "2"},
    )
    assert topics["dead_letter"].configs == {"min.insync.replicas": "1"}
    assert topics["dead_letter"].replication_factor == 1
    assert topics["albums"].configs == {"min.insync.replicas": "3"}
    made = kafka.records_topic("github", "issues")
    assert (made.replication_factor, made.configs) == (3, {"min.insync.replicas": "2"})
    # one broker, or another cluster: the entries as given
    for other in (KafkaSettings(), KafkaSettings(bootstrap_servers="k:9092", local={"brokers": 3})):
        assert other.topics["tracks"].replication_factor == 1
        assert other.topics["tracks"].configs == {}


def test_more_copies_than_local_brokers_is_one_clear_line() -> None:
    with pytest.raises(ValidationError, match=r"topics.albums: replication_factor 3 is more than"):
        KafkaSettings.model_validate({"topics": {"albums": {"replication_factor": 3}}})


def test_every_node_knows_the_whole_quorum_and_replicates_the_internal_topics(
    tmp_path: Path,
) -> None:
    cluster = LocalBroker(LocalBrokerSettings(brokers=3), tmp_path)
    assert [n.home for n in cluster.nodes] == [tmp_path / "kafka" / f"node-{i}" for i in (1, 2, 3)]
    properties = cluster.node_properties(cluster.node(2))
    assert properties["node.id"] == "2"
    assert properties["listeners"] == "PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:9095"
    assert properties["controller.quorum.bootstrap.servers"] == (
        "127.0.0.1:9093,127.0.0.1:9095,127.0.0.1:9097"
    )
    replicated = {
        key: properties[key]
        for key in (
            "default.replication.factor",
            "min.insync.replicas",
            "offsets.topic.replication.factor",
            "transaction.state.log.replication.factor",
            "transaction.state.log.min.isr",
        )
    }
    assert replicated == {
        "default.replication.factor": "3",
        "min.insync.replicas": "2",
        "offsets.topic.replication.factor": "3",
        "transaction.state.log.replication.factor": "3",
        "transaction.state.log.min.isr": "2",
    }
    single = LocalBroker(LocalBrokerSettings(), tmp_path)
    assert single.nodes[0].home == tmp_path / "kafka"  # the layout of a one-node data dir
    assert single.node_properties(single.nodes[0])["transaction.state.log.min.isr"] == "1"


def test_storage_formatted_for_another_number_of_brokers_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kafka" / "data").mkdir(parents=True)
    (tmp_path / "kafka" / "data" / "meta.properties").write_text("")
    (tmp_path / "kafka" / "ports.json").write_text(json.dumps({"controller_port": 9093}))
    cluster = LocalBroker(LocalBrokerSettings(brokers=3, jars_dir=tmp_path), tmp_path)
    with pytest.raises(BrokerError, match=r"formatted for 1 broker.*set kafka.local.brokers back"):
        cluster._check_storage()
    with pytest.raises(BrokerError, match="no broker node 4: the cluster has 3"):
        cluster.node(4)
