"""Search semantics, and proof that a client can reach every release by splitting queries."""

from __future__ import annotations

import re

import pytest

from tests.support.emulator import emulator_settings
from tunestream_emulator.catalog import Catalog
from tunestream_emulator.discovery import Query, SearchIndex, parse_query

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
CAP = 1000


@pytest.mark.unit
def test_parse_query():
    assert parse_query('tag:new album:"Midnight Ra*" artist:lil year:2025-2026 blue') == Query(
        album=("midnight", "ra*"), artist=("lil",), any=("blue",), years=(2025, 2026), tag_new=True
    )
    assert parse_query("tag:hipster").impossible
    assert parse_query("genre:rock").impossible
    assert parse_query("year:20x6").impossible


def _brute_force(catalog: Catalog, query: Query, low: int, high: int) -> list[int]:
    def words(text):
        return re.findall(r"[0-9a-z]+", text.lower())

    def match(words, pattern):
        if pattern.endswith("*"):
            return any(w.startswith(pattern[:-1]) for w in words)
        return pattern in words

    found = []
    for index in range(low, high + 1):
        name, artists = catalog.search_terms(index)
        album_words = words(name)
        artist_words = [w for a in artists for w in words(catalog.artist(a).name)]
        if (
            all(match(album_words, p) for p in query.album)
            and all(match(artist_words, p) for p in query.artist)
            and all(match(album_words + artist_words, p) for p in query.any)
        ):
            found.append(index)
    return found[::-1]


@pytest.mark.unit
@pytest.mark.parametrize(
    "q",
    [
        "album:lo*",
        "artist:b* album:s*",
        "love",
        "ALBUM:Night",
        'album:"night lo*"',
        "artist:zz*",
        "lo*",
    ],
)
def test_index_agrees_with_a_brute_force_scan(q):
    catalog = Catalog(emulator_settings())
    index = SearchIndex(catalog, "newest")
    now = catalog.start
    last = catalog.last_released(now)
    expected = _brute_force(catalog, parse_query(q), catalog.first_index, last)
    total, page = index.search(parse_query(q), now, 0, 10_000)
    assert total == len(expected) and page == expected
    # newer albums found incrementally, through the cache
    later = now + 5 * catalog.interval
    total_later, page_later = index.search(parse_query(q), later, 0, 10_000)
    assert page_later == _brute_force(
        catalog, parse_query(q), catalog.first_index, catalog.last_released(later)
    )
    assert total_later >= total


@pytest.mark.unit
@pytest.mark.parametrize("q", ["tag:new", "tag:new album:lo*", "artist:b* album:s*"])
def test_relevance_order_is_stable_and_not_by_date(q):
    catalog = Catalog(emulator_settings())
    now = catalog.start
    later = now + 2_000 * catalog.interval
    expected = _brute_force(
        catalog, parse_query(q), catalog.first_index, catalog.last_released(later)
    )
    if parse_query(q).tag_new:
        low = catalog.first_since(later - 14 * 86400)
        expected = [i for i in expected if i >= low]
    index = SearchIndex(catalog)  # relevance, as Spotify ranks
    total, page = index.search(parse_query(q), now, 0, 10_000)
    assert total == len(page) > 100
    assert page != sorted(page) and page != sorted(page, reverse=True)
    assert index.search(parse_query(q), now, 0, 10_000) == (total, page)  # stable
    # paging walks the same order
    assert index.search(parse_query(q), now, 20, 10)[1] == page[20:30]
    # the albums released since keep the others' order and land anywhere, not first
    _, page_later = index.search(parse_query(q), later, 0, 10_000)
    assert sorted(page_later) == sorted(expected)
    assert [i for i in page_later if i in set(page)] == [i for i in page if i in set(page_later)]
    new = [position for position, i in enumerate(page_later) if i not in set(page)]
    assert new and new != list(range(len(new)))


@pytest.mark.unit
def test_tag_new_and_year_are_release_time_ranges():
    catalog = Catalog(emulator_settings(history_days=30, clock_start="2026-01-10T00:00:00Z"))
    index = SearchIndex(catalog, "newest")
    now = catalog.start
    total_all, _ = index.search(parse_query("a*"), now, 0, 0)
    total_new, newest = index.search(parse_query("tag:new"), now, 0, 1)
    assert total_new == catalog.last_released(now) - catalog.first_since(now - 14 * 86400) + 1
    assert newest == [catalog.last_released(now)]
    total_2025, page = index.search(parse_query("year:2025"), now, 0, 10_000)
    total_2026, _ = index.search(parse_query("year:2026"), now, 0, 0)
    assert total_2025 + total_2026 == catalog.last_released(now) - catalog.first_index + 1
    assert all(catalog.album(i).release_date.startswith("2025") for i in page[:50])
    assert total_all > 0


def _search_all(client, q):
    """Every id a query string reaches (at most the first 1,000) and its total."""
    first = client.json("/search", q=q, type="album", limit=50)["albums"]
    ids = [a["id"] for a in first["items"]]
    page = first
    while page["next"]:
        page = client.http.get(
            page["next"], headers={"Authorization": f"Bearer {client.token}"}
        ).json()["albums"]
        ids += [a["id"] for a in page["items"]]
    assert len(ids) == min(first["total"], CAP)
    return first["total"], ids


def _split(client, terms, found, stats):
    """Narrow ``tag:new`` until each query is under the cap: a prefix ``p*`` splits into the
    whole word ``p`` and the prefixes ``p0*`` … ``pz*``; a whole word that still matches too
    many albums gets a prefix term of the other field (every album has both)."""
    total, ids = _search_all(client, " ".join(["tag:new", *terms]))
    stats["queries"] += 1
    if total <= CAP:
        found.update(ids)
        return
    assert len(terms) < 8, f"cannot narrow {terms}"
    last = terms[-1] if terms else None
    if last is not None and last.endswith("*"):
        field, prefix = last[:-1].split(":")
        children = [[*terms[:-1], f"{field}:{prefix}"]]
        children += [[*terms[:-1], f"{field}:{prefix}{c}*"] for c in ALPHABET]
    else:
        field = "album" if last is not None and last.startswith("artist:") else "artist"
        children = [[*terms, f"{field}:{c}*"] for c in ALPHABET]
    for child in children:
        _split(client, child, found, stats)


@pytest.mark.integration
def test_a_splitting_client_reaches_every_release(start_emulator, api):
    handle = start_emulator(tracks_per_day=5_000)
    handle.clock(paused=True)
    client = api(handle)
    truth = handle.truth()
    assert truth["new"]["albums"] > 10 * CAP  # far more than one query string reaches
    found: set[str] = set()
    stats = {"queries": 0}
    _split(client, [], found, stats)
    expected = {a["id"] for a in handle.truth_albums(since=truth["now_epoch"] - 14 * 86400)}
    assert len(expected) == truth["new"]["albums"]
    assert found == expected  # coverage: 100 % of ground truth
    assert stats["queries"] < len(expected) / 10  # each query string reaches many albums
