"""Ids: their shape, multi-id limits, null slots for unknown ids, 400 and 404."""

from __future__ import annotations

import re

import pytest

from tunestream_emulator.ids import EntityRef, IdCodec, Kind

TOO_MANY = {"error": {"status": 400, "message": "Too many ids requested"}}
INVALID = {"error": {"status": 400, "message": "invalid id"}}


@pytest.mark.unit
def test_ids_are_22_base62_chars_and_decode_back():
    codec = IdCodec(seed=3)
    refs = [EntityRef(Kind.ALBUM, -5000), EntityRef(Kind.TRACK, 12, 7), EntityRef(Kind.ARTIST, 0)]
    ids = [codec.encode(r) for r in refs]
    assert all(re.fullmatch(r"[0-9A-Za-z]{22}", i) for i in ids)
    assert [codec.decode(i) for i in ids] == refs
    assert IdCodec(seed=3).encode(refs[0]) == ids[0]  # deterministic
    assert IdCodec(seed=4).encode(refs[0]) != ids[0]  # keyed by the seed
    assert IdCodec(seed=4).decode(ids[0]) is None  # another catalog's id is unknown
    assert codec.decode("4iV5W9uYEdYUVa79Axb7Rh") is None  # a real Spotify id is unknown


def _known(emulator, count):
    catalog = emulator.emulator.catalog
    albums = [catalog.album(catalog.first_index + i) for i in range(count)]
    tracks = [t for a in albums for t in a.track_ids]
    artists = list(dict.fromkeys(a for album in albums for a in album.artist_ids))
    return [a.id for a in albums], tracks, artists


@pytest.mark.integration
@pytest.mark.parametrize(
    ("path", "key", "most"),
    [
        ("/albums", "albums", 20),
        ("/tracks", "tracks", 50),
        ("/artists", "artists", 50),
        ("/audio-features", "audio_features", 100),
    ],
)
def test_multi_id_limits(emulator, api, path, key, most):
    client = api(emulator)
    albums, tracks, artists = _known(emulator, 60)
    pool = {"/albums": albums, "/tracks": tracks, "/artists": artists, "/audio-features": tracks}[
        path
    ]
    pool = (pool * 3)[: most + 1]
    assert len(client.json(path, ids=",".join(pool[:most]))[key]) == most
    over = client.get(path, ids=",".join(pool))
    assert (over.status_code, over.json()) == (400, TOO_MANY)


@pytest.mark.integration
def test_unknown_ids_give_null_slots_in_position(emulator, api):
    client = api(emulator)
    albums, tracks, artists = _known(emulator, 2)
    unknown = "0" * 22
    future = emulator.emulator.catalog.track_id(10**6, 0)  # not released yet
    body = client.json("/audio-features", ids=f"{unknown},{tracks[0]},{future}")
    assert body["audio_features"][0] is None and body["audio_features"][2] is None
    assert body["audio_features"][1]["id"] == tracks[0]
    assert client.json("/albums", ids=f"{albums[0]},{unknown}")["albums"][1] is None
    assert client.json("/tracks", ids=f"{unknown},{tracks[1]}")["tracks"][0] is None
    # an id of another kind is unknown here too
    assert client.json("/artists", ids=f"{albums[0]},{artists[0]}")["artists"][0] is None


@pytest.mark.integration
def test_invalid_and_unknown_single_ids(emulator, api):
    client = api(emulator)
    albums, _, _ = _known(emulator, 1)
    for path in ("/albums/abc", "/tracks/" + "!" * 22, "/artists/" + "a" * 23):
        response = client.get(path)
        assert (response.status_code, response.json()) == (400, INVALID), path
    assert client.get("/albums", ids="abc").json() == INVALID
    not_found = client.get("/albums/" + "1" * 22)
    assert not_found.status_code == 404
    assert not_found.json()["error"]["status"] == 404
    missing = client.get("/audio-analysis/" + "1" * 22)
    assert missing.json() == {"error": {"status": 404, "message": "analysis not found"}}
    assert client.get(f"/tracks/{albums[0]}").status_code == 404  # an album id is no track
