"""The ReccoBeats stand-in over HTTP: unknown ids left out, at most 40 ids, a rate limit per
address answered 429 with ``Retry-After``, answers equal to the ground truth."""

from __future__ import annotations

import httpx
import pytest

from tests.support.enrich import UNLIMITED, released_tracks

pytestmark = pytest.mark.integration


def _client(handle):
    return httpx.Client(base_url=handle.reccobeats_url)


def test_unknown_ids_are_left_out(start_emulator):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    catalog = handle.emulator.catalog
    tracks = released_tracks(handle)[:30]
    future = catalog.track(catalog.last_released(handle.emulator.clock.release_time()) + 1, 0)
    unknown = [future.id, catalog.album_id(tracks[0].album_index), "4iV5W9uYEdYUVa79Axb7Rh", "x"]
    with _client(handle) as client:
        answer = client.get(
            "/audio-features", params={"ids": ",".join(unknown + [t.id for t in tracks])}
        )
    assert answer.status_code == 200
    content = answer.json()["content"]
    served = {f["href"].rsplit("/", 1)[1] for f in content}
    assert served <= {t.id for t in tracks}
    assert 20 <= len(served) < len(tracks)  # about nine in ten are known, the rest left out
    assert None not in content
    truth = handle.admin("GET", "truth/reccobeats/features", ids=",".join(t.id for t in tracks))
    assert {i for i, f in truth["features"].items() if f} == served
    assert sorted(content, key=lambda f: f["id"]) == sorted(
        (f for f in truth["features"].values() if f), key=lambda f: f["id"]
    )
    assert handle.emulator.reccobeats.features(tracks[0].id) == truth["features"][tracks[0].id]


def test_at_most_40_ids(start_emulator):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    ids = [t.id for t in released_tracks(handle)[:41]]
    with _client(handle) as client:
        assert client.get("/audio-features", params={"ids": ",".join(ids[:40])}).status_code == 200
        repeated = client.get("/audio-features", params={"ids": ids[:40]})  # ids=a&ids=b…
        assert repeated.status_code == 200 and len(repeated.json()["content"]) > 30
        for params in ({"ids": ",".join(ids)}, {"ids": ids}, {"ids": ""}, {}):
            refused = client.get("/audio-features", params=params)
            assert refused.status_code == 400, params
            assert refused.headers["content-type"].startswith("application/json")
            assert refused.json()["message"] == "ids: size must be between 1 and 40"


def test_over_the_rate_429_with_retry_after(start_emulator):
    handle = start_emulator(**{**UNLIMITED, "reccobeats_rate": 3})
    handle.clock(paused=True)
    track_id = released_tracks(handle)[0].id
    with _client(handle) as client:
        statuses = [
            client.get("/audio-features", params={"ids": track_id}).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        refused = client.get("/audio-features", params={"ids": track_id})
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        handle.advance(1)
        assert client.get("/audio-features", params={"ids": track_id}).status_code == 200
    counts = handle.admin("GET", "requests/enrich")["reccobeats"]
    assert counts == {"statuses": {"200": 4, "429": 2}, "rate_limited": 2}
    handle.reset()
    assert handle.admin("GET", "requests/enrich")["reccobeats"]["statuses"] == {}
