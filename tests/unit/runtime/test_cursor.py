"""The typed cursor of a discovery part, and the state form tunestream has always written."""

from __future__ import annotations

import orjson
import pytest

from tunestream.errors import StateError
from tunestream.http.paginators import PageRequest
from tunestream.runtime.cursor import Cursor, first_request, narrower, parts
from tunestream.spec.models import ListResource, Split
from tunestream.state.work import WorkState

pytestmark = pytest.mark.unit

# Written by tunestream before the cursor was typed (and by it now): a part of a split search
# in the middle of its pages, and a fresh part of a per-market list.
PAGING = (
    b'{"vars":{"market":"SE"},"terms":[["album:{word}","a*"]],"done":false,"total":1234,'
    b'"request":{"url":"/search","params":{"q":"tag:new album:a*","type":"album",'
    b'"offset":50,"limit":50}}}'
)
FRESH = b'{"vars":{"market":"GB"},"terms":[],"done":false}'


def test_a_cursor_written_by_the_dict_form_loads() -> None:
    state = WorkState(
        {"cursor/search/market=SE,album:a*": PAGING, "cursor/search/market=GB": FRESH}
    )
    assert {part: Cursor.load(v) for part, v in state.cursors("search").items()} == {
        "market=SE,album:a*": Cursor(
            vars={"market": "SE"},
            terms=(("album:{word}", "a*"),),
            done=False,
            total=1234,
            request=PageRequest(
                "/search", {"q": "tag:new album:a*", "type": "album", "offset": 50, "limit": 50}
            ),
        ),
        "market=GB": Cursor(vars={"market": "GB"}),
    }


def test_a_cursor_is_written_in_the_dict_form() -> None:
    state = WorkState()
    for part, raw in (("market=SE,album:a*", PAGING), ("market=GB", FRESH)):
        state.set_cursor("search", part, Cursor.load(orjson.loads(raw)).dump())
    assert state.take_changes() == {
        "cursor/search/market=SE,album:a*": PAGING,
        "cursor/search/market=GB": FRESH,
    }


def test_a_done_cursor_keeps_its_total_before_its_request() -> None:
    cursor = Cursor({}, (), True, 7, PageRequest("/l", {"offset": 5}))
    assert orjson.dumps(cursor.dump()) == (
        b'{"vars":{},"terms":[],"done":true,"total":7,"request":{"url":"/l","params":{"offset":5}}}'
    )


@pytest.mark.parametrize("raw", [b'{"done":false}', b'{"vars":"SE","terms":[],"done":false}'])
def test_a_cursor_of_another_shape_is_a_state_error(raw: bytes) -> None:
    with pytest.raises(StateError, match="cursor"):
        Cursor.load(orjson.loads(raw))


def test_a_root_has_one_part_per_combination_of_its_for_each_values() -> None:
    assert parts(
        {"market": "markets", "kind": "kinds"},
        {"markets": ["SE", "GB"], "kinds": ["album", "single"], "other": "x"},
    ) == [
        ("kind=album,market=SE", Cursor({"market": "SE", "kind": "album"})),
        ("kind=single,market=SE", Cursor({"market": "SE", "kind": "single"})),
        ("kind=album,market=GB", Cursor({"market": "GB", "kind": "album"})),
        ("kind=single,market=GB", Cursor({"market": "GB", "kind": "single"})),
    ]
    assert parts({}, {}) == [("all", Cursor({}))]


SEARCH = ListResource.model_validate(
    {
        "kind": "list",
        "request": {
            "path": "/{market}/search",
            "params": {"q": "tag:new", "m": "{market}", "n": 5},
        },
        "for_each": {"market": "markets"},
        "paginator": {"type": "offset"},
        "split": {
            "param": "q",
            "cap": 100,
            "refine": ["album:{word}", "artist:{word}"],
            "alphabet": "ab",
            "max_prefix": 2,
        },
    }
)


def test_the_first_request_fills_in_values_and_narrows_the_split_parameter() -> None:
    assert first_request(SEARCH, Cursor({"market": "SE"})) == PageRequest(
        "/SE/search", {"q": "tag:new", "m": "SE", "n": 5}
    )
    narrowed = Cursor({"market": "SE"}, (("album:{word}", "a*"), ("artist:{word}", "b")))
    assert first_request(SEARCH, narrowed) == PageRequest(
        "/SE/search", {"q": "tag:new album:a* artist:b", "m": "SE", "n": 5}
    )


def test_narrower_parts_refine_a_query_and_drop_its_total_and_request() -> None:
    split = SEARCH.split
    assert split is not None
    paged = Cursor({"market": "SE"}, (), False, 500, PageRequest("/SE/search", {"offset": 50}))
    assert narrower(split, paged) == [
        ("market=SE,album:a*", Cursor({"market": "SE"}, (("album:{word}", "a*"),))),
        ("market=SE,album:b*", Cursor({"market": "SE"}, (("album:{word}", "b*"),))),
    ]
    prefix = Cursor({}, (("album:{word}", "a*"),))
    assert [key for key, _ in narrower(split, prefix)] == ["album:a", "album:aa*", "album:ab*"]
    word = Cursor({}, (("album:{word}", "ab*"),))
    assert [key for key, _ in narrower(split, word)] == [
        "album:ab*,artist:a*",
        "album:ab*,artist:b*",
    ]
    last = Cursor({}, (("album:{word}", "ab"), ("artist:{word}", "abc")))
    assert narrower(Split(param="q", cap=1, refine=["album:{word}", "artist:{word}"]), last) == []
