"""Tokens: personal access tokens, no token, bad credentials, and expiring user tokens refreshed
with rotation at ``POST /login/oauth/access_token``."""

from __future__ import annotations

from urllib.parse import parse_qsl

import httpx
import pytest

pytestmark = pytest.mark.integration

ISSUES = "/repos/octo-org/alpha/issues"
REFRESHED = {
    "access_token",
    "expires_in",
    "refresh_token",
    "refresh_token_expires_in",
    "scope",
    "token_type",
}


def _get(handle, token: str) -> httpx.Response:
    return httpx.get(f"{handle.api_url}{ISSUES}", headers={"Authorization": token})


def _refresh(handle, refresh_token: str, **overrides: str) -> httpx.Response:
    app = handle.settings.apps[0]
    form = {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        **overrides,
    }
    return httpx.post(
        f"{handle.oauth_url}/login/oauth/access_token",
        data=form,
        headers={"Accept": "application/json"},
    )


def test_bearer_and_token_schemes_and_bad_credentials(github):
    token = github.settings.tokens[0].token
    for scheme in ("Bearer", "token"):
        answer = _get(github, f"{scheme} {token}")
        assert answer.status_code == 200 and answer.headers["x-ratelimit-limit"] == "5000"
    wrong = _get(github, "Bearer ghp_wrong")
    assert wrong.status_code == 401
    assert wrong.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    assert wrong.headers["content-type"] == "application/json; charset=utf-8"
    assert wrong.headers["x-ratelimit-limit"] == "60"  # counted against the address
    anonymous = httpx.get(f"{github.api_url}{ISSUES}")
    assert anonymous.status_code == 200 and anonymous.headers["x-ratelimit-limit"] == "60"


def test_an_unsupported_api_version_is_400(github):
    token = f"Bearer {github.settings.tokens[0].token}"
    for version, status in (("2022-11-28", 200), ("2026-03-10", 200), ("2021-01-01", 400)):
        answer = httpx.get(
            f"{github.api_url}{ISSUES}",
            headers={"Authorization": token, "X-GitHub-Api-Version": version},
        )
        assert answer.status_code == status, version


def test_refresh_rotates_both_tokens(start_github):
    handle = start_github()
    granted = handle.authorize()
    assert granted["access_token"].startswith("ghu_")
    assert granted["refresh_token"].startswith("ghr_")
    assert _get(handle, f"Bearer {granted['access_token']}").status_code == 200
    refreshed = _refresh(handle, granted["refresh_token"])
    assert refreshed.status_code == 200
    body = refreshed.json()
    assert body.keys() == REFRESHED and body["token_type"] == "bearer" and body["scope"] == ""
    assert body["expires_in"] == 28_800 and body["refresh_token_expires_in"] == 15_897_600
    assert body["refresh_token"] != granted["refresh_token"]
    # the used refresh token and the access token issued with it no longer work
    reused = _refresh(handle, granted["refresh_token"])
    assert reused.status_code == 200
    assert reused.json()["error"] == "bad_refresh_token"
    assert reused.json().keys() == {"error", "error_description", "error_uri"}
    assert _get(handle, f"Bearer {granted['access_token']}").status_code == 401
    assert _get(handle, f"Bearer {body['access_token']}").status_code == 200
    stats = handle.stats()
    assert stats["token_refreshes"] == 1
    assert stats["refresh_tokens"] == [body["refresh_token"]]
    assert stats["token_requests"] == {"refreshed": 1, "bad_refresh_token": 1}


def test_access_tokens_expire_and_refresh_tokens_can_be_configured(start_github):
    handle = start_github(refresh_tokens=["ghr_configured"])
    handle.set_limits(access_token_lifetime_s=60, max_concurrent=None, max_per_minute=None)
    body = _refresh(handle, "ghr_configured").json()
    assert body["expires_in"] == 60
    assert _get(handle, f"Bearer {body['access_token']}").status_code == 200
    handle.advance(61)
    expired = _get(handle, f"Bearer {body['access_token']}")
    assert expired.status_code == 401 and expired.json()["message"] == "Bad credentials"
    assert _refresh(handle, body["refresh_token"]).json()["token_type"] == "bearer"


def test_refused_refreshes(start_github):
    handle = start_github()
    refresh_token = handle.authorize()["refresh_token"]
    wrong_secret = _refresh(handle, refresh_token, client_secret="nope").json()
    assert wrong_secret["error"] == "incorrect_client_credentials"
    wrong_grant = _refresh(handle, refresh_token, grant_type="authorization_code").json()
    assert wrong_grant["error"] == "unsupported_grant_type"
    assert _refresh(handle, "ghr_unknown").json()["error"] == "bad_refresh_token"
    # none of these used the refresh token up
    assert handle.stats()["refresh_tokens"] == [refresh_token]


def test_the_answer_is_form_encoded_unless_json_is_accepted(start_github):
    handle = start_github()
    app = handle.settings.apps[0]
    answer = httpx.post(
        f"{handle.oauth_url}/login/oauth/access_token",
        params={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": handle.authorize()["refresh_token"],
        },
    )
    assert answer.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert dict(parse_qsl(answer.text, keep_blank_values=True)).keys() == REFRESHED
