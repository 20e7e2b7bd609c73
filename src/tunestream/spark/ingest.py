"""Stage 1 of the job: the topics → the ``records`` table, through Spark's file sink.

A micro-batch is read from Kafka, parsed and appended in one pass (:func:`.parse.parse`): each
record becomes one row of ``records`` with where it came from (topic, partition, offset, headers,
event time) and its entity's fields in the column named after the entity (a producer's plan, read
from the plan topic beside the entities', in ``source_plan``; a dead letter in ``dead_letter``);
an audio analysis is reduced to its summary while it is read (:data:`.parse.SUMMARIZED`), so the
megabytes of segments never reach a table. A record that does not parse keeps its raw value,
headers and the reason instead (stage 2 moves it to ``quarantine``).

The Kafka source subscribes by a pattern that matches exactly the job's topics
(:func:`subscription`): subscribed by a list (``subscribe``) it fails on a topic the cluster
lacks — an enrichment's, where no enrichment source runs —; by the pattern it reads such a topic
once it appears, from its first record.

The query is a plain DataFrame stream into Spark's Parquet file sink: the plan is built once, no
Python runs per batch, and each batch is Parquet files plus one entry in the sink's own log
(``records/_spark_metadata``), written only after the files. Readers — stage 2's file source,
``tunestream query`` — take the files that log lists, so the files of a batch killed before its
entry are never read, and a batch redone after a crash whose entry exists is skipped: nothing
twice. ``records`` is the one table only ever appended to, which is why it is not a Delta table:
Delta's streaming sink rebuilds the table's state in every batch to make its append idempotent
(three Spark jobs a batch, measured), which the file sink's log does not need. The keyed MERGEs
that make the entity and derived tables are stage 2 (:mod:`.job`), which streams from ``records``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming.readwriter import DataStreamWriter
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from tunestream.spark.lake import Lake
from tunestream.spark.parse import DOCUMENT_COLUMNS, RECORD_COLUMNS, kafka_rows, parse
from tunestream.spark.session import SparkJobError
from tunestream.tables.commits import SINK_LOG, last_batch

__all__ = ["KAFKA_SOURCE_SCHEMA", "RECORDS", "Ingest", "record_rows", "subscription"]

RECORDS = "records"

KAFKA_SOURCE_SCHEMA = StructType(
    [
        StructField("key", BinaryType()),
        StructField("value", BinaryType()),
        StructField("topic", StringType()),
        StructField("partition", IntegerType()),
        StructField("offset", LongType()),
        StructField("timestamp", TimestampType()),
        StructField("timestampType", IntegerType()),
        StructField(
            "headers",
            ArrayType(
                StructType([StructField("key", StringType()), StructField("value", BinaryType())])
            ),
        ),
    ]
)


def subscription(topics: Iterable[str]) -> str:
    """The Kafka source's ``subscribePattern`` for exactly ``topics`` (a Java regex: each name
    escaped, the whole name matched)."""
    return "^(?:" + "|".join(map(re.escape, sorted(topics))) + ")$"


def record_rows(batch: DataFrame, topic_entities: Mapping[str, str]) -> DataFrame:
    """The batch as ``records`` rows: ``reason`` null and the entity's column filled when the
    record parsed; ``reason``, ``value`` and ``headers`` kept when it did not."""
    parsed = parse(kafka_rows(batch, topic_entities))
    bad = F.col("reason").isNotNull()
    return parsed.select(
        *RECORD_COLUMNS,
        *DOCUMENT_COLUMNS,
        "reason",
        F.when(bad, F.col("value")).alias("value"),
        F.when(bad, F.col("headers")).alias("headers"),
    )


@dataclass(frozen=True)
class Ingest:
    """Stage 1: where ``records`` is and which topic is which entity."""

    lake: Lake
    topic_entities: Mapping[str, str]

    @property
    def path(self) -> str:
        return self.lake.path(RECORDS)

    def shape(self, spark: SparkSession) -> DataFrame:
        """``records`` with no rows: its columns (as stage 2's file source reads them) and the
        shapes of the tables made from them."""
        return record_rows(spark.createDataFrame([], KAFKA_SOURCE_SCHEMA), self.topic_entities)

    def check(self, checkpoint: Path, readers: Path) -> None:
        """Refuse to start stage 1 (from ``checkpoint``) on a ``records`` it would lose batches
        of: one an earlier version kept as a Delta table, or one whose sink log is ahead of the
        checkpoint (a new or older checkpoint: the sink would take the next batches for ones it
        has, and skip them). ``readers``: the checkpoint of the query that reads ``records``."""
        again = (
            f"move {self.path} away and delete the checkpoint {readers} to read the topics into "
            "records again (the other tables are keyed: nothing doubles)"
        )
        if self.lake.exists(RECORDS):
            raise SparkJobError(f"{self.path} is a Delta table (an earlier version's): {again}")
        logged = last_batch(Path(self.path) / SINK_LOG)
        started = last_batch(checkpoint / "offsets")
        if logged is not None and (started is None or started < logged):
            raise SparkJobError(
                f"{self.path} holds batches up to {logged} but the checkpoint {checkpoint} "
                f"{'has none' if started is None else f'only up to {started}'}: restore the "
                f"checkpoint, or {again}"
            )

    def writer(self, source: DataFrame) -> DataStreamWriter:
        """The Kafka source's stream as ``records`` rows, appended (start it with :attr:`path`)."""
        # A task per Kafka partition is mostly scheduling for a small batch; a few per core keep
        # a large one balanced (a topic of big documents is not one task's work).
        partitions = 4 * source.sparkSession.sparkContext.defaultParallelism
        rows = record_rows(source.coalesce(partitions), self.topic_entities)
        return rows.writeStream.format("parquet").outputMode("append")
