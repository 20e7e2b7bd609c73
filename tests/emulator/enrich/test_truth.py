"""The stand-ins' ground truth, in process: deterministic, each service knowing its share of the
catalog, describing the Spotify stand-in's tracks, and only those released."""

from __future__ import annotations

import statistics

import pytest

from tests.support.emulator import emulator_settings
from tunestream_emulator.service import Emulator

pytestmark = pytest.mark.unit

_UNIT_FEATURES = ("acousticness", "danceability", "energy", "instrumentalness", "liveness")
_SPREAD = {"loudness": 0.8, "tempo": 2.0, "speechiness": 0.015, "valence": 0.04}


def _world(**overrides):
    emulator = Emulator(emulator_settings(**overrides), "http://127.0.0.1:9")
    emulator.clock.set_paused(True)
    return emulator


def _tracks(emulator, albums):
    catalog = emulator.catalog
    last = catalog.last_released(emulator.clock.release_time())
    return [
        catalog.track(i, n)
        for i in range(last - albums + 1, last + 1)
        for n in range(catalog.total_tracks(i))
    ]


@pytest.fixture(scope="module")
def world():
    return _world()


@pytest.fixture(scope="module")
def tracks(world):
    return _tracks(world, 600)


def test_truth_is_a_function_of_the_catalog_and_the_settings(world):
    again, other = _world(), _world(seed=8)
    for track in _tracks(world, 40):
        assert again.reccobeats.features(track.id) == world.reccobeats.features(track.id)
        assert again.deezer.track(track.isrc) == world.deezer.track(track.isrc)
        assert again.musicbrainz.recording(track.isrc) == world.musicbrainz.recording(track.isrc)
    assert again.deezer.releases() == world.deezer.releases()

    def mbids(emulator):
        recordings = (emulator.musicbrainz.recording(t.isrc) for t in _tracks(emulator, 40))
        return {r["id"] for r in recordings if r}

    assert mbids(world) and not mbids(world) & mbids(other)  # another seed, another world


def test_each_service_knows_its_share(world, tracks):
    assert len(tracks) > 3000
    recco = [world.reccobeats.features(t.id) for t in tracks]
    deezer = [world.deezer.track(t.isrc) for t in tracks]
    brainz = [world.musicbrainz.recording(t.isrc) for t in tracks]
    known = {
        name: [v for v in values if v]
        for name, values in [("recco", recco), ("deezer", deezer), ("brainz", brainz)]
    }
    assert len(known["recco"]) / len(tracks) == pytest.approx(0.9, abs=0.03)
    assert len(known["deezer"]) / len(tracks) == pytest.approx(0.95, abs=0.02)
    assert len(known["brainz"]) / len(tracks) == pytest.approx(0.8, abs=0.03)
    with_bpm = sum(d["bpm"] > 0 for d in known["deezer"]) / len(known["deezer"])
    assert with_bpm == pytest.approx(0.7, abs=0.04)
    assert all(isinstance(d["bpm"], float) for d in known["deezer"])  # 0.0 without one, not null
    tagged = sum("tags" in r for r in known["brainz"]) / len(known["brainz"])
    assert tagged == pytest.approx(0.85, abs=0.04)
    # the draws are independent: knowing a track in one service says nothing of another
    both = sum(bool(r and d) for r, d in zip(recco, deezer, strict=True)) / len(tracks)
    assert both == pytest.approx(0.9 * 0.95, abs=0.03)


def test_shares_of_zero_and_one():
    nobody = _world(reccobeats_share=0.0, deezer_share=0.0, musicbrainz_share=0.0)
    everybody = _world(reccobeats_share=1.0, deezer_share=1.0, musicbrainz_share=1.0)
    everybody_bpm_less = _world(deezer_share=1.0, deezer_bpm_share=0.0)
    for track in _tracks(nobody, 30):
        assert nobody.reccobeats.features(track.id) is None
        assert nobody.deezer.track(track.isrc) is None
        assert nobody.musicbrainz.recording(track.isrc) is None
        assert everybody.reccobeats.features(track.id) is not None
        assert everybody.deezer.track(track.isrc) is not None
        assert everybody.musicbrainz.recording(track.isrc) is not None
        assert everybody_bpm_less.deezer.track(track.isrc)["bpm"] == 0


def test_reccobeats_measures_close_to_spotify_but_not_the_same(world, tracks):
    differences: dict[str, list[float]] = {}
    for track in tracks[:800]:
        features = world.reccobeats.features(track.id)
        if features is None:
            continue
        spotify = world.catalog.features(track.album_index, track.number)
        assert features["href"] == f"https://open.spotify.com/track/{track.id}"
        assert (features["key"], features["mode"]) == (spotify.key, spotify.mode)
        assert "time_signature" not in features and "duration_ms" not in features
        for name in (*_UNIT_FEATURES, *_SPREAD):
            difference = abs(features[name] - getattr(spotify, name))
            assert difference <= _SPREAD.get(name, 0.04) + 1e-4, (name, track.id)  # 4 decimals
            differences.setdefault(name, []).append(difference)
    for name, values in differences.items():
        assert statistics.mean(values) > 0.1 * _SPREAD.get(name, 0.04), name  # measured again
    assert (
        len({f["id"] for f in map(world.reccobeats.features, (t.id for t in tracks[:800])) if f})
        > 700
    )


def test_deezer_and_musicbrainz_describe_the_spotify_track(world, tracks):
    catalog = world.catalog
    for track in tracks[:400]:
        album = catalog.album(track.album_index)
        artists = [catalog.artist_name(catalog.ids.decode(a).index) for a in track.artist_ids]
        deezer = world.deezer.track(track.isrc.lower())  # an ISRC in any case
        if deezer is not None:
            assert (deezer["isrc"], deezer["title"]) == (track.isrc, track.name)
            assert deezer["duration"] == round(track.duration_ms / 1000)
            assert deezer["track_position"] == track.number + 1
            assert deezer["explicit_lyrics"] == track.explicit
            assert deezer["artist"]["name"] == artists[0]
            assert deezer["album"]["title"] == album.name
            assert deezer["release_date"][:4] == album.release_date[:4]
            assert deezer["gain"] < 0
            tempo = catalog.features(track.album_index, track.number).tempo
            assert deezer["bpm"] == 0 or abs(deezer["bpm"] - tempo) <= 1.6
        recording = world.musicbrainz.recording(track.isrc)
        if recording is not None:
            assert (recording["title"], recording["length"]) == (track.name, track.duration_ms)
            assert recording["isrcs"] == [track.isrc]
            assert [c["name"] for c in recording["artist-credit"]] == artists
            assert recording["first-release-date"] == album.release_date
            assert recording["score"] == 100


def test_what_is_not_a_released_track_is_unknown(world):
    catalog = world.catalog
    now = world.clock.release_time()
    future = catalog.track(catalog.last_released(now) + 1, 0)
    album = catalog.album_id(catalog.first_index)
    isrc = _tracks(world, 1)[0].isrc
    for track_id in (future.id, album, "4iV5W9uYEdYUVa79Axb7Rh", "not an id", ""):
        assert world.reccobeats.features(track_id) is None, track_id
    other_year = f"{isrc[:5]}25{isrc[7:]}"
    for unknown in (future.isrc, other_year, "USABC2600001", "nonsense"):
        assert world.deezer.track(unknown) is None, unknown
        assert world.musicbrainz.recording(unknown) is None, unknown


def test_a_release_becomes_known_when_the_clock_passes_it():
    world = _world(reccobeats_share=1.0, deezer_share=1.0, musicbrainz_share=1.0)
    catalog = world.catalog
    index = catalog.last_released(world.clock.release_time()) + 1
    track = catalog.track(index, 0)
    assert world.deezer.track(track.isrc) is None
    world.clock.advance(catalog.released_at(index) - world.clock.release_time() + 1)
    assert world.reccobeats.features(track.id) is not None
    assert world.deezer.track(track.isrc) is not None
    assert world.musicbrainz.recording(track.isrc) is not None
    assert world.deezer.releases()[0]["id"] == world.deezer.track(track.isrc)["album"]["id"]


def test_deezer_releases_are_the_newest_albums_it_knows(world):
    releases = world.deezer.releases()
    assert len(releases) == 100
    assert len({a["id"] for a in releases}) == 100
    dates = [a["release_date"] for a in releases]
    assert dates == sorted(dates, reverse=True)
    newest = world.catalog.album(world.catalog.last_released(world.clock.release_time()))
    titles = [a["title"] for a in releases]
    assert newest.name in titles[:3]  # the newest (unless Deezer does not know it) leads
