"""Run the job until stopped (or, with ``once``, until it has caught up with the topics)."""

from __future__ import annotations

import contextlib
import logging

from confluent_kafka import KafkaException
from pyspark.errors import StreamingQueryException

from tunestream.config import KafkaSettings, Settings
from tunestream.kafka.client import admin_client
from tunestream.spark.job import start_job
from tunestream.spark.session import SparkJobError, build_session

__all__ = ["run"]

log = logging.getLogger(__name__)

_PROBE_S = 10.0


def run(settings: Settings, *, once: bool = False) -> None:
    """Start the session and the query; block until it ends. Ctrl-C stops it between batches."""
    check_credentials(settings.kafka)
    spark = build_session(settings)
    streams = start_job(spark, settings, available_now=once)
    tables = settings.spark.tables_path(settings.data_dir)
    log.info("Spark job running on %s; tables in %s", settings.spark.master, tables)
    try:
        streams.await_termination()
    except KeyboardInterrupt:
        log.info("stopping the Spark job")
        streams.stop()
    except StreamingQueryException as exc:
        raise SparkJobError(f"the Spark job failed: {_first_line(exc)}") from exc
    finally:
        spark.stop()


def check_credentials(kafka: KafkaSettings) -> None:
    """One metadata request before any JVM starts: a cluster that refuses the job's certificate
    check or credentials is :class:`~tunestream.errors.ClusterRefused`, one line (the Kafka source
    would only fail its first batch). A cluster that does not answer yet is the source's to wait
    for, as it does."""
    with contextlib.suppress(KafkaException):
        admin_client(kafka).list_topics(timeout=_PROBE_S)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
