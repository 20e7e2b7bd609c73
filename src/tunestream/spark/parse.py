"""Kafka rows → parsed entities, or quarantine rows with the raw value and the reason.

A record that does not parse never stops the stream and is never dropped: it becomes a row of the
``quarantine`` table. Reasons, first match wins: an empty value (tombstone), no key, a value that
is not a JSON object, a value that does not fit the entity's schema (a field of the wrong type), a
missing id, and a key that is not the value's id.
"""

from __future__ import annotations

from collections.abc import Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from tunestream.spark.schemas import CORRUPT_COLUMN, SCHEMA_VERSION, VALUE_SCHEMAS, with_corrupt

__all__ = [
    "HEADERS",
    "QUARANTINE_COLUMNS",
    "kafka_rows",
    "parse",
    "quarantine_rows",
    "unknown_topic_rows",
]

HEADERS = {
    "source": "tunestream.source",
    "market": "tunestream.market",
    "fetched_at": "tunestream.fetched_at",
    "cycle": "tunestream.cycle",
    "schema": "tunestream.schema",
}
"""Column name → Kafka header the producer sets on every record."""

QUARANTINE_COLUMNS = (
    "topic",
    "partition",
    "offset",
    "kafka_ts",
    "entity",
    "key",
    "value",
    "reason",
    "headers",
)


def _header_sql(name: str) -> str:
    # get() is null past the end (element_at would raise under ANSI mode).
    return f"CAST(get(filter(headers, h -> h.key = '{name}'), 0).value AS STRING)"


def _header(name: str) -> Column:
    return F.expr(_header_sql(name))


def kafka_rows(batch: DataFrame, topic_entities: Mapping[str, str]) -> DataFrame:
    """The Kafka source's rows with the entity named, the headers read and the event time."""
    entity = F.lit(None).cast("string")
    for topic, name in topic_entities.items():
        entity = F.when(F.col("topic") == topic, F.lit(name)).otherwise(entity)
    fetched_at = F.expr(f"try_cast({_header_sql(HEADERS['fetched_at'])} AS TIMESTAMP)")
    return batch.select(
        "topic",
        "partition",
        "offset",
        F.col("timestamp").alias("kafka_ts"),
        entity.alias("entity"),
        F.col("key").cast("string").alias("key"),
        "value",
        "headers",
        *(_header(h).alias(c) for c, h in HEADERS.items() if c != "fetched_at"),
        fetched_at.alias("fetched_at"),
        F.coalesce(fetched_at, F.col("timestamp")).alias("event_time"),
    )


def parse(rows: DataFrame, entity: str) -> DataFrame:
    """The rows of one entity with ``doc`` (the parsed value) and ``reason`` (null when good)."""
    schema = VALUE_SCHEMAS[entity]
    text = F.col("value").cast("string")
    doc = F.from_json(
        text,
        with_corrupt(schema),
        {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN},
    )
    parsed = rows.where(F.col("entity") == entity).withColumn("doc", doc)
    has_id = "id" in schema.fieldNames()
    reason = (
        F.when(F.col("value").isNull(), F.lit("empty value (a tombstone)"))
        .when(F.col("key").isNull() | (F.col("key") == ""), F.lit("no key"))
        .when(F.json_object_keys(text).isNull(), F.lit("not a JSON object"))
        .when(
            F.col(f"doc.{CORRUPT_COLUMN}").isNotNull(),
            F.lit(f"does not match spotify.{entity}.{SCHEMA_VERSION}: a field has the wrong type"),
        )
    )
    if has_id:
        reason = reason.when(F.col("doc.id").isNull(), F.lit("missing id")).when(
            F.col("doc.id") != F.col("key"), F.lit("key does not match the value's id")
        )
    return parsed.withColumn("reason", reason)


def quarantine_rows(parsed: DataFrame) -> DataFrame:
    """The rows of a :func:`parse` result that did not parse, as quarantine rows."""
    return parsed.where(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)


def unknown_topic_rows(rows: DataFrame) -> DataFrame:
    """Rows from a topic the job does not know (should not happen: it subscribes by name)."""
    return (
        rows.where(F.col("entity").isNull())
        .withColumn("reason", F.lit("unknown topic"))
        .select(*QUARANTINE_COLUMNS)
    )
