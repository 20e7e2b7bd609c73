"""The MusicBrainz stand-in over HTTP: ``User-Agent`` refusal, 503 beyond the rate, the request
log, ISRC searches batched with ``OR``, the ISRC lookup."""

from __future__ import annotations

import httpx
import pytest

from tests.support.enrich import UNLIMITED, USER_AGENT, released_tracks

pytestmark = pytest.mark.integration

RATE_LIMITED = (
    "Your requests are exceeding the allowable rate limit. "
    "Please see http://wiki.musicbrainz.org/XMLWebService for more information."
)


def _client(handle, headers=USER_AGENT):
    return httpx.Client(base_url=handle.musicbrainz_url, headers=headers)


def _search(client, isrcs, headers=None, **params):
    query = " OR ".join(f"isrc:{i}" for i in isrcs)
    params = {"query": query, "fmt": "json", **params}
    return client.get("/recording", params=params, headers=headers)


def test_requests_without_a_meaningful_user_agent_are_refused(start_emulator):
    handle = start_emulator(**UNLIMITED)
    isrc = released_tracks(handle)[0].isrc
    with httpx.Client(base_url=handle.musicbrainz_url) as client:
        assert client.headers["user-agent"].startswith("python-httpx/")
        statuses = [_search(client, [isrc]).status_code]
        for agent in ("", "python-requests/2.32.3", "Java/21", "curl/8.5.0"):
            statuses.append(_search(client, [isrc], headers={"User-Agent": agent}).status_code)
        del client.headers["user-agent"]
        missing = client.get("/recording", params={"query": f"isrc:{isrc}"})
        statuses.append(missing.status_code)
        assert missing.json()["help"].startswith("For usage, please see: https://musicbrainz.org/")
        statuses.append(client.get(f"/isrc/{isrc}", headers=USER_AGENT).status_code)
    assert statuses[:-1] == [403] * 6
    assert statuses[-1] in (200, 404)  # a meaningful one is answered
    counts = handle.admin("GET", "requests/enrich")["musicbrainz"]
    assert counts["user_agent_refused"] == 6 and counts["statuses"]["403"] == 6


def test_more_than_one_request_a_second_is_503_and_logged(start_emulator):
    handle = start_emulator(**{**UNLIMITED, "musicbrainz_rate": 1})
    isrc = released_tracks(handle)[0].isrc
    with _client(handle) as client:
        first = _search(client, [isrc])
        second = _search(client, [isrc])
        handle.advance(1)
        third = client.get(f"/isrc/{isrc}", params={"inc": "tags"})
    assert first.status_code == 200
    assert second.status_code == 503
    assert second.json() == {
        "error": RATE_LIMITED,
        "help": "For usage, please see: https://musicbrainz.org/development/mmd",
    }
    assert third.status_code in (200, 404)
    log = handle.admin("GET", "requests/musicbrainz")["requests"]
    assert [r["status"] for r in log] == [200, 503, third.status_code]
    assert [r["query"] for r in log] == [f"isrc:{isrc}", f"isrc:{isrc}", None]
    assert [r["path"] for r in log] == ["/recording", "/recording", f"/isrc/{isrc}"]
    assert {r["user_agent"] for r in log} == {USER_AGENT["User-Agent"]}
    assert log[1]["at"] - log[0]["at"] < 1 <= log[2]["at"] - log[0]["at"]
    assert [r.status for r in handle.emulator.musicbrainz.requests()] == [r["status"] for r in log]
    assert handle.admin("GET", "requests/enrich")["musicbrainz"]["rate_limited"] == 1


def test_isrcs_are_searched_in_batches_joined_by_or(start_emulator):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    tracks = released_tracks(handle)[:40]
    isrcs = [t.isrc for t in tracks]
    truth = handle.admin("GET", "truth/musicbrainz/recordings", isrcs=",".join(isrcs))
    expected = [r for r in truth["recordings"].values() if r]
    assert 25 <= len(expected) < len(isrcs)  # about eight in ten are known
    with _client(handle) as client:
        everything = _search(client, isrcs, limit=100).json()
        assert everything["count"] == len(expected) and everything["offset"] == 0
        assert everything["recordings"] == expected
        default = _search(client, isrcs).json()
        assert default["recordings"] == expected[:25]  # 25 by default
        page = _search(client, isrcs, limit=5, offset=5).json()
        assert page["recordings"] == expected[5:10] and page["offset"] == 5
        assert _search(client, isrcs, limit=500).json()["recordings"] == expected[:25]
        odd = " or ".join(f"(isrc:{i.lower()})" for i in isrcs[:10])
        mixed = client.get("/recording", params={"query": f"({odd})"}).json()
        assert mixed["recordings"] == [r for r in expected if r["isrcs"][0] in isrcs[:10]]
        for query in ("artist:Queen", f"isrc:{isrcs[0]} AND isrc:{isrcs[1]}", "", None):
            refused = client.get("/recording", params={} if query is None else {"query": query})
            assert refused.status_code == 400, query
            assert set(refused.json()) == {"error", "help"}


def test_the_isrc_lookup_with_tags_and_genres(start_emulator):
    handle = start_emulator(**UNLIMITED)
    handle.clock(paused=True)
    musicbrainz = handle.emulator.musicbrainz
    tracks = released_tracks(handle)
    tagged = next(t for t in tracks if "tags" in (musicbrainz.recording(t.isrc) or {}))
    unknown = next(t for t in tracks if musicbrainz.recording(t.isrc) is None)
    with _client(handle) as client:
        lookup = client.get(f"/isrc/{tagged.isrc}", params={"inc": "tags+genres", "fmt": "json"})
        bare = client.get(f"/isrc/{tagged.isrc}")
        missing = client.get(f"/isrc/{unknown.isrc}", params={"inc": "tags"})
        bad_inc = client.get(f"/isrc/{tagged.isrc}", params={"inc": "tags releases-of-mars"})
        bad_isrc = client.get("/isrc/not-an-isrc")
    assert lookup.status_code == 200
    body = lookup.json()
    assert body["isrc"] == tagged.isrc and len(body["recordings"]) == 1
    recording = body["recordings"][0]
    search = musicbrainz.recording(tagged.isrc)
    assert (recording["id"], recording["title"]) == (search["id"], tagged.name)
    assert recording["tags"] == search["tags"]
    tags = {t["name"]: t["count"] for t in recording["tags"]}
    assert recording["genres"] and all(tags[g["name"]] == g["count"] for g in recording["genres"])
    assert "tags" not in bare.json()["recordings"][0]
    assert (missing.status_code, missing.json()["error"]) == (404, "Not Found")
    assert bad_inc.status_code == 400 and "releases-of-mars" in bad_inc.json()["error"]
    assert bad_isrc.status_code == 400
