"""The JVM analysis reader against ``from_json``: the same summary, and null for the same misfits.

The reference is what the job did before the reader existed, in Spark SQL: ``from_json`` with
:data:`AUDIO_ANALYSIS` (Spark's JSON options), then the summary computed from the parsed row, null
when the value did not fit. The inputs are the recorded Web API analysis and that analysis with
each checked field given each kind of wrong (and right) value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BinaryType, IntegerType, StructField, StructType

from tunestream.spark.parse import SUMMARIZED
from tunestream.spark.schemas import (
    ANALYSIS_SUMMARY,
    AUDIO_ANALYSIS,
    CORRUPT_COLUMN,
    with_corrupt,
)

pytestmark = pytest.mark.integration

RECORDED_TEXT = (
    Path(__file__).parents[2] / "fixtures/spotify/track_audio_analysis.json"
).read_text()
RECORDED = json.loads(RECORDED_TEXT)
INTERVALS = ("bars", "beats", "sections", "segments", "tatums")
VALUES: tuple[Any, ...] = (None, "x", "NaN", "-Infinity", 1, 1.5, True, 10**20, {}, [], [1])


def reference(doc: Column) -> Column:
    """The summary from a ``from_json`` row (the job's expression before the reader)."""

    def count(name: str) -> Column:
        return F.when(doc[name].isNotNull(), F.size(doc[name]))

    track = doc["track"]
    return F.when(
        doc.isNotNull() & doc[CORRUPT_COLUMN].isNull(),
        F.struct(
            doc["meta"]["analyzer_version"].alias("analyzer_version"),
            track["duration"].alias("analysis_duration_s"),
            track["tempo"].alias("analysis_tempo"),
            track["tempo_confidence"].alias("analysis_tempo_confidence"),
            track["key"].alias("analysis_key"),
            track["key_confidence"].alias("analysis_key_confidence"),
            track["mode"].alias("analysis_mode"),
            track["mode_confidence"].alias("analysis_mode_confidence"),
            track["time_signature"].alias("analysis_time_signature"),
            track["loudness"].alias("analysis_loudness"),
            track["end_of_fade_in"].alias("analysis_end_of_fade_in"),
            track["start_of_fade_out"].alias("analysis_start_of_fade_out"),
            count("sections").alias("sections_count"),
            count("segments").alias("segments_count"),
            count("bars").alias("bars_count"),
            count("beats").alias("beats_count"),
            count("tatums").alias("tatums_count"),
            F.when(
                doc["sections"].isNotNull(),
                F.size(F.filter(doc["sections"], lambda s: s["key"] != track["key"])),
            ).alias("sections_key_changes"),
        ),
    )


REMOVED = object()
"""For :func:`edited`: take the field out instead of setting it."""


def edited(path: tuple[str | int, ...], value: Any = REMOVED) -> dict[str, Any]:
    """The recorded analysis with the field at ``path`` set to ``value`` (or removed)."""
    doc = orjson.loads(RECORDED_TEXT)  # a fresh copy, four times faster than deepcopy
    parent: Any = doc
    for step in path[:-1]:
        parent = parent[step]
    if value is REMOVED:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def variants() -> Iterator[bytes]:
    yield json.dumps(RECORDED).encode()
    checked: list[tuple[str | int, ...]] = [
        *((group, f.name) for group in ("meta", "track") for f in AUDIO_ANALYSIS[group].dataType),
        *((name, 0, "start") for name in INTERVALS),
        ("sections", 1, "key"),
        ("sections", 2, "key"),
        ("meta",),
        ("track",),
        *((name,) for name in INTERVALS),
        *((name, 0) for name in INTERVALS),
    ]
    for path in checked:
        for value in VALUES:
            yield json.dumps(edited(path, value)).encode()
    for path in (("meta",), ("track",), ("track", "key"), ("sections",), ("segments",)):
        yield json.dumps(edited(path)).encode()
    yield json.dumps(edited(("sections", 3, "key"), RECORDED["track"]["key"])).encode()
    yield json.dumps({**RECORDED, "meta": {"analyzer_version": {"nested": [1, "a"]}}}).encode()
    yield json.dumps({**RECORDED, "extra": {"anything": [1, {"goes": None}]}}).encode()
    yield b'{"track": {"tempo": NaN, "key": 3}, "sections": [{"key": 4}, null, {"key": 3}]}'
    yield b"{'track': {'tempo': 120.5}, 'bars': [{'start': 0}]}"
    yield b'{"track": {"tempo": 1e400, "duration": -0.0}, "beats": []}'
    yield b'{"track": {"key": 007}}'
    yield b'{"bars": [{"start": 1}], "bars": null}'
    # invalid UTF-8 in a string read and in one skipped (from_json reads it with replacements)
    yield b'{"meta": {"analyzer_version": "a\xffb"}, "track": {"tempo": 1}}'
    yield b'{"meta": {"platform": "a\xc3", "analyzer_version": "4"}, "bars": [{"x": "\xfe"}]}'
    yield b'{"track": {"key": "\xff"}}'
    yield from (b"", b"null", b"[]", b"[{}]", b'"text"', b"12", b"{", b'{"a": }', b"\x00\x01")
    yield json.dumps(RECORDED).encode()[:-1000]
    yield from strictness()


def strictness() -> Iterator[bytes]:
    """Where plain strict JSON (which the reader tokenizes itself) ends and Jackson takes over:
    both sides of each edge."""
    yield json.dumps(RECORDED, indent="\t").encode()
    yield json.dumps(
        {**RECORDED, "meta": {"analyzer_version": "4.0-é"}}, ensure_ascii=False
    ).encode()
    yield json.dumps({**RECORDED, "meta": {"analyzer_version": "4.0-é"}}).encode()
    track = b'"track": {"tempo": 1.5, "key": 2}'
    for text in (
        b'"4\\u002e0"', b'"a\\"b\\/c\\\\"', b'"\\ud800"', b'"a\x01b"', b'"a\x7fb"',
        b'"\\x"', b'"\\u12g4"', b'"it\\\'s"', b"4", b"true", b"[1, {}]", b"nul", b"fals",
    ):  # fmt: skip
        yield b'{"meta": {"analyzer_version": %s}, %s}' % (text, track)
        yield b'{"meta": {"platform": %s}, %s, "bars": [{"x": %s}]}' % (text, track, text)
    for number in (
        b"-0", b"0", b"-0.0", b"1E2", b"1e-2", b"2.5E+1", b"123456789012345678",
        b"1234567890123456789", b"-9223372036854775808", b"1.", b".5", b"+1", b"1e", b"-",
        b"00", b"1" + b"0" * 120, b"1." + b"1" * 150, b"0.1e999", b"5e-400",
    ):  # fmt: skip
        yield b'{"track": {"tempo": %s, "key": %s}, "bars": [{"start": %s}]}' % ((number,) * 3)
    for name in (b"tr\\u0061ck", b'a\\"b', b"x" * 2000, b"caf\xc3\xa9"):
        yield b'{"%s": {"tempo": 1}, %s, "b\\u0061rs": [{"start": 1}]}' % (name, track)
    for depth in (40, 70):
        yield b'{"extra": %s, %s}' % (b"[" * depth + b"]" * depth, track)
    yield from (
        b'{"track": {"tempo": 1,}, "bars": []}',
        b'{"track": {"tempo": 1}, "bars": [{"start": 1},]}',
        b'{"track" {"tempo": 1}}',
        b'{"track": {"tempo": 1} "bars": []}',
        b'{"track": {"tempo": 1}} trailing',
        b'{"track": {"tempo": 1}}{"bars":',
        b'  \r\n\t{ "track" :{"tempo":1} }',
        b'{"track":\x0c{"tempo": 1}}',
        b'\xef\xbb\xbf{"track": {"tempo": 1}}',
        b'{"track": {"tempo": 1}, "bars": [{"start": 1}, null, [], 2]}',
    )


def summaries(spark: SparkSession, documents: Iterable[bytes]) -> DataFrame:
    """Each document (numbered ``n`` from 0) with the reader's summary and from_json's."""
    reader = SUMMARIZED["audio_analysis"]
    spark.udf.registerJavaFunction(reader.name, reader.java_class, reader.returns)
    values = spark.createDataFrame(
        list(enumerate(documents)),
        StructType([StructField("n", IntegerType()), StructField("value", BinaryType())]),
    )
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN}
    parsed = F.from_json(F.col("value").cast("string"), with_corrupt(AUDIO_ANALYSIS), options)
    return values.select(
        "n",
        "value",
        F.call_function(reader.name, F.col("value")).alias("reader"),
        reference(parsed).alias("reference"),
    )


def test_the_reader_summarizes_as_from_json_does(spark: SparkSession) -> None:
    rows = summaries(spark, variants())
    assert rows.schema["reader"].dataType == ANALYSIS_SUMMARY
    assert rows.schema["reference"].dataType == ANALYSIS_SUMMARY
    differ = rows.where(~F.col("reader").eqNullSafe(F.col("reference"))).collect()
    assert differ == [], "\n".join(
        f"{r.value[:120]!r}: reader {r.reader}, from_json {r.reference}" for r in differ[:5]
    )
    counts = rows.agg(F.count("*").alias("all"), F.count("reader").alias("fit")).first()
    assert counts is not None
    # both outcomes are exercised, many times each
    assert 100 < counts["fit"] < counts["all"] - 100


def test_the_recorded_analysis_summary(spark: SparkSession) -> None:
    first = summaries(spark, [json.dumps(RECORDED).encode()]).select("reader.*").first()
    assert first is not None
    sections = RECORDED["sections"]
    assert first.asDict() == {
        "analyzer_version": "4.0.0",
        "analysis_duration_s": RECORDED["track"]["duration"],
        "analysis_tempo": 151.94,
        "analysis_tempo_confidence": 0.453,
        "analysis_key": 9,
        "analysis_key_confidence": 0.538,
        "analysis_mode": 0,
        "analysis_mode_confidence": 0.465,
        "analysis_time_signature": 4,
        "analysis_loudness": -5.213,
        "analysis_end_of_fade_in": 0.24943,
        "analysis_start_of_fade_out": 217.58839,
        "sections_count": len(sections),
        "segments_count": len(RECORDED["segments"]),
        "bars_count": len(RECORDED["bars"]),
        "beats_count": len(RECORDED["beats"]),
        "tatums_count": len(RECORDED["tatums"]),
        "sections_key_changes": sum(1 for s in sections if s["key"] != 9),
    }
