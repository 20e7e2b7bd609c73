"""Faults on demand: scripted and random 5xx, latency, resets, timeouts, broken bodies."""

from __future__ import annotations

import json
import time

import httpx
import pytest

BROKEN_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError)


def _search(client, timeout=10.0):
    return client.http.get(
        "/search",
        params={"q": "tag:new", "type": "album", "limit": 2},
        headers={"Authorization": f"Bearer {client.token}"},
        timeout=timeout,
    )


@pytest.mark.integration
def test_scripted_5xx_sequence_then_normal(start_emulator, api):
    handle = start_emulator()
    client = api(handle)
    state = handle.set_faults(script=["503", "502", "ok", "500"])
    assert state["remaining_script"] == ["503", "502", "ok", "500"]
    statuses = [_search(client).status_code for _ in range(5)]
    assert statuses == [503, 502, 200, 500, 200]
    assert handle.admin("GET", "faults")["remaining_script"] == []
    counts = handle.requests()["endpoints"]["GET /v1/search"]
    assert counts == {"200": 2, "500": 1, "502": 1, "503": 1}


@pytest.mark.integration
def test_error_rate_draws_5xx(start_emulator, api):
    handle = start_emulator()
    client = api(handle)
    handle.set_faults(error_rate=1.0, error_statuses=[502])
    assert {_search(client).status_code for _ in range(5)} == {502}
    handle.set_faults(error_rate=0.5, seed=1)
    statuses = [_search(client).status_code for _ in range(40)]
    assert 5 < statuses.count(200) < 35 and set(statuses) <= {200, 500, 502, 503}


@pytest.mark.integration
def test_added_latency(start_emulator, api):
    handle = start_emulator(faults={"latency_ms": 300})
    client = api(handle)
    started = time.perf_counter()
    assert _search(client).status_code == 200
    assert time.perf_counter() - started >= 0.3


@pytest.mark.integration
def test_connection_reset(start_emulator, api):
    handle = start_emulator()
    client = api(handle)
    handle.set_faults(script=["reset"])
    with pytest.raises(BROKEN_CONNECTION):
        _search(client)
    assert _search(client).status_code == 200  # the server goes on
    assert handle.requests()["endpoints"]["GET /v1/search"]["reset"] == 1


@pytest.mark.integration
def test_timeout_hangs_past_the_client_deadline(start_emulator, api):
    handle = start_emulator()
    client = api(handle)
    handle.set_faults(script=["timeout"], timeout_s=1.5)
    with pytest.raises(httpx.ReadTimeout):
        _search(client, timeout=0.3)
    assert _search(client).status_code == 200


@pytest.mark.integration
def test_truncated_body(start_emulator, api):
    handle = start_emulator()
    client = api(handle)
    handle.set_faults(script=["truncate"])
    with pytest.raises(BROKEN_CONNECTION):
        _search(client)
    assert handle.requests()["endpoints"]["GET /v1/search"] == {"truncate": 1}


@pytest.mark.integration
def test_malformed_json_body(start_emulator, api):
    handle = start_emulator()
    client = api(handle)
    handle.set_faults(script=["malformed"])
    response = _search(client)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert _search(client).json()["albums"]["items"]


@pytest.mark.integration
def test_faults_leave_token_and_admin_alone(start_emulator, api):
    handle = start_emulator(faults={"error_rate": 1.0})
    client = api(handle)  # the token endpoint still answers
    assert _search(client).status_code in (500, 502, 503)
    assert handle.truth()["albums"] > 0


@pytest.mark.integration
def test_bad_fault_settings_are_refused(start_emulator):
    handle = start_emulator()
    response = httpx.put(f"{handle.admin_url}/faults", json={"error_rate": 2})
    assert response.status_code == 400
