"""The Spark session's configuration and the Kafka source options, without starting Spark."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunestream.config import KafkaSettings, Settings, SparkSettings
from tunestream.spark.session import SparkJobError, kafka_options, session_conf, spark_jars

pytestmark = pytest.mark.unit


JARS = (
    "spark-sql-kafka-0-10_2.13-4.2.0.jar",
    "delta-spark_4.2_2.13-4.4.0.jar",
    "tunestream-udf.jar",
)


def jars(tmp_path: Path, names: tuple[str, ...] = JARS) -> Path:
    for name in names:
        (tmp_path / name).write_bytes(b"")
    return tmp_path


@pytest.mark.parametrize(
    ("present", "missing"),
    [((), "Spark Kafka connector"), (JARS[:2], "job's"), (JARS[1:], "Spark Kafka connector")],
)
def test_missing_jars_are_one_line_naming_the_fix(
    tmp_path: Path, present: tuple[str, ...], missing: str
) -> None:
    with pytest.raises(SparkJobError, match=rf"the {missing} jars are not in .* run `make jars`"):
        spark_jars(jars(tmp_path, present))
    assert len(spark_jars(jars(tmp_path))) == len(JARS)


def test_master_jars_and_local_addresses_come_from_the_settings(tmp_path: Path) -> None:
    settings = Settings(
        spark=SparkSettings(
            master="spark://127.0.0.1:7077",
            jars_dir=jars(tmp_path),
            shuffle_partitions=3,
            conf={"spark.executor.memory": "3g", "spark.driver.host": "10.0.0.5"},
        )
    )
    conf = session_conf(settings)
    assert conf["spark.master"] == "spark://127.0.0.1:7077"
    assert conf["spark.jars"].split(",") == [str(p) for p in sorted(tmp_path.glob("*.jar"))]
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.driver.host"] == "10.0.0.5"  # spark.conf wins: a real cluster needs it
    assert conf["spark.executor.memory"] == "3g"
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"


def test_tables_and_checkpoints_default_under_the_data_dir(tmp_path: Path) -> None:
    spark = SparkSettings()
    assert spark.tables_path(tmp_path) == tmp_path / "tables"
    assert spark.checkpoints_path(tmp_path) == tmp_path / "checkpoints"
    moved = SparkSettings(tables_dir=tmp_path / "t", checkpoint_dir=tmp_path / "c")
    assert moved.tables_path(Path("x")) == tmp_path / "t"
    assert moved.checkpoints_path(Path("x")) == tmp_path / "c"


def test_kafka_options_read_committed_and_security(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("a CA certificate")
    plain = kafka_options(KafkaSettings(bootstrap_servers="k:9092"))
    assert plain == {
        "kafka.fetch.max.wait.ms": "10",
        "kafka.bootstrap.servers": "k:9092",
        "kafka.security.protocol": "PLAINTEXT",
        "kafka.isolation.level": "read_committed",
    }
    secure = kafka_options(
        KafkaSettings.model_validate(
            {
                "bootstrap_servers": "k:9093",
                "security_protocol": "SASL_SSL",
                "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_username": "ts",
                "sasl_password": 'p"w\\',
                "ssl_ca_location": str(ca_file),
            }
        )
    )
    assert secure["kafka.sasl.mechanism"] == "SCRAM-SHA-512"
    assert "ScramLoginModule required" in secure["kafka.sasl.jaas.config"]
    # JAAS values are quoted strings: a quote or backslash in them is escaped
    assert 'username="ts" password="p\\"w\\\\";' in secure["kafka.sasl.jaas.config"]
    assert secure["kafka.ssl.truststore.type"] == "PEM"
    assert secure["kafka.ssl.truststore.location"] == str(ca_file)


def test_kafka_client_properties_reach_the_source_prefixed_without_overriding_read_committed() -> (
    None
):
    kafka = KafkaSettings.model_validate(
        {
            "bootstrap_servers": "k:9092",
            "client_properties": {
                "client.id": "tables",
                "request.timeout.ms": "45000",
                "isolation.level": "read_uncommitted",
                "fetch.max.wait.ms": "50",
            },
        }
    )
    options = kafka_options(kafka)
    assert options["kafka.client.id"] == "tables"
    assert options["kafka.request.timeout.ms"] == "45000"
    assert options["kafka.isolation.level"] == "read_committed"
    assert options["kafka.bootstrap.servers"] == "k:9092"
    assert options["kafka.fetch.max.wait.ms"] == "50"  # the job's default gives way
