"""POST /api/token (docs/SPOTIFY.md §2) and 401s on the Web API."""

from __future__ import annotations

import httpx
import pytest

GRANT = {"grant_type": "client_credentials"}


@pytest.mark.integration
def test_basic_header_and_form_fields_both_work(emulator):
    client = emulator.client("extended")
    by_header = httpx.post(
        emulator.token_url, data=GRANT, auth=(client.client_id, client.client_secret)
    )
    by_form = httpx.post(
        emulator.token_url,
        data={**GRANT, "client_id": client.client_id, "client_secret": client.client_secret},
    )
    for response in (by_header, by_form):
        assert response.status_code == 200
        body = response.json()
        assert body.keys() == {"access_token", "token_type", "expires_in"}
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600


@pytest.mark.integration
@pytest.mark.parametrize(
    ("auth", "form", "expected"),
    [
        (None, GRANT, {"error": "invalid_client"}),
        (
            ("nobody", "x"),
            GRANT,
            {"error": "invalid_client", "error_description": "Invalid client"},
        ),
        (
            ("extended-client", "wrong"),
            GRANT,
            {"error": "invalid_client", "error_description": "Invalid client secret"},
        ),
        (
            ("extended-client", "extended-secret"),
            {},
            {
                "error": "unsupported_grant_type",
                "error_description": "grant_type parameter is missing",
            },
        ),
    ],
)
def test_token_errors_are_flat_oauth_objects(emulator, auth, form, expected):
    response = httpx.post(emulator.token_url, data=form, auth=auth)
    assert response.status_code == 400
    assert response.json() == expected


@pytest.mark.integration
def test_token_lifetime_is_configurable_and_expiry_gives_401(start_emulator, api):
    handle = start_emulator(token_lifetime_s=120)
    client = api(handle)
    token = httpx.post(
        handle.token_url,
        data=GRANT,
        auth=(client.client_settings.client_id, client.client_settings.client_secret),
    ).json()
    assert token["expires_in"] == 120
    assert client.get("/artists/" + handle.emulator.catalog.artist_id(1)).status_code == 200
    handle.advance(119)
    assert client.get("/artists/" + handle.emulator.catalog.artist_id(1)).status_code == 200
    handle.advance(2)
    expired = client.get("/artists/" + handle.emulator.catalog.artist_id(1))
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}
    client.token = client.new_token()  # no refresh token: a new one, the same way
    assert client.get("/artists/" + handle.emulator.catalog.artist_id(1)).status_code == 200


@pytest.mark.integration
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "No token provided"),
        ({"Authorization": "Bearer not-a-token"}, "Invalid access token"),
        ({"Authorization": "Basic abc"}, "Invalid access token"),
    ],
)
def test_missing_or_invalid_token_gives_401(emulator, headers, message):
    response = httpx.get(
        f"{emulator.api_url}/search", params={"q": "a", "type": "album"}, headers=headers
    )
    assert response.status_code == 401
    assert response.json() == {"error": {"status": 401, "message": message}}
