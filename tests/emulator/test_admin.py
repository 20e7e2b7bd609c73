"""The admin API: ground truth, request counts, clock control, reset."""

from __future__ import annotations

import time

import httpx
import pytest


@pytest.mark.integration
def test_truth_counts_agree_with_the_truth_list_and_search(start_emulator, api):
    handle = start_emulator()
    handle.clock(paused=True)
    truth = handle.truth()
    albums = handle.truth_albums()
    assert len(albums) == truth["albums"] == truth["last_index"] - truth["first_index"] + 1
    assert sum(a["total_tracks"] for a in albums) == truth["tracks"]
    assert all(len(a["track_ids"]) == a["total_tracks"] for a in albums)
    search = api(handle).json("/search", q="tag:new", type="album", limit=1)["albums"]
    assert search["total"] == truth["new"]["albums"]
    released = [a["released_at"] for a in albums]
    assert released == sorted(released) and released[-1] <= truth["now_epoch"]


@pytest.mark.integration
def test_clock_control_releases_more(start_emulator):
    handle = start_emulator()
    before = handle.clock(paused=True)
    truth = handle.truth()
    after = handle.advance(86_400)
    assert after["now_epoch"] == pytest.approx(before["now_epoch"] + 86_400)
    later = handle.truth()
    assert later["albums"] > truth["albums"]  # a day of releases (the window keeps the backlog)
    new_ones = handle.truth_albums(since=truth["now_epoch"])
    assert len(new_ones) == later["last_index"] - truth["last_index"]
    assert handle.clock(speed=3600, paused=False)["speed"] == 3600
    assert handle.clock()["now_epoch"] > later["now_epoch"]
    assert handle.clock(set="2026-11-20T12:00:00Z", paused=True)["now"].startswith(
        "2026-11-20T12:00:00"
    )


@pytest.mark.integration
def test_request_counts_and_reset(start_emulator, api):
    handle = start_emulator()
    client = api(handle)
    album = handle.emulator.catalog.album_id(handle.emulator.catalog.first_index)
    client.get(f"/albums/{album}")
    client.get("/albums/bad")
    counts = handle.requests()
    assert counts["endpoints"]["GET /v1/albums/{id}"] == {"200": 1, "400": 1}
    assert counts["endpoints"]["POST /api/token"] == {"200": 1}
    assert counts["clients"] == {"extended-client": 2}
    assert counts["total"] == 3
    handle.reset()
    assert handle.requests()["total"] == 0
    assert client.get(f"/albums/{album}").status_code == 401  # tokens are forgotten too


@pytest.mark.integration
def test_settings_and_bad_admin_input(emulator):
    settings = emulator.admin("GET", "settings")
    assert settings["tracks_per_day"] == 3000 and settings["host"] == "127.0.0.1"
    assert httpx.post(f"{emulator.admin_url}/clock", json={"speed": 0}).status_code == 400
    assert httpx.get(f"{emulator.admin_url}/truth/albums", params={"limit": 0}).status_code == 400


@pytest.mark.integration
def test_speed_replays_an_hour_of_releases_in_a_second(start_emulator):
    handle = start_emulator(speed=3600, tracks_per_day=100_000, history_days=0.1)
    first = handle.truth()
    time.sleep(1.0)
    second = handle.truth()
    hour_of_albums = 3600 / first["album_interval_s"]
    elapsed = second["now_epoch"] - first["now_epoch"]
    assert elapsed == pytest.approx(3600, rel=0.3)
    assert second["last_index"] - first["last_index"] == pytest.approx(
        hour_of_albums * elapsed / 3600, abs=3
    )


@pytest.mark.integration
def test_search_index_warms_up_at_start(start_emulator, api):
    handle = start_emulator(tracks_per_day=20_000)
    deadline = time.monotonic() + 30
    while handle.admin("GET", "health")["warming_up"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.perf_counter()
    api(handle).json("/search", q="tag:new album:love", type="album")
    assert time.perf_counter() - started < 2  # the backlog is already indexed
