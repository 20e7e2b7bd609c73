"""Access profiles (docs/SPOTIFY.md §1): what extended and development apps may call and get."""

from __future__ import annotations

import pytest

from tunestream_emulator import ClientSettings

FORBIDDEN = {"error": {"status": 403, "message": "Forbidden"}}


def _ids(emulator):
    catalog = emulator.emulator.catalog
    album = catalog.album(catalog.first_index + 3)
    return album.id, album.track_ids[0], album.artist_ids[0]


@pytest.mark.integration
def test_development_profile_is_refused_the_removed_endpoints(emulator, api):
    client = api(emulator, "development")
    album, track, artist = _ids(emulator)
    removed = [
        ("/browse/new-releases", {}),
        ("/albums", {"ids": album}),
        ("/tracks", {"ids": track}),
        ("/artists", {"ids": artist}),
        ("/audio-features", {"ids": track}),
        (f"/audio-features/{track}", {}),
        (f"/audio-analysis/{track}", {}),
    ]
    for path, params in removed:
        response = client.get(path, **params)
        assert (response.status_code, response.json()) == (403, FORBIDDEN), path
    for path in (
        f"/albums/{album}",
        f"/albums/{album}/tracks",
        f"/tracks/{track}",
        f"/artists/{artist}",
    ):
        assert client.get(path).status_code == 200, path


@pytest.mark.integration
def test_development_bodies_lack_the_removed_fields_extended_has_them(emulator, api):
    album, track, artist = _ids(emulator)
    removed = {
        f"/albums/{album}": {"available_markets", "label", "popularity"},
        f"/tracks/{track}": {"available_markets", "popularity"},
        f"/artists/{artist}": {"followers", "popularity"},
    }
    development, extended = api(emulator, "development"), api(emulator, "extended")
    for path, fields in removed.items():
        assert not fields & development.json(path).keys(), path
        assert fields <= extended.json(path).keys(), path
    # everywhere they would appear: nested simplified albums and tracks too
    dev_track = development.json(f"/tracks/{track}")
    assert "available_markets" not in dev_track["album"]
    assert all(
        "available_markets" not in t for t in development.json(f"/albums/{album}/tracks")["items"]
    )
    assert "available_markets" in extended.json(f"/tracks/{track}")["album"]
    # ISRC/UPC stay (March 2026 changelog)
    assert dev_track["external_ids"]["isrc"]
    assert development.json(f"/albums/{album}")["external_ids"]["upc"]


@pytest.mark.integration
def test_search_limits_per_profile(emulator, api):
    development, extended = api(emulator, "development"), api(emulator, "extended")
    query = {"q": "tag:new", "type": "album"}
    assert development.json("/search", **query)["albums"]["limit"] == 5
    assert len(development.json("/search", **query, limit=10)["albums"]["items"]) == 10
    too_many = development.get("/search", **query, limit=11)
    assert too_many.status_code == 400
    assert too_many.json() == {"error": {"status": 400, "message": "Invalid limit"}}
    assert extended.json("/search", **query)["albums"]["limit"] == 20
    assert len(extended.json("/search", **query, limit=50)["albums"]["items"]) == 50
    assert extended.get("/search", **query, limit=51).status_code == 400


@pytest.mark.integration
def test_per_client_overrides_model_older_apps(start_emulator, api):
    clients = [
        ClientSettings(
            client_id="old-dev", client_secret="s1", profile="development", batch_endpoints=True
        ),
        ClientSettings(
            client_id="new-ext", client_secret="s2", profile="extended", audio_features=False
        ),
    ]
    handle = start_emulator(clients=clients)
    old_dev, new_ext = api(handle, "development"), api(handle, "extended")
    album, track, _ = _ids(handle)
    assert old_dev.get("/albums", ids=album).status_code == 200
    assert old_dev.get("/audio-features", ids=track).status_code == 403
    assert new_ext.get("/audio-features", ids=track).status_code == 403
    assert new_ext.get(f"/audio-analysis/{track}").status_code == 403
    assert new_ext.get("/tracks", ids=track).status_code == 200
