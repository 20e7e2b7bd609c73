"""The SparkSession: master from configuration, the Maven-resolved jars as local files, Delta on.

``local[*]`` and ``spark://host:7077`` differ only in ``spark.master``. The Kafka connector and
Delta jars, and the job's own (``jvm/udf``), come from ``build/jars/spark`` (``make jars``) through
``spark.jars``: Spark serves them to its executors itself, and nothing is downloaded when the job
starts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from tunestream.config import KafkaSettings, Settings
from tunestream.errors import TunestreamError

__all__ = ["POOLS", "SparkJobError", "build_session", "kafka_options", "session_conf", "spark_jars"]

POOLS = Path(__file__).with_name("pools.xml")
"""The fair-scheduler pools of the job's two queries (named after them in :mod:`.job`)."""


class SparkJobError(TunestreamError):
    """The Spark job could not be set up or stopped with an error (exit 1)."""


def spark_jars(jars_dir: Path) -> list[Path]:
    """The jars ``make jars`` resolved for Spark; a one-line error naming the fix when missing."""
    jars = sorted(jars_dir.glob("*.jar"))
    for prefix, what in (("spark-sql-kafka", "Spark Kafka connector"), ("tunestream-udf", "job's")):
        if not any(j.name.startswith(prefix) for j in jars):
            raise SparkJobError(
                f"the {what} jars are not in {jars_dir}: run `make jars` (or set spark.jars_dir)"
            )
    return jars


def session_conf(settings: Settings) -> dict[str, str]:
    """Every Spark property the job sets; ``spark.conf`` entries from the settings win."""
    spark = settings.spark
    conf = {
        "spark.master": spark.master,
        "spark.app.name": "tunestream",
        "spark.jars": ",".join(str(j.absolute()) for j in spark_jars(spark.jars_dir)),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": spark.driver_memory,
        # Executors on a cluster run the same Python as the driver (a shared install).
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.shuffle.partitions": str(spark.shuffle_partitions),
        # A table's log state (its files) is small; rebuilding it in one task, not in one per
        # shuffle partition, takes a third off every small commit (spark.conf can raise it).
        "spark.databricks.delta.snapshotPartitions": "1",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.streaming.stopGracefullyOnShutdown": "true",
        # the job's two queries share the cores (each in its pool) instead of queueing
        "spark.scheduler.mode": "FAIR",
        "spark.scheduler.allocation.file": str(POOLS),
    }
    conf.update(spark.conf)
    return conf


def build_session(settings: Settings) -> SparkSession:
    """A SparkSession for the job (or the one already running in this process).

    Its web UI listens on 127.0.0.1 unless ``SPARK_LOCAL_IP`` says otherwise: ``WebUI.bind``
    takes that variable of the JVM's environment, else every interface (0.0.0.0), and no Spark
    property (https://github.com/apache/spark/blob/master/core/src/main/scala/org/apache/spark/ui/WebUI.scala);
    the JVM PySpark starts inherits this process's environment. The driver's RPC and block
    manager follow ``spark.driver.bindAddress``.
    """
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder
    for key, value in session_conf(settings).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


def kafka_options(kafka: KafkaSettings) -> dict[str, str]:
    """The Kafka source options (Java client names) for the configured cluster and security.

    ``kafka.client_properties`` pass through with the ``kafka.`` prefix (librdkafka and the Java
    client share most names); the address, security and ``read_committed`` set here win.
    """
    options = {
        # The job reads committed transactions: a partition's range often ends with a commit
        # marker, never returned as a record, and the consumer waited fetch.max.wait.ms (500 ms)
        # for data past it — per partition, seconds per micro-batch. No range waits for new data.
        "kafka.fetch.max.wait.ms": "10",
        **{f"kafka.{k}": v for k, v in kafka.client_properties.items()},
    }
    options.update(
        {
            "kafka.bootstrap.servers": kafka.bootstrap,
            "kafka.security.protocol": kafka.security_protocol,
            "kafka.isolation.level": "read_committed",
        }
    )
    if kafka.sasl_mechanism is not None:
        options["kafka.sasl.mechanism"] = kafka.sasl_mechanism
        if kafka.sasl_mechanism in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            module = (
                "org.apache.kafka.common.security.plain.PlainLoginModule"
                if kafka.sasl_mechanism == "PLAIN"
                else "org.apache.kafka.common.security.scram.ScramLoginModule"
            )
            password = kafka.sasl_password.get_secret_value() if kafka.sasl_password else ""
            username, password = _jaas_quoted(kafka.sasl_username or ""), _jaas_quoted(password)
            options["kafka.sasl.jaas.config"] = (
                f'{module} required username="{username}" password="{password}";'
            )
    if kafka.ssl_ca_location is not None:
        options["kafka.ssl.truststore.type"] = "PEM"
        options["kafka.ssl.truststore.location"] = str(kafka.ssl_ca_location)
    return options


def _jaas_quoted(value: str) -> str:
    """A value for a double-quoted JAAS option: the parser (a ``java.io.StreamTokenizer``) reads
    a backslash as an escape, so backslashes and quotes are escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"')
