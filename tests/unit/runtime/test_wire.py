"""The records and dead letters the producer writes, byte for byte."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tunestream.errors import FetchError, HttpStatusError, MalformedBody
from tunestream.records import Record
from tunestream.runtime.wire import Wire, record_bytes

pytestmark = pytest.mark.unit

TOPICS = {
    "albums": "spotify.albums",
    "tracks": "spotify.tracks",
    "dead_letter": "spotify.dead_letter",
    "source_plan": "tunestream.source_plan",
}
WIRE = Wire(
    "spotify",
    "20261120T120000Z-abcd1234",
    TOPICS,
    now=lambda: datetime(2026, 11, 20, 12, 0, 1, 234567, tzinfo=UTC),
)


def test_a_record_carries_its_source_cycle_time_schema_and_context_in_headers() -> None:
    record = WIRE.record(
        "albums", "spotify.album.v1", "a1", {"id": "a1", "n": 2}, {"market": "SE", "_next": "u"}
    )
    assert record == Record(
        "spotify.albums",
        b"a1",
        b'{"id":"a1","n":2}',
        (
            ("tunestream.source", b"spotify"),
            ("tunestream.cycle", b"20261120T120000Z-abcd1234"),
            ("tunestream.fetched_at", b"2026-11-20T12:00:01.234Z"),
            ("tunestream.schema", b"spotify.album.v1"),
            ("tunestream.market", b"SE"),
        ),
    )


def test_a_record_without_a_schema_has_no_schema_header() -> None:
    record = WIRE.record("albums", None, "a1", {"id": "a1"}, {})
    assert [name for name, _ in record.headers] == [
        "tunestream.source",
        "tunestream.cycle",
        "tunestream.fetched_at",
    ]


def test_the_plan_record_names_the_topics_delivered_and_why_resources_are_closed() -> None:
    closed = {"audio_features": "forbidden to these credentials (HTTP 403)"}
    record = WIRE.plan(["tracks", "albums"], closed)
    assert record == Record(
        "tunestream.source_plan",
        b"spotify",
        b'{"source":"spotify","delivers":["spotify.albums","spotify.tracks"],'
        b'"closed":{"audio_features":"forbidden to these credentials (HTTP 403)"},'
        b'"at":"2026-11-20T12:00:01.234Z"}',
        (
            ("tunestream.source", b"spotify"),
            ("tunestream.cycle", b"20261120T120000Z-abcd1234"),
            ("tunestream.fetched_at", b"2026-11-20T12:00:01.234Z"),
            ("tunestream.schema", b"tunestream.source_plan.v1"),
        ),
    )


def test_a_dead_letter_of_a_status_error() -> None:
    error = HttpStatusError(
        "GET /albums?ids=a1,a2: 400", url="https://x.test/albums", status=400, body='{"e":1}'
    )
    letter = WIRE.dead_letter("albums", ["a1", "a2"], error)
    assert letter == Record(
        "spotify.dead_letter",
        b"spotify/albums/a1",
        b'{"source":"spotify","resource":"albums","items":["a1","a2"],'
        b'"cycle":"20261120T120000Z-abcd1234","url":"https://x.test/albums",'
        b'"error":"GET /albums?ids=a1,a2: 400","status":400,"body":"{\\"e\\":1}",'
        b'"at":"2026-11-20T12:00:01.234Z"}',
    )


def test_a_dead_letter_of_a_malformed_body_decodes_it_leniently() -> None:
    error = MalformedBody("not JSON", url="u", body=b"<html>\xff")
    letter = WIRE.dead_letter("albums", ["a1"], error)
    assert letter.value == (
        b'{"source":"spotify","resource":"albums","items":["a1"],'
        b'"cycle":"20261120T120000Z-abcd1234","url":"u","error":"not JSON","status":null,'
        b'"body":"<html>\xef\xbf\xbd","at":"2026-11-20T12:00:01.234Z"}'
    )


def test_a_dead_letter_without_items_or_body() -> None:
    letter = WIRE.dead_letter("albums", [], FetchError("reset"))
    assert letter.key == b"spotify/albums/"
    assert b'"items":[]' in (letter.value or b"")
    assert b'"url":"","error":"reset","status":null,"body":""' in (letter.value or b"")


def test_a_dead_letter_keeps_at_most_one_mebibyte_of_the_body() -> None:
    error = HttpStatusError("too big", status=413, body="x" * (1024 * 1024 + 10))
    value = WIRE.dead_letter("albums", ["a1"], error).value or b""
    assert b'"body":"' + b"x" * 1048576 + b'","at"' in value


def test_a_record_is_held_to_its_key_value_and_headers_and_the_framing_of_its_batch() -> None:
    record = Record("spotify.tracks", b"t1", b"x" * 1000, (("tunestream.source", b"spotify"),))
    # 2 + 1000 + (17 + 7), and at most 61 (batch header) + 36 (record) + 10 (header) framing
    assert record_bytes(record) == 1026 + 107
    assert record_bytes(Record("spotify.tracks", b"t1", None)) == 2 + 97


def test_a_record_at_the_limit_fits_and_one_byte_more_is_refused() -> None:
    limit = 1024 * 1024
    wire = replace(WIRE, limits={"spotify.tracks": limit})
    at_limit = Record("spotify.tracks", b"t1", b"x" * (limit - 2 - 97))
    assert wire.refused("tracks", "t1", at_limit) is None
    over = replace(at_limit, value=b"x" * (limit - 2 - 97 + 1))
    refused = wire.refused("tracks", "t1", over)
    assert refused is not None
    letter, why = refused
    assert why == "too large: 1.0 MB > 1 MiB topic limit"
    assert letter == Record(
        "spotify.dead_letter",
        b"spotify/tracks/t1",
        b'{"source":"spotify","resource":"tracks","items":["t1"],'
        b'"cycle":"20261120T120000Z-abcd1234","url":null,'
        b'"error":"too large: 1.0 MB > 1 MiB topic limit","status":null,"body":"",'
        b'"at":"2026-11-20T12:00:01.234Z","topic":"spotify.tracks","size":1048577,'
        b'"limit":1048576}',
    )


def test_an_oversized_dead_letter_says_its_size_and_limit_and_keeps_no_body() -> None:
    wire = replace(WIRE, limits={"spotify.tracks": 16 * 1024 * 1024, "spotify.albums": 5000})
    big = WIRE.record("tracks", None, "t1", {"segments": "s" * 23_400_000}, {})
    refused = wire.refused("tracks", "t1", big)
    assert refused is not None
    letter, why = refused
    assert why == "too large: 23.4 MB > 16 MiB topic limit"
    assert len(letter.value or b"") < 1000
    odd = wire.refused("albums", "a1", WIRE.record("albums", None, "a1", {"n": "n" * 6000}, {}))
    assert odd is not None and odd[1].endswith("> 5,000 bytes topic limit")


def test_a_topic_without_a_limit_refuses_nothing() -> None:
    assert WIRE.refused("tracks", "t1", Record("spotify.tracks", b"t1", b"x" * 20_000_000)) is None
