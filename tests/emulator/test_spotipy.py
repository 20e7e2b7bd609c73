"""An unmodified third-party client (spotipy) works by changing only its base URLs."""

from __future__ import annotations

import pytest
import spotipy
from spotipy.oauth2 import SpotifyClientCredentials


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore:You're using:DeprecationWarning")
def test_spotipy_with_changed_base_urls(emulator):
    client = emulator.client("extended")
    auth = SpotifyClientCredentials(
        client_id=client.client_id,
        client_secret=client.client_secret,
        cache_handler=spotipy.MemoryCacheHandler(),
    )
    auth.OAUTH_TOKEN_URL = emulator.token_url  # the only two changes: token URL and API prefix
    sp = spotipy.Spotify(auth_manager=auth, retries=0)
    sp.prefix = emulator.api_url + "/"
    releases = sp.new_releases(country="US", limit=10)["albums"]
    assert len(releases["items"]) == 10
    following = sp.next(releases)["albums"]  # spotipy follows our absolute `next`
    assert following["offset"] == 10
    album = sp.album(releases["items"][0]["id"])
    assert album["id"] == releases["items"][0]["id"]
    track_ids = [t["id"] for t in album["tracks"]["items"]]
    assert [t["id"] for t in sp.tracks(track_ids)["tracks"]] == track_ids
    assert len(sp.audio_features(track_ids)) == len(track_ids)
    assert sp.audio_analysis(track_ids[0])["segments"]
    assert sp.artist(album["artists"][0]["id"])["name"]
    found = sp.search(q="tag:new", type="album", limit=50)["albums"]
    assert found["total"] == emulator.truth()["new"]["albums"]
    assert sp.next(found)["albums"]["offset"] == 50
