"""Every JSON body the emulator sends validates against the Web API's OpenAPI schema.

The schema is OpenAPI 3.0: ``nullable`` becomes ``anyOf [.., null]`` for JSON Schema. For the
``development`` profile, the fields docs/SPOTIFY.md §1 lists as removed are taken out of the
schema's ``required`` lists (the schema documents the full shape). The schema's multi-id arrays
do not allow ``null``; null slots are tested in test_ids.py.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support.openapi import json_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "tests/fixtures/spotify/openapi.yml"
DEVELOPMENT_REMOVED = {
    "AlbumBase": {"available_markets"},
    "AlbumObject": {"label", "popularity"},
    "TrackObject": {"available_markets", "linked_from", "popularity"},
    "SimplifiedTrackObject": {"available_markets", "linked_from"},
    "ArtistObject": {"followers", "popularity"},
}


@cache
def _components(profile: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    components: dict[str, Any] = yaml.load(SCHEMA.read_text(), Loader=loader)["components"]
    if profile == "development":
        components = copy.deepcopy(components)
        for name, removed in DEVELOPMENT_REMOVED.items():
            schema = components["schemas"][name]
            for part in [schema, *schema.get("allOf", [])]:
                if "required" in part:
                    part["required"] = [f for f in part["required"] if f not in removed]
    return {"components": json_schema(components)}


def validate(profile: str, response: str, body: Any) -> None:
    pointer = f"#/components/responses/{response}/content/application~1json/schema"
    validator = Draft202012Validator({**_components(profile), "$ref": pointer})
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{response}: " + "; ".join(
        f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]
    )


def _walk(api: Any, profile: str) -> list[tuple[str, str, Any]]:
    """(path, schema response, body) for every endpoint the profile may use."""
    bodies: list[tuple[str, str, Any]] = []
    extended = profile == "extended"
    search = api.json("/search", q="tag:new", type="album", limit=10 if not extended else 50)
    bodies.append(("/search", "SearchItems", search))
    album_ids = [a["id"] for a in search["albums"]["items"]]
    # a long album, so that album tracks page and tracks include every shape
    albums = [api.json(f"/albums/{a}") for a in album_ids[:10]]
    bodies += [("/albums/{id}", "OneAlbum", a) for a in albums]
    big = max(albums, key=lambda a: a["total_tracks"])
    tracks_page = api.json(f"/albums/{big['id']}/tracks", limit=5, offset=1)
    bodies.append(("/albums/{id}/tracks", "PagingSimplifiedTrackObject", tracks_page))
    track_ids = [t["id"] for t in tracks_page["items"]]
    bodies.append(("/tracks/{id}", "OneTrack", api.json(f"/tracks/{track_ids[0]}")))
    artist_id = big["artists"][0]["id"]
    bodies.append(("/artists/{id}", "OneArtist", api.json(f"/artists/{artist_id}")))
    if extended:
        bodies.append(
            ("/browse/new-releases", "PagedAlbums", api.json("/browse/new-releases", limit=50))
        )
        bodies.append(("/albums", "ManyAlbums", api.json("/albums", ids=",".join(album_ids[:20]))))
        bodies.append(("/tracks", "ManyTracks", api.json("/tracks", ids=",".join(track_ids))))
        bodies.append(("/artists", "ManyArtists", api.json("/artists", ids=artist_id)))
        bodies.append(
            (
                "/audio-features/{id}",
                "OneAudioFeatures",
                api.json(f"/audio-features/{track_ids[0]}"),
            )
        )
        bodies.append(
            (
                "/audio-features",
                "ManyAudioFeatures",
                api.json("/audio-features", ids=",".join(track_ids)),
            )
        )
        bodies.append(
            (
                "/audio-analysis/{id}",
                "OneAudioAnalysis",
                api.json(f"/audio-analysis/{track_ids[0]}"),
            )
        )
    return bodies


@pytest.mark.integration
@pytest.mark.parametrize("profile", ["extended", "development"])
def test_every_body_validates_against_the_openapi_schema(emulator, api, profile):
    client = api(emulator, profile)
    bodies = _walk(client, profile)
    paths = {path for path, _, _ in bodies}
    expected = 12 if profile == "extended" else 5
    assert len(paths) == expected, paths
    for _, response, body in bodies:
        validate(profile, response, body)


@pytest.mark.integration
def test_development_bodies_fail_the_unrelaxed_schema(emulator, api):
    """The relaxation is needed: removed fields really are absent."""
    client = api(emulator, "development")
    album_id = client.json("/search", q="tag:new", type="album", limit=1)["albums"]["items"][0][
        "id"
    ]
    with pytest.raises(AssertionError, match="available_markets"):
        validate("extended", "OneAlbum", client.json(f"/albums/{album_id}"))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("path", "params", "status", "response"),
    [
        ("/albums/not-an-id", {}, 400, "BadRequest"),
        ("/albums/0000000000000000000000", {}, 404, "NotFound"),
        ("/browse/new-releases", {"limit": 51}, 400, "BadRequest"),
    ],
)
def test_error_bodies_validate(emulator, api, path, params, status, response):
    client = api(emulator)
    answer = client.get(path, **params)
    assert answer.status_code == status
    validate("extended", response, answer.json())


@pytest.mark.integration
def test_401_403_429_bodies_validate(start_emulator, api):
    handle = start_emulator(rate_limit_per_30s=2)
    development = api(handle, "development")
    forbidden = development.get("/browse/new-releases")
    assert forbidden.status_code == 403
    validate("development", "Forbidden", forbidden.json())
    development.get("/search", q="tag:new", type="album")
    limited = development.get("/search", q="tag:new", type="album")
    assert limited.status_code == 429
    validate("development", "TooManyRequests", limited.json())
    unauthorized = development.http.get("/search", params={"q": "x", "type": "album"})
    assert unauthorized.status_code == 401
    validate("development", "Unauthorized", unauthorized.json())
