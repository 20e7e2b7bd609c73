"""Run the job until stopped (or, with ``once``, until it has caught up with the topics)."""

from __future__ import annotations

import logging

from pyspark.errors import StreamingQueryException

from tunestream.config import Settings
from tunestream.spark.job import start_job
from tunestream.spark.session import SparkJobError, build_session

__all__ = ["run"]

log = logging.getLogger(__name__)


def run(settings: Settings, *, once: bool = False) -> None:
    """Start the session and the query; block until it ends. Ctrl-C stops it between batches."""
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
