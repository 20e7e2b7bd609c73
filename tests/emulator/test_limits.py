"""Rate limits (rolling 30-second window, 429 + Retry-After) and the development quota."""

from __future__ import annotations

import pytest


def _search(client):
    return client.get("/search", q="tag:new", type="album", limit=1)


@pytest.mark.integration
def test_rolling_30_second_window_and_retry_after(start_emulator, api):
    handle = start_emulator(rate_limit_per_30s=5)
    client = api(handle)
    assert [_search(client).status_code for _ in range(5)] == [200] * 5
    limited = _search(client)
    assert limited.status_code == 429
    assert limited.json() == {"error": {"status": 429, "message": "API rate limit exceeded"}}
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 30
    handle.advance(retry_after - 1.5)
    assert _search(client).status_code == 429  # still inside the window
    handle.advance(2)
    assert _search(client).status_code == 200  # the oldest requests left the window
    # the window is per client id: another app is not affected
    other = api(handle, "development")
    assert _search(other).status_code == 200


@pytest.mark.integration
def test_window_rolls_rather_than_resets(start_emulator, api):
    handle = start_emulator(rate_limit_per_30s=4)
    client = api(handle)
    assert [_search(client).status_code for _ in range(2)] == [200, 200]
    handle.advance(20)
    assert [_search(client).status_code for _ in range(3)] == [200, 200, 429]
    assert int(_search(client).headers["Retry-After"]) <= 10  # the first two leave at t=30
    handle.advance(10.5)
    assert [_search(client).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.integration
def test_development_quota_answers_quota_exceeded_with_a_long_retry_after(start_emulator, api):
    handle = start_emulator(dev_quota=3, dev_quota_period_s=6 * 3600)
    development, extended = api(handle, "development"), api(handle, "extended")
    assert [_search(development).status_code for _ in range(3)] == [200] * 3
    exhausted = _search(development)
    assert exhausted.status_code == 429
    assert exhausted.json() == {
        "error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}
    }
    assert int(exhausted.headers["Retry-After"]) > 5 * 3600
    assert _search(extended).status_code == 200  # quotas are for development apps
    handle.advance(6 * 3600)
    development.token = development.new_token()
    assert _search(development).status_code == 200
