"""The recorded real responses and the emulator's responses parse with the same models."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

from tests.support import spotify_models as models

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "spotify"

RECORDED: list[tuple[str, type[BaseModel]]] = [
    ("new_releases.json", models.NewReleases),
    ("album.json", models.Album),
    ("album_tracks.json", models.TracksPage),
    ("track.json", models.Track),
    ("tracks.json", models.ManyTracks),
    ("artists.json", models.Artist),
    ("track_audio_features.json", models.AudioFeatures),
    ("track_audio_analysis.json", models.AudioAnalysis),
]


@pytest.mark.unit
@pytest.mark.parametrize(("name", "model"), RECORDED)
def test_recorded_responses_parse(name, model):
    body = json.loads((FIXTURES / name).read_text())
    parsed = model.model_validate(body)
    # nothing is lost: unknown fields are kept, known ones typed
    assert body.keys() <= parsed.model_dump(exclude_unset=True).keys()


@pytest.mark.unit
def test_old_release_date_object_is_read_as_string():
    album = models.Album.model_validate(json.loads((FIXTURES / "album.json").read_text()))
    assert album.release_date == "1983"
    assert album.release_date_precision == "year"
    assert album.total_tracks is None  # the 2015 recording predates the field
    assert album.tracks is not None and album.tracks.items[0].name


@pytest.mark.unit
def test_recorded_analysis_lacks_loudness_end_and_parses():
    analysis = models.AudioAnalysis.model_validate_json(
        (FIXTURES / "track_audio_analysis.json").read_bytes()
    )
    assert len(analysis.segments) == 811
    # only the final segment carries loudness_end
    assert [s.loudness_end for s in analysis.segments].count(None) == 810


@pytest.mark.integration
@pytest.mark.parametrize("profile", ["extended", "development"])
def test_emulator_responses_parse_with_the_same_models(emulator, api, profile):
    client = api(emulator, profile)
    limit = 10 if profile == "development" else 50
    search = models.SearchAlbums.model_validate(
        client.json("/search", q="tag:new", type="album", limit=limit)
    )
    album_id = search.albums.items[0].id
    album = models.Album.model_validate(client.json(f"/albums/{album_id}"))
    assert album.total_tracks == len(album.tracks.items)  # type: ignore[union-attr]
    page = models.TracksPage.model_validate(client.json(f"/albums/{album_id}/tracks"))
    track = models.Track.model_validate(client.json(f"/tracks/{page.items[0].id}"))
    assert track.album is not None and track.album.id == album_id
    artist = models.Artist.model_validate(client.json(f"/artists/{track.artists[0].id}"))
    if profile == "development":
        assert album.popularity is None and album.available_markets is None
        assert artist.followers is None
        return
    assert album.popularity is not None and album.label
    models.NewReleases.model_validate(client.json("/browse/new-releases"))
    ids = ",".join(t.id for t in page.items)
    assert all(models.ManyTracks.model_validate(client.json("/tracks", ids=ids)).tracks)
    models.ManyAlbums.model_validate(client.json("/albums", ids=album_id))
    models.ManyArtists.model_validate(client.json("/artists", ids=artist.id))
    features = models.ManyAudioFeatures.model_validate(client.json("/audio-features", ids=ids))
    assert [f.id for f in features.audio_features if f] == [t.id for t in page.items]
    models.AudioFeatures.model_validate(client.json(f"/audio-features/{track.id}"))
    analysis = models.AudioAnalysis.model_validate(client.json(f"/audio-analysis/{track.id}"))
    assert analysis.segments and analysis.tatums


@pytest.mark.integration
def test_error_and_token_bodies_parse(emulator, api):
    client = api(emulator)
    error = models.ErrorBody.model_validate(client.get("/albums/bad").json())
    assert error.error.status == 400
    token = httpx.post(
        emulator.token_url,
        data={"grant_type": "client_credentials"},
        auth=(client.client_settings.client_id, client.client_settings.client_secret),
    )
    assert models.Token.model_validate(token.json()).token_type == "Bearer"
    refused = httpx.post(emulator.token_url, data={"grant_type": "client_credentials"})
    assert models.TokenError.model_validate(refused.json()).error == "invalid_client"
