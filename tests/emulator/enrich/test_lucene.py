"""The MusicBrainz stand-in's query language: ``isrc:`` terms joined by ``OR``, nothing else."""

from __future__ import annotations

import pytest

from tunestream_emulator.enrich.lucene import parse

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("query", "isrcs"),
    [
        ("isrc:USABC2600001", ["USABC2600001"]),
        ("isrc:usabc2600001 OR isrc:GBXYZ2600002", ["USABC2600001", "GBXYZ2600002"]),
        ("isrc:A1 or isrc:B2 Or isrc:C3", ["A1", "B2", "C3"]),
        ('  (isrc:A1 OR (isrc:"B2")) OR isrc:C3 ', ["A1", "B2", "C3"]),
        ("(isrc:A1)", ["A1"]),
        ("isrc:A1 OR isrc:a1", ["A1"]),
    ],
)
def test_isrc_terms_joined_by_or(query, isrcs):
    assert parse(query) == isrcs


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "USABC2600001",
        "artist:Queen",
        "isrc:A1 AND isrc:B2",
        "isrc:A1 isrc:B2",
        "isrc:A1 OR",
        "OR isrc:A1",
        "(isrc:A1",
        "isrc:A1)",
        "()",
        "isrc:A1 ORisrc:B2",
        "isrc:A-1",
        'isrc:"A1',
    ],
)
def test_anything_else_is_not_understood(query):
    assert parse(query) is None
