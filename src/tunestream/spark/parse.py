"""Kafka rows → typed records, or quarantine rows with the raw value and the reason.

One pass over a batch: each row's value is parsed with its entity's schema into the column named
after the entity (null in the other entities' columns), and ``reason`` says why it did not parse
(null when it did). The enrichments' records (:mod:`tunestream.sources.enrichment`) and a
producer's plan record (:mod:`tunestream.sources.plan`, into the column ``source_plan``) and its
dead letters (:mod:`tunestream.runtime.wire`, into ``dead_letter``) are parsed the same way: the
:data:`DOCUMENTS` are the Spotify entities, the enrichments, the plan and the dead letter. A
record that does not parse never stops the stream and is never dropped: it becomes a row of the
``quarantine`` table. Reasons, first match wins: a topic the job does not know, an empty value
(tombstone), no key, a value that is not a JSON object, a value that does not fit the entity's
schema (a field of the wrong type), a missing id, a key that is not the value's id (for a plan:
its ``source``; an enrichment's key is what it was looked up by, a Spotify track id or an ISRC,
not its own id; a dead letter's names its source, resource and first item).

An audio analysis is not parsed into a row: the JVM function ``tunestream_analysis_summary``
(``jvm/udf``) checks it against its schema as ``from_json`` would and returns its summary
(:data:`.schemas.ANALYSIS_SUMMARY`). ``from_json`` builds a row for every interval only for the
job to count them, which took as long as reading the records from Kafka.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from tunestream.runtime.wire import DEAD_LETTER_TOPIC
from tunestream.sources import plan, spotify
from tunestream.sources.enrichment import ENRICHMENTS, Enrichment
from tunestream.spark.schemas import (
    ANALYSIS_SUMMARY,
    CORRUPT_COLUMN,
    DEAD_LETTER,
    ENRICHMENT_SCHEMAS,
    SOURCE_PLAN,
    VALUE_SCHEMAS,
    with_corrupt,
)

__all__ = [
    "DOCUMENTS",
    "DOCUMENT_COLUMNS",
    "HEADERS",
    "QUARANTINE_COLUMNS",
    "RECORD_COLUMNS",
    "SUMMARIZED",
    "Document",
    "JvmReader",
    "kafka_rows",
    "parse",
    "quarantine_rows",
]

HEADERS = {
    "source": "tunestream.source",
    "market": "tunestream.market",
    "fetched_at": "tunestream.fetched_at",
    "cycle": "tunestream.cycle",
    "schema": "tunestream.schema",
}
"""Column name → Kafka header the producer sets on every record."""

_ORIGIN = ("topic", "partition", "offset", "kafka_ts", "entity", "key")
"""Where a record came from: every row of ``records`` and ``quarantine`` starts with these."""
QUARANTINE_COLUMNS = (*_ORIGIN, "value", "reason", "headers")
RECORD_COLUMNS = (
    *_ORIGIN,
    *(c for c in HEADERS if c != "fetched_at"),
    "fetched_at",
    "event_time",
)
"""The columns every parsed record keeps besides its entity's document."""


class Document(NamedTuple):
    """A kind of record value: parsed into the ``records`` column ``name`` with ``schema``."""

    name: str
    schema: StructType
    schema_id: str
    """Named in the reason of a value that does not fit."""
    id: str | None
    """The value's field that must be there (None: none)."""
    keyed_by_id: bool = True
    """Whether the record's key must equal that field."""


def _entity(entity: spotify.Entity) -> Document:
    schema = VALUE_SCHEMAS[entity.name]
    key = "id" if "id" in schema.fieldNames() else None
    return Document(entity.name, schema, entity.schema_id, key)


def _enrichment(enrichment: Enrichment) -> Document:
    schema = ENRICHMENT_SCHEMAS[enrichment.name]
    return Document(enrichment.name, schema, enrichment.schema_id, "id", keyed_by_id=False)


DOCUMENTS = (
    *map(_entity, spotify.ENTITIES),
    *map(_enrichment, ENRICHMENTS),
    Document(plan.PLAN, SOURCE_PLAN, plan.SCHEMA, "source"),
    Document(DEAD_LETTER_TOPIC, DEAD_LETTER, "the dead-letter format", "source", keyed_by_id=False),
)
"""The Spotify entities, the enrichments, then the producers' plan records and dead letters."""
DOCUMENT_COLUMNS = tuple(d.name for d in DOCUMENTS)


class JvmReader(NamedTuple):
    """A JVM function (``jvm/udf``) that reads a record's bytes into a summary: the SQL name it
    is registered as, its class, and the summary's type (null when the value does not fit)."""

    name: str
    java_class: str
    returns: StructType


SUMMARIZED = {
    "audio_analysis": JvmReader(
        "tunestream_analysis_summary", "io.tunestream.spark.AnalysisSummary", ANALYSIS_SUMMARY
    ),
}
"""Entities read by a JVM function into a summary instead of ``from_json``."""


def _register(spark: SparkSession) -> None:
    for reader in SUMMARIZED.values():
        spark.udf.registerJavaFunction(reader.name, reader.java_class, reader.returns)


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


def parse(rows: DataFrame) -> DataFrame:
    """:func:`kafka_rows` plus, per entity, a column of that name holding the parsed value of
    the entity's rows (null in other rows; the summary for :data:`SUMMARIZED` entities), and
    ``reason`` (null when the row parsed)."""
    _register(rows.sparkSession)
    text = F.col("value").cast("string")
    entity = F.col("entity")
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN}

    def read(d: Document) -> Column:
        if d.name in SUMMARIZED:
            return F.call_function(SUMMARIZED[d.name].name, F.col("value"))
        return F.from_json(text, with_corrupt(d.schema), options)

    def misfit(e: str) -> Column:
        doc = F.col(e)
        return doc.isNull() if e in SUMMARIZED else doc.isNull() | doc[CORRUPT_COLUMN].isNotNull()

    docs = {d.name: F.when(entity == d.name, read(d)) for d in DOCUMENTS}
    reason = (
        F.when(entity.isNull(), F.lit("unknown topic"))
        .when(F.col("value").isNull(), F.lit("empty value (a tombstone)"))
        .when(F.col("key").isNull() | (F.col("key") == ""), F.lit("no key"))
    )
    for d in DOCUMENTS:
        doc = F.col(d.name)
        # only a value that did not fit is read a second time, to say which way it failed
        reason = reason.when(
            (entity == d.name) & misfit(d.name),
            F.when(F.json_object_keys(text).isNull(), F.lit("not a JSON object")).otherwise(
                F.lit(f"does not match {d.schema_id}: a field has the wrong type")
            ),
        )
        if d.id is not None:
            reason = reason.when((entity == d.name) & doc[d.id].isNull(), F.lit(f"missing {d.id}"))
        if d.id is not None and d.keyed_by_id:
            reason = reason.when(
                doc[d.id] != F.col("key"), F.lit(f"key does not match the value's {d.id}")
            )
    parsed = rows.select("*", *(doc.alias(name) for name, doc in docs.items()))
    return parsed.withColumn("reason", reason).select(
        *rows.columns,
        *(
            (F.col(e) if e in SUMMARIZED else F.col(e).dropFields(CORRUPT_COLUMN)).alias(e)
            for e in DOCUMENT_COLUMNS
        ),
        "reason",
    )


def quarantine_rows(parsed: DataFrame) -> DataFrame:
    """The rows of a :func:`parse` result that did not parse, as quarantine rows."""
    return parsed.where(F.col("reason").isNotNull()).select(*QUARANTINE_COLUMNS)
