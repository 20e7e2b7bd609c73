"""How clients find releases: the editorial new-releases lists and ``search?type=album``.

Search semantics (documented in docs/EMULATOR.md):

- a query is a list of terms separated by spaces; ``field:value`` or ``field:"a phrase"``;
- words are runs of letters and digits, compared case-insensitively; a word ending in ``*``
  is a prefix (``lo*`` matches "love" and "lost"), any other word must match a whole word
  (Spotify's documented wildcard);
- ``album:`` / ``artist:``: every word of the value must match a word of the album's name / of
  one of its artists' names;
- a bare word must match a word of the album name or of an artist name;
- ``year:2026`` or ``year:2025-2026`` restricts the release year; ``tag:new`` restricts to
  albums released in the past 14 days; any other field or tag matches nothing;
- results are ranked like Spotify's (``relevance``, the default): a stable order per query string
  that has nothing to do with release dates, so a new album lands anywhere in a result list; or,
  with ``search_order: newest``, newest first; ``total`` counts every match, but only the first
  1,000 can be paged.
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from tunestream_emulator.catalog import Catalog, mix

__all__ = ["NewReleases", "Query", "SearchIndex", "SearchOrder", "parse_query"]

_WORD = re.compile(r"[0-9a-z]+")
_TERM = re.compile(r'(?:(\w+):)?(?:"([^"]*)"|(\S+))')
TAG_NEW_SECONDS = 14 * 86_400
SearchOrder = Literal["relevance", "newest"]


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _patterns(value: str) -> list[str]:
    """Query words; a prefix keeps its trailing ``*``."""
    out: list[str] = []
    for token in value.split():
        words = words_of(token)
        if words and token.endswith("*"):
            words[-1] += "*"
        out.extend(words)
    return out


@dataclass(frozen=True)
class Query:
    """A parsed search query: prefix terms per field and a release-year range."""

    album: tuple[str, ...] = ()
    artist: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    years: tuple[int, int] | None = None
    tag_new: bool = False
    impossible: bool = False  # an unsupported field or tag: matches nothing


def parse_query(q: str) -> Query:
    terms: dict[str, list[str]] = {"album": [], "artist": [], "any": []}
    years: tuple[int, int] | None = None
    tag_new = impossible = False
    for match in _TERM.finditer(q):
        name, quoted, bare = match.group(1), match.group(2), match.group(3)
        value = quoted if quoted is not None else bare
        key = (name or "any").lower()
        if key in terms:
            terms[key].extend(_patterns(value))
        elif key == "tag":
            tag_new = tag_new or value.lower() == "new"
            impossible = impossible or value.lower() != "new"
        elif key == "year":
            found = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", value)
            if found is None:
                impossible = True
            else:
                low = int(found.group(1))
                span = (low, int(found.group(2) or low))
                years = span if years is None else (max(years[0], span[0]), min(years[1], span[1]))
        else:
            impossible = True
    return Query(
        album=tuple(terms["album"]),
        artist=tuple(terms["artist"]),
        any=tuple(terms["any"]),
        years=years,
        tag_new=tag_new,
        impossible=impossible,
    )


@dataclass
class _Postings:
    """Word → album indexes (ascending), plus the sorted words for prefix look-ups."""

    by_word: dict[str, array[int]] = field(default_factory=dict)
    sorted_words: list[str] = field(default_factory=list)

    def add(self, word: str, index: int) -> None:
        postings = self.by_word.get(word)
        if postings is None:
            postings = self.by_word[word] = array("q")
            bisect.insort(self.sorted_words, word)
        postings.append(index)

    def matching(self, pattern: str, after: int | None = None) -> set[int]:
        """Album indexes with a word matching ``pattern`` (past ``after``, if given)."""
        words: Iterable[str]
        if pattern.endswith("*"):
            prefix = pattern[:-1]
            start = bisect.bisect_left(self.sorted_words, prefix)
            words = itertools.takewhile(
                lambda word: word.startswith(prefix), self.sorted_words[start:]
            )
        else:
            words = (pattern,)
        found: set[int] = set()
        for word in words:
            postings = self.by_word.get(word, array("q"))
            skip = 0 if after is None else bisect.bisect_right(postings, after)
            found.update(postings[skip:])
        return found


class SearchIndex:
    """An inverted index of released albums' name and artist words, grown as albums arrive."""

    def __init__(self, catalog: Catalog, order: SearchOrder = "relevance") -> None:
        self.catalog = catalog
        self.order = order
        self._album = _Postings()
        self._artist = _Postings()
        self._upto = catalog.first_index - 1
        # query terms → (indexed up to, ascending matching indexes)
        self._cache: dict[tuple[tuple[str, ...], ...], tuple[int, list[int]]] = {}
        # query string → (released up to, matching (rank, index) pairs in rank order)
        self._ranked: dict[Query, tuple[int, list[tuple[int, int]]]] = {}
        # the server's event loop and the warm-up thread both grow the index
        self._lock = threading.RLock()

    def warm_up(self, upto: int, chunk: int = 2_000) -> None:
        """Index albums up to ``upto`` in chunks (run in a thread at server start, so that
        the first search does not wait for the whole backlog)."""
        while self._upto < upto:
            with self._lock:
                self._grow(min(upto, self._upto + chunk))

    def _terms(self, index: int) -> tuple[list[str], list[str]]:
        name, artists = self.catalog.search_terms(index)
        artist_words = [w for a in artists for w in words_of(self.catalog.artist_name(a))]
        return words_of(name), artist_words

    def _grow(self, upto: int) -> None:
        for index in range(self._upto + 1, upto + 1):
            album_words, artist_words = self._terms(index)
            for word in set(album_words):
                self._album.add(word, index)
            for word in set(artist_words):
                self._artist.add(word, index)
        self._upto = max(self._upto, upto)

    def _word_matches(self, query: Query) -> list[int]:
        """Ascending indexes of the albums the query's words match: cached per query, and
        extended from the postings past what the cache holds as albums are released."""
        key = (query.album, query.artist, query.any)
        cached = self._cache.get(key)
        upto, found = cached if cached is not None else (None, [])
        if upto is None or upto < self._upto:
            sets = [self._album.matching(p, upto) for p in query.album]
            sets += [self._artist.matching(p, upto) for p in query.artist]
            sets += [
                self._album.matching(p, upto) | self._artist.matching(p, upto) for p in query.any
            ]
            sets.sort(key=len)
            found.extend(sorted(set.intersection(*sets)))
        self._cache[key] = (self._upto, found)
        return found

    def search(self, query: Query, now: float, offset: int, limit: int) -> tuple[int, list[int]]:
        """(total matches, album indexes of the page), in the index's order."""
        last = self.catalog.last_released(now)
        if query.impossible or last < self.catalog.first_index:
            return 0, []
        low, high = self.catalog.first_index, last
        if query.tag_new:
            low = max(low, self.catalog.first_since(now - TAG_NEW_SECONDS))
        if query.years is not None:
            first, final = query.years
            low = max(low, self.catalog.first_since(_year_start(first)))
            high = min(high, self.catalog.first_since(_year_start(final + 1)) - 1)
        if high < low:
            return 0, []
        words = bool(query.album or query.artist or query.any)
        with self._lock:
            if words:
                self._grow(last)
                found = self._word_matches(query)
                start, stop = bisect.bisect_left(found, low), bisect.bisect_right(found, high)
            if self.order == "relevance":
                ranked = self._rank(query, found if words else range(low, last + 1), last)
                in_range = (i for _, i in ranked if low <= i <= high)
                page = list(itertools.islice(in_range, offset, offset + limit))
                return (stop - start if words else high - low + 1), page
        if not words:
            total = high - low + 1
            return total, list(range(high - offset, max(low, high - offset - limit + 1) - 1, -1))
        page = found[max(start, stop - offset - limit) : max(start, stop - offset)]
        return stop - start, page[::-1]

    def _rank(self, query: Query, matches: Sequence[int], last: int) -> list[tuple[int, int]]:
        """The query's matches (ascending) in relevance order: a stable draw per query string
        and album, so an album keeps its place and a new one lands anywhere in the list."""
        salt = zlib.crc32(repr(query).encode())
        upto, ranked = self._ranked.get(query, (None, []))
        start = 0 if upto is None else bisect.bisect_right(matches, upto)
        new = [(mix(self.catalog.seed, salt, i), i) for i in matches[start:]]
        if upto is None:
            ranked = sorted(new)
        else:
            for pair in new:
                bisect.insort(ranked, pair)
        self._ranked[query] = (matches[-1] if matches else last, ranked)
        return ranked


def _year_start(year: int) -> float:
    return datetime(year, 1, 1, tzinfo=UTC).timestamp()


def _selection_size(base: int, market: str) -> int:
    """About ``base`` per market, varying a little like the recorded 119 and 123."""
    return max(1, base + (ord(market[0]) * 31 + ord(market[1])) % 7 - 3)


@dataclass
class _Selection:
    low: int  # lowest index scanned
    high: int  # highest index scanned
    picks: list[int]  # ascending


class NewReleases:
    """Per market, the newest editorial picks: a short list that shifts as releases arrive."""

    def __init__(self, catalog: Catalog, size: int) -> None:
        self.catalog = catalog
        self.size = size
        self._state: dict[str, _Selection] = {}

    def selection(self, market: str, now: float) -> list[int]:
        """Album indexes of ``market``'s selection, newest first."""
        catalog, want = self.catalog, _selection_size(self.size, market)
        last = catalog.last_released(now)
        state = self._state.get(market)
        if state is None or state.high > last:
            state = self._state[market] = _Selection(low=last + 1, high=last, picks=[])
        for index in range(state.high + 1, last + 1):
            if catalog.is_editorial(index, market):
                state.picks.append(index)
        state.high = last
        del state.picks[: max(0, len(state.picks) - want)]
        while len(state.picks) < want and state.low > catalog.first_index:
            state.low -= 1
            if catalog.is_editorial(state.low, market):
                state.picks.insert(0, state.low)
        return state.picks[::-1]
