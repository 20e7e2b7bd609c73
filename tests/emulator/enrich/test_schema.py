"""Every answer of the three stand-ins validates against the schemas written from the APIs'
documentation (``tests/fixtures/enrich/``, see the README beside them)."""

from __future__ import annotations

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.support.enrich import UNLIMITED, USER_AGENT, released_tracks, schema_errors, schemas

pytestmark = pytest.mark.integration


@pytest.fixture
def handle(start_emulator):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    return handle


def test_the_schemas_are_valid_and_not_vacuous():
    Draft202012Validator.check_schema(schemas())
    assert schema_errors("deezer-track", {"id": 1}) != []
    assert schema_errors("reccobeats-features", {"id": "x", "time_signature": 4}) != []
    assert schema_errors("musicbrainz-recording", {"id": "x", "score": 100}) != []


def test_reccobeats(handle):
    ids = [t.id for t in released_tracks(handle)[:41]]
    answer = httpx.get(
        f"{handle.reccobeats_url}/audio-features", params={"ids": ",".join(ids[:40])}
    )
    assert answer.status_code == 200
    assert schema_errors("reccobeats-audio-features", answer.json()) == []
    assert len(answer.json()["content"]) > 30
    too_many = httpx.get(f"{handle.reccobeats_url}/audio-features", params={"ids": ids})
    assert too_many.status_code == 400
    assert schema_errors("reccobeats-error", too_many.json()) == []


def test_deezer(handle):
    tracks = []
    with httpx.Client(base_url=handle.deezer_url) as deezer:
        for track in released_tracks(handle)[:60]:
            answer = deezer.get(f"/track/isrc:{track.isrc}").json()
            if "error" in answer:
                assert schema_errors("deezer-error", answer) == []
            else:
                assert schema_errors("deezer-track", answer) == [], track.isrc
                tracks.append(answer)
        page = deezer.get("/editorial/0/releases", params={"index": 25}).json()
    assert any(t["bpm"] == 0 for t in tracks) and any(t["bpm"] > 0 for t in tracks)
    assert schema_errors("deezer-album-list", page) == []
    assert "prev" in page and "next" in page and len(page["data"]) == 25


def test_musicbrainz(handle):
    isrcs = [t.isrc for t in released_tracks(handle)[:60]]
    query = " OR ".join(f"isrc:{i}" for i in isrcs)
    search = httpx.get(
        f"{handle.musicbrainz_url}/recording",
        params={"query": query, "fmt": "json", "limit": 100},
        headers=USER_AGENT,
    ).json()
    assert schema_errors("musicbrainz-search", search) == []
    recordings = search["recordings"]
    assert any("tags" in r for r in recordings) and any("tags" not in r for r in recordings)
    statuses = set()
    with httpx.Client(base_url=handle.musicbrainz_url, headers=USER_AGENT) as musicbrainz:
        for isrc in isrcs[:15]:
            lookup = musicbrainz.get(
                f"/isrc/{isrc}", params={"inc": "artist-credits isrcs tags genres", "fmt": "json"}
            )
            name = "musicbrainz-isrc" if lookup.status_code == 200 else "musicbrainz-error"
            assert schema_errors(name, lookup.json()) == [], isrc
            statuses.add(lookup.status_code)
    assert statuses == {200, 404}
