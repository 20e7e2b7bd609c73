"""The Deezer stand-in over HTTP: errors with HTTP 200 (``no data`` 800, the quota's code 4),
the quota's sliding 5 s window, editorial releases paged by ``index``/``limit``."""

from __future__ import annotations

import httpx
import pytest

from tests.support.enrich import UNLIMITED, released_tracks

pytestmark = pytest.mark.integration

NO_DATA = {"error": {"type": "DataException", "message": "no data", "code": 800}}
QUOTA = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}


def test_an_unknown_isrc_is_no_data_with_http_200(start_emulator):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    catalog = handle.emulator.catalog
    future = catalog.track(catalog.last_released(handle.emulator.clock.release_time()) + 1, 0)
    known = next(t for t in released_tracks(handle) if handle.emulator.deezer.track(t.isrc))
    with httpx.Client(base_url=handle.deezer_url) as client:
        for reference in (f"isrc:{future.isrc}", "isrc:USABC2600001", "isrc:", "3135556", "x"):
            answer = client.get(f"/track/{reference}")
            assert (answer.status_code, answer.json()) == (200, NO_DATA), reference
        found = client.get(f"/track/isrc:{known.isrc}")
    assert found.status_code == 200 and found.json()["isrc"] == known.isrc
    truth = handle.admin("GET", "truth/deezer/tracks", isrcs=f"{known.isrc},{future.isrc}")
    assert truth["tracks"] == {known.isrc: found.json(), future.isrc: None}


def test_the_quota_answers_http_200_with_code_4_then_recovers(start_emulator):
    handle = start_emulator(**{**UNLIMITED, "deezer_quota": 50})
    handle.clock(paused=True)
    isrc = next(t.isrc for t in released_tracks(handle) if handle.emulator.deezer.track(t.isrc))
    track = handle.emulator.deezer.track(isrc)
    with httpx.Client(base_url=handle.deezer_url) as client:
        answers = [client.get(f"/track/isrc:{isrc}") for _ in range(50)]
        assert all(a.status_code == 200 and a.json() == track for a in answers)
        over = client.get(f"/track/isrc:{isrc}")  # the 51st within 5 s
        assert (over.status_code, over.json()) == (200, QUOTA)
        releases = client.get("/editorial/0/releases")
        assert (releases.status_code, releases.json()) == (200, QUOTA)  # every request
        handle.advance(4)
        assert client.get(f"/track/isrc:{isrc}").json() == QUOTA  # still inside the window
        handle.advance(1)
        assert client.get(f"/track/isrc:{isrc}").json() == track
    counts = handle.admin("GET", "requests/enrich")["deezer"]
    assert counts["quota_exceeded"] == 3 and counts["answers"]["error 4"] == 3


def test_no_quota_when_it_is_off(start_emulator):
    handle = start_emulator(**{**UNLIMITED, "deezer_quota": 0})
    with httpx.Client(base_url=handle.deezer_url) as client:
        answers = [client.get("/editorial/0/releases", params={"limit": 1}) for _ in range(60)]
    assert all("data" in a.json() for a in answers)


def test_editorial_releases_are_paged_by_index_and_limit(start_emulator):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    everything = handle.admin("GET", "truth/deezer/releases")["albums"]
    pages, url = [], f"{handle.deezer_url}/editorial/0/releases?limit=30"
    with httpx.Client() as client:
        first = client.get(f"{handle.deezer_url}/editorial/0/releases").json()
        assert len(first["data"]) == 25 and first["total"] == 100 and "prev" not in first
        while url:
            page = client.get(url).json()
            pages.append(page)
            url = page.get("next")
    assert [len(p["data"]) for p in pages] == [30, 30, 30, 10]
    assert [a for p in pages for a in p["data"]] == everything
    assert pages[1]["prev"].endswith("index=0&limit=30")
    assert len({a["id"] for a in everything}) == 100
