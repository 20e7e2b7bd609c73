"""Paging objects: absolute links, ends, limits, the shifting new-releases list, search caps."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

INVALID_LIMIT = {"error": {"status": 400, "message": "Invalid limit"}}


def _index(emulator, album_id):
    """The album's catalog index: release order."""
    return emulator.emulator.catalog.ids.decode(album_id).index


def _query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.mark.integration
def test_new_releases_pages_through_an_editorial_selection(emulator, api):
    client = api(emulator)
    first = client.json("/browse/new-releases", country="SE", limit=50)["albums"]
    assert 117 <= first["total"] <= 123  # about 120, like the recorded 119 and 123
    assert first["previous"] is None
    assert first["href"] == f"{emulator.api_url}/browse/new-releases?country=SE&offset=0&limit=50"
    assert first["next"] == f"{emulator.api_url}/browse/new-releases?country=SE&offset=50&limit=50"
    items, page = list(first["items"]), first
    while page["next"]:
        page = client.http.get(
            page["next"], headers={"Authorization": f"Bearer {client.token}"}
        ).json()["albums"]
        items += page["items"]
    assert (
        page["previous"] == f"{emulator.api_url}/browse/new-releases?country=SE&offset=50&limit=50"
    )
    assert len(items) == first["total"]
    truth = emulator.admin("GET", "truth/new-releases", country="SE")["album_ids"]
    assert [a["id"] for a in items] == truth
    # newest first, each available in the market, far fewer than all releases
    released = [_index(emulator, a["id"]) for a in items]
    assert released == sorted(released, reverse=True)
    assert all("SE" in a["available_markets"] for a in items)
    assert first["total"] < emulator.truth()["albums"] / 10
    # selections differ by market
    us = client.json("/browse/new-releases", country="US", limit=50)["albums"]["items"]
    assert [a["id"] for a in us] != [a["id"] for a in items[:50]]


@pytest.mark.integration
@pytest.mark.parametrize("limit", [0, 51, "x"])
def test_new_releases_limit_must_be_1_to_50(emulator, api, limit):
    response = api(emulator).get("/browse/new-releases", limit=limit)
    assert (response.status_code, response.json()) == (400, INVALID_LIMIT)


@pytest.mark.integration
def test_new_releases_shift_while_a_client_pages(start_emulator, api):
    handle = start_emulator(tracks_per_day=100_000, history_days=2)
    client = api(handle)
    page1 = client.json("/browse/new-releases", country="US", limit=20)["albums"]
    handle.advance(1800)  # new editorial picks arrive before page 2 is fetched
    page2 = client.json("/browse/new-releases", country="US", limit=20, offset=20)["albums"]
    assert page2["total"] == page1["total"]  # the selection's size stays, its content moves
    first_ids = [a["id"] for a in page1["items"]]
    second_ids = [a["id"] for a in page2["items"]]
    assert set(first_ids) & set(second_ids), "items of page 1 must repeat on page 2"
    fresh = client.json("/browse/new-releases", country="US", limit=20)["albums"]["items"]
    assert fresh[0]["id"] not in first_ids
    assert _index(handle, fresh[0]["id"]) > _index(handle, first_ids[0])


@pytest.mark.integration
def test_album_tracks_paging(emulator, api):
    catalog = emulator.emulator.catalog
    album = next(
        catalog.album(i) for i in range(catalog.first_index, 0) if catalog.total_tracks(i) >= 12
    )
    client = api(emulator)
    page = client.json(f"/albums/{album.id}/tracks", limit=5, offset=5)
    assert page["total"] == album.total_tracks
    assert [t["id"] for t in page["items"]] == list(album.track_ids[5:10])
    assert [t["track_number"] for t in page["items"]] == [6, 7, 8, 9, 10]
    assert _query(page["next"]) == {"offset": "10", "limit": "5"}
    assert _query(page["previous"]) == {"offset": "0", "limit": "5"}
    last = client.json(f"/albums/{album.id}/tracks", limit=5, offset=album.total_tracks - 1)
    assert last["next"] is None and len(last["items"]) == 1
    assert client.get(f"/albums/{album.id}/tracks", limit=51).json() == INVALID_LIMIT


@pytest.mark.integration
def test_search_total_is_real_but_offset_is_capped_at_1000(emulator, api):
    client = api(emulator)
    truth = emulator.truth()
    assert truth["new"]["albums"] > 1100
    page = client.json("/search", q="tag:new", type="album", limit=50, offset=1000)["albums"]
    assert page["total"] == truth["new"]["albums"]  # the real match count
    assert page["items"] == [] and page["next"] is None
    before = client.json("/search", q="tag:new", type="album", limit=50, offset=950)["albums"]
    assert len(before["items"]) == 50 and before["next"] is None
    assert _query(before["previous"])["query"] == "tag:new"
    too_far = client.get("/search", q="tag:new", type="album", offset=1001)
    assert too_far.json() == {"error": {"status": 400, "message": "Invalid offset"}}
    # ranked like Spotify's search, not by date: the first page is not the newest 50
    head = client.json("/search", q="tag:new", type="album", limit=50)["albums"]["items"]
    newest = emulator.truth_albums(since=truth["now_epoch"] - 3 * 86400)[-50:]
    assert {a["id"] for a in head} != {a["id"] for a in newest}
    again = client.json("/search", q="tag:new", type="album", limit=50)["albums"]["items"]
    assert [a["id"] for a in again] == [a["id"] for a in head]
