"""Stage 1 of the job: the Spotify topics → the ``records`` table.

A micro-batch is read from Kafka, parsed and appended in one pass (:func:`.parse.parse`): each
record becomes one row of ``records`` with where it came from (topic, partition, offset, headers,
event time) and its entity's fields in the column named after the entity; an audio analysis is
reduced to its summary here, so the megabytes of segments never reach a table. A record that does
not parse keeps its raw value, headers and the reason instead (stage 2 moves it to
``quarantine``). The append is tagged with the streaming query's id and the batch id
(``txnAppId``/``txnVersion``): a batch redone after a crash appends nothing twice, and a new
checkpoint (a new query id) is never mistaken for an old one.

One append is the cheapest commit a table can take — no cache, no second pass, no MERGE — which is
what keeps a record's way from Kafka to its row at a few seconds; the keyed MERGEs that make the
entity and derived tables are stage 2 (:mod:`.job`), which streams from ``records``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
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
from tunestream.spark.session import SparkJobError

__all__ = ["KAFKA_SOURCE_SCHEMA", "RECORDS", "Ingest", "record_rows"]

log = logging.getLogger(__name__)

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
        *(
            (tables.analysis_summary(F.col(e)) if e == "audio_analysis" else F.col(e)).alias(e)
            for e in ENTITIES
        ),
        "reason",
        F.when(bad, F.col("value")).alias("value"),
        F.when(bad, F.col("headers")).alias("headers"),
    )


@dataclass(frozen=True)
class Ingest:
    """What a stage-1 micro-batch needs: the tables' folder and which topic is which entity."""

    lake: tables.Lake
    topic_entities: Mapping[str, str]
    latencies: list[float] | None = field(default=None, compare=False)
    """When a list: each record's seconds from its Kafka timestamp to its row's commit (bench)."""

    def create_tables(self, spark: SparkSession) -> None:
        shape = record_rows(spark.createDataFrame([], KAFKA_SOURCE_SCHEMA), self.topic_entities)
        # statistics (for data skipping) on the flat columns in front, not the documents' fields
        self.lake.create(shape, RECORDS, indexed_columns=len(RECORD_COLUMNS))

    def process_batch(self, batch: DataFrame, batch_id: int) -> None:
        """Append the batch to ``records``, once however often it is redone."""
        started = time.perf_counter()
        spark = batch.sparkSession
        # The query's id: the same across restarts from one checkpoint, new with a new checkpoint.
        writer_id = spark.sparkContext.getLocalProperty("sql.streaming.queryId")
        if writer_id is None:
            raise SparkJobError("a records batch ran outside its streaming query")
        # A task per Kafka partition is mostly scheduling for a small batch; a few per core keep
        # a large one balanced (a topic of big documents is not one task's work).
        partitions = 4 * spark.sparkContext.defaultParallelism
        rows = record_rows(batch.coalesce(partitions), self.topic_entities)
        if self.latencies is None:
            self.lake.append(rows, RECORDS, writer_id, batch_id)
        else:  # the records' Kafka timestamps, gathered by the append's own pass (the bench
            # starts from a fresh checkpoint: no append is skipped, so the observation comes)
            observed = Observation(f"kafka-timestamps-{batch_id}")
            stamps = F.collect_list(F.unix_micros("kafka_ts")).alias("stamps")
            self.lake.append(rows.observe(observed, stamps), RECORDS, writer_id, batch_id)
            now_us = time.time() * 1_000_000
            self.latencies.extend((now_us - s) / 1_000_000 for s in observed.get["stamps"])
        log.info("records batch %d done in %.1f s", batch_id, time.perf_counter() - started)
