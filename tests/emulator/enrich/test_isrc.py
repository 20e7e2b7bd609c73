"""ISRCs: the catalog's decode back to their tracks without a table, unique, keyed by the seed."""

from __future__ import annotations

import re

import pytest

from tests.support.emulator import emulator_settings
from tunestream_emulator.catalog import Catalog
from tunestream_emulator.ids import EntityRef, IsrcCodec, Kind

pytestmark = pytest.mark.unit


def test_isrcs_are_well_formed_and_decode_back():
    codec = IsrcCodec(seed=3)
    refs = [
        EntityRef(Kind.TRACK, -240_000, 0),
        EntityRef(Kind.TRACK, 12, 29),
        EntityRef(Kind.TRACK, 5_000_000, 7),
    ]
    isrcs = [codec.encode(r, 2026) for r in refs]
    assert all(re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}26[0-9]{5}", i) for i in isrcs), isrcs
    assert [codec.decode(i) for i in isrcs] == refs
    assert IsrcCodec(seed=3).encode(refs[0], 2026) == isrcs[0]  # deterministic
    assert IsrcCodec(seed=4).encode(refs[0], 2026) != isrcs[0]  # keyed by the seed
    assert codec.encode(refs[0], 2025)[5:7] == "25"  # the year is the release's


def test_isrcs_are_unique_and_look_random():
    codec = IsrcCodec(seed=3)
    isrcs = [
        codec.encode(EntityRef(Kind.TRACK, i, n), 2026) for i in range(-300, 300) for n in range(31)
    ]
    assert len(set(isrcs)) == len(isrcs)
    assert len({i[:2] for i in isrcs}) > 6  # consecutive tracks do not share a country
    assert len({i[7:] for i in isrcs[:31]}) == 31


def test_what_no_codec_issues_does_not_decode():
    codec = IsrcCodec(seed=3)
    for isrc in ("usabc2600001", "XXABC2600001", "US-AB1-26-00001", "USABC260001", ""):
        assert codec.decode(isrc) is None, isrc
    with pytest.raises(ValueError, match="beyond"):
        codec.encode(EntityRef(Kind.TRACK, 10**9, 0), 2026)
    with pytest.raises(ValueError, match="beyond"):
        codec.encode(EntityRef(Kind.TRACK, 0, 32), 2026)


def test_the_catalog_isrcs_name_their_tracks():
    catalog = Catalog(emulator_settings())
    tracks = [
        catalog.track(i, n)
        for i in range(catalog.first_index, catalog.first_index + 300)
        for n in range(catalog.total_tracks(i))
    ]
    assert len({t.isrc for t in tracks}) == len(tracks)
    assert all(t.isrc[5:7] == "26" for t in tracks)  # the test catalog releases in 2026
    for track in tracks:
        assert catalog.isrcs.decode(track.isrc) == EntityRef(
            Kind.TRACK, track.album_index, track.number
        )
