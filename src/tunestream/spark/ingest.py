"""Stage 1 of the job: the Spotify topics → the ``records`` table, through Delta's streaming sink.

A micro-batch is read from Kafka, parsed and appended in one pass (:func:`.parse.parse`): each
record becomes one row of ``records`` with where it came from (topic, partition, offset, headers,
event time) and its entity's fields in the column named after the entity; an audio analysis is
reduced to its summary while it is read (:data:`.parse.SUMMARIZED`), so the megabytes of segments
never reach a table. A record that does not parse keeps its raw value, headers and the reason
instead (stage 2 moves it to ``quarantine``).

The query is a plain DataFrame stream into Delta's own streaming sink: the plan is built once,
no Python runs per batch, and each batch is one append that Delta commits with the query's id and
the batch id — a batch redone after a crash appends nothing twice, and a new checkpoint (a new
query id) is never mistaken for an old one. One append is the cheapest commit a table can take —
no cache, no second pass, no MERGE — which is what keeps a record's way from Kafka to its row at
a few seconds; the keyed MERGEs that make the entity and derived tables are stage 2 (:mod:`.job`),
which streams from ``records``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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

from tunestream.spark import tables
from tunestream.spark.parse import RECORD_COLUMNS, kafka_rows, parse
from tunestream.spark.schemas import ENTITIES

__all__ = ["KAFKA_SOURCE_SCHEMA", "RECORDS", "Ingest", "record_rows"]

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


def record_rows(batch: DataFrame, topic_entities: Mapping[str, str]) -> DataFrame:
    """The batch as ``records`` rows: ``reason`` null and the entity's column filled when the
    record parsed; ``reason``, ``value`` and ``headers`` kept when it did not."""
    parsed = parse(kafka_rows(batch, topic_entities))
    bad = F.col("reason").isNotNull()
    return parsed.select(
        *RECORD_COLUMNS,
        *ENTITIES,
        "reason",
        F.when(bad, F.col("value")).alias("value"),
        F.when(bad, F.col("headers")).alias("headers"),
    )


@dataclass(frozen=True)
class Ingest:
    """Stage 1: where ``records`` is and which topic is which entity."""

    lake: tables.Lake
    topic_entities: Mapping[str, str]

    def create_tables(self, spark: SparkSession) -> None:
        shape = record_rows(spark.createDataFrame([], KAFKA_SOURCE_SCHEMA), self.topic_entities)
        # statistics (for data skipping) on the flat columns in front, not the documents' fields
        self.lake.create(shape, RECORDS, indexed_columns=len(RECORD_COLUMNS))

    def writer(self, source: DataFrame) -> DataStreamWriter:
        """The Kafka source's stream as ``records`` rows, appended (start it with the table's
        path)."""
        # A task per Kafka partition is mostly scheduling for a small batch; a few per core keep
        # a large one balanced (a topic of big documents is not one task's work).
        partitions = 4 * source.sparkSession.sparkContext.defaultParallelism
        rows = record_rows(source.coalesce(partitions), self.topic_entities)
        return rows.writeStream.format("delta").outputMode("append")
