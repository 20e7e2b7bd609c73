"""A ``/v1`` path with a trailing slash is answered as without it, as api.spotify.com does: no
307 redirect (which a client that sends ``Authorization`` and does not follow redirects, or
that drops the header on a redirect, would not get past)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_a_trailing_slash_is_answered_directly(emulator, api):
    client = api(emulator)
    catalog = emulator.emulator.catalog
    album = catalog.album(catalog.last_released(emulator.emulator.clock.release_time()))
    track = album.track_ids[0]
    for path, params in [
        ("/albums", {"ids": album.id}),
        (f"/albums/{album.id}", {}),
        (f"/albums/{album.id}/tracks", {"limit": 2}),
        ("/tracks", {"ids": track}),
        (f"/tracks/{track}", {}),
        ("/audio-features", {"ids": track}),
        ("/search", {"q": "tag:new", "type": "album", "limit": 3}),
        ("/browse/new-releases", {"limit": 3}),
    ]:
        plain = client.get(path, **params)
        slashed = client.get(f"{path}/", **params)
        assert plain.status_code == 200, path
        assert (slashed.status_code, slashed.content) == (200, plain.content), path
    assert client.get("/albums/").status_code == 400  # the same checks: no ids
    assert client.get("/nothing-here/").status_code == 404
