"""The three stand-ins agree with what the Spotify stand-in serves: a track's ISRC from
``/v1/tracks`` finds it in Deezer and MusicBrainz, ReccoBeats measures features close to
``/v1/audio-features``, and a release is unknown everywhere until the clock passes it."""

from __future__ import annotations

import httpx
import pytest

from tests.support.enrich import UNLIMITED, USER_AGENT, released_tracks

pytestmark = pytest.mark.integration

_CLOSE = {"loudness": 0.81, "tempo": 2.01, "speechiness": 0.016}


def test_isrcs_served_by_spotify_resolve_in_deezer_and_musicbrainz(start_emulator, api):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    ids = [t.id for t in released_tracks(handle)[:50]]
    spotify = api(handle).json("/tracks", ids=",".join(ids))["tracks"]
    isrcs = [t["external_ids"]["isrc"] for t in spotify]
    with (
        httpx.Client(base_url=handle.deezer_url) as deezer,
        httpx.Client(base_url=handle.musicbrainz_url, headers=USER_AGENT) as musicbrainz,
    ):
        deezer_tracks = [deezer.get(f"/track/isrc:{i}").json() for i in isrcs]
        query = " OR ".join(f"isrc:{i}" for i in isrcs)
        found = musicbrainz.get("/recording", params={"query": query, "limit": 100}).json()
    recordings = {r["isrcs"][0]: r for r in found["recordings"]}
    known = [(s, d) for s, d in zip(spotify, deezer_tracks, strict=True) if "error" not in d]
    assert len(known) >= 45 and len(recordings) >= 35
    for track, deezer_track in known:
        assert deezer_track["isrc"] == track["external_ids"]["isrc"]
        assert deezer_track["title"] == track["name"]
        assert deezer_track["duration"] == round(track["duration_ms"] / 1000)
        assert deezer_track["track_position"] == track["track_number"]
        assert deezer_track["explicit_lyrics"] == track["explicit"]
        assert deezer_track["artist"]["name"] == track["artists"][0]["name"]
        assert deezer_track["album"]["title"] == track["album"]["name"]
    for track in spotify:
        recording = recordings.get(track["external_ids"]["isrc"])
        if recording is not None:
            assert (recording["title"], recording["length"]) == (
                track["name"],
                track["duration_ms"],
            )
            names = [a["name"] for a in track["artists"]]
            assert [c["name"] for c in recording["artist-credit"]] == names
            assert recording["first-release-date"] == track["album"]["release_date"]


def test_reccobeats_features_are_close_to_spotifys(start_emulator, api):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    ids = [t.id for t in released_tracks(handle)[:40]]
    spotify = api(handle).json("/audio-features", ids=",".join(ids))["audio_features"]
    by_id = {f["id"]: f for f in spotify}
    with httpx.Client(base_url=handle.reccobeats_url) as client:
        content = client.get("/audio-features", params={"ids": ",".join(ids)}).json()["content"]
    assert len(content) >= 30
    identical = 0
    for features in content:
        reference = by_id[features["href"].rsplit("/", 1)[1]]
        assert (features["key"], features["mode"]) == (reference["key"], reference["mode"])
        measured = [n for n in features if n not in ("id", "href", "key", "mode")]
        assert len(measured) == 9
        for name in measured:
            assert abs(features[name] - reference[name]) <= _CLOSE.get(name, 0.041), name
            identical += features[name] == reference[name]
        assert features["id"] != reference["id"]  # ReccoBeats' own id
    assert identical < len(content)  # values at a bound may coincide, the rest do not


def test_a_release_is_unknown_everywhere_until_the_clock_passes_it(start_emulator, api):
    shares = {"reccobeats_share": 1.0, "deezer_share": 1.0, "musicbrainz_share": 1.0}
    handle = start_emulator(**UNLIMITED, **shares)
    handle.clock(paused=True)
    catalog = handle.emulator.catalog
    index = catalog.last_released(handle.emulator.clock.release_time()) + 1
    track = catalog.track(index, 0)
    spotify = api(handle)

    def seen() -> list[bool]:
        with httpx.Client() as client:
            features = client.get(
                f"{handle.reccobeats_url}/audio-features", params={"ids": track.id}
            ).json()["content"]
            deezer = client.get(f"{handle.deezer_url}/track/isrc:{track.isrc}").json()
            recordings = client.get(
                f"{handle.musicbrainz_url}/recording",
                params={"query": f"isrc:{track.isrc}"},
                headers=USER_AGENT,
            ).json()["recordings"]
        return [
            spotify.get(f"/tracks/{track.id}").status_code == 200,
            bool(features),
            "error" not in deezer,
            bool(recordings),
        ]

    assert seen() == [False, False, False, False]
    handle.advance(catalog.released_at(index) - handle.emulator.clock.release_time() + 1)
    assert seen() == [True, True, True, True]
