from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from tests.support.rest import API, Seen, make_client
from tunestream.errors import ConfigError, MalformedBody
from tunestream.http.client import Page
from tunestream.http.models import (
    CursorPaginatorConfig,
    HeaderCursorPaginatorConfig,
    LinkHeaderPaginatorConfig,
    NextUrlPaginatorConfig,
    OffsetPaginatorConfig,
    PageNumberPaginatorConfig,
    PaginatorConfigBase,
    SinglePagePaginatorConfig,
)
from tunestream.http.paginators import PageRequest, build_paginator, next_link
from tunestream.http.testing import run_in_virtual_time as run

pytestmark = [pytest.mark.unit, pytest.mark.timeout(10)]


def walk(
    handler: Any,
    paginator: PaginatorConfigBase | None,
    records_path: str | None,
    *,
    path: str = "things",
    max_pages: int | None = None,
    resume_from: PageRequest | None = None,
) -> list[Page]:
    async def scenario() -> list[Page]:
        async with make_client(handler) as api:
            pages = api.paginate(
                path,
                {"q": "x"},
                paginator=paginator,
                records_path=records_path,
                max_pages=max_pages,
                resume_from=resume_from,
            )
            return [page async for page in pages]

    return run(scenario())


def records(pages: list[Page]) -> list[Any]:
    return [record for page in pages for record in page.records]


class OffsetApi:
    """A paging object like Spotify's; ``tell`` chooses which stop signals the body carries."""

    def __init__(self, size: int, *, tell: set[str], wrap: str | None = None) -> None:
        self.size = size
        self.tell = tell
        self.wrap = wrap
        self.seen = Seen()

    def offsets(self) -> list[int]:
        return [int(r.url.params["offset"]) for _, r in self.seen.requests]

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.add(request)
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        assert request.url.params["q"] == "x"
        body: dict[str, Any] = {"items": list(range(offset, min(offset + limit, self.size)))}
        if "total" in self.tell:
            body["total"] = self.size
        if "next" in self.tell:
            body["next"] = (
                f"{API}/things?offset={offset + limit}" if offset + limit < self.size else None
            )
        return httpx.Response(200, json={self.wrap: body} if self.wrap else body)


def test_offset_stops_on_a_null_next() -> None:
    api = OffsetApi(100, tell={"next"})  # the second page is full, but next is null
    pages = walk(api, OffsetPaginatorConfig(limit=50, total_path=None), "items")
    assert api.offsets() == [0, 50]
    assert records(pages) == list(range(100))
    assert [dict(page.request.params) for page in pages] == [
        {"q": "x", "offset": 0, "limit": 50},
        {"q": "x", "offset": 50, "limit": 50},
    ]


def test_offset_stops_on_a_short_page() -> None:
    api = OffsetApi(120, tell=set())
    pages = walk(api, OffsetPaginatorConfig(limit=50), "items")
    assert api.offsets() == [0, 50, 100]
    assert records(pages) == list(range(120))


def test_offset_stops_when_total_is_reached() -> None:
    api = OffsetApi(100, tell={"total"})
    pages = walk(api, OffsetPaginatorConfig(limit=50, next_path=None), "items")
    assert api.offsets() == [0, 50]
    assert len(records(pages)) == 100


def test_offset_never_asks_beyond_max_offset() -> None:
    # Spotify search: nested paging object, offset capped at 1000 whatever total says.
    api = OffsetApi(5000, tell={"total", "next"}, wrap="albums")
    config = OffsetPaginatorConfig(
        limit=50, max_offset=1000, total_path="albums.total", next_path="albums.next"
    )
    pages = walk(api, config, "albums.items", path="search")
    assert api.offsets() == list(range(0, 1001, 50))
    assert len(pages) == 21
    assert records(pages) == list(range(1050))


def test_next_url_follows_absolute_links_until_null() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        page = int(request.url.params.get("page_token", "0"))
        following = f"{API}/things?page_token={page + 1}" if page < 2 else None
        return httpx.Response(
            200, json={"data": [page * 10, page * 10 + 1], "paging": {"next": following}}
        )

    pages = walk(handler, NextUrlPaginatorConfig(next_path="paging.next"), "data")
    assert records(pages) == [0, 1, 10, 11, 20, 21]
    assert [str(r.url) for _, r in seen.requests] == [
        f"{API}/things?q=x",
        f"{API}/things?page_token=1",
        f"{API}/things?page_token=2",
    ]
    assert pages[2].request.url == f"{API}/things?page_token=2"


def test_next_url_reads_a_nested_path() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        page = int(request.url.params.get("page", "1"))
        href = f"{API}/things?page={page + 1}" if page < 3 else None  # HAL-style links
        return httpx.Response(200, json={"data": [page], "links": {"next": {"href": href}}})

    pages = walk(handler, NextUrlPaginatorConfig(next_path="links.next.href"), "data")
    assert records(pages) == [1, 2, 3]
    assert [str(r.url) for _, r in seen.requests] == [
        f"{API}/things?q=x",
        f"{API}/things?page=2",
        f"{API}/things?page=3",
    ]
    assert pages[-1].next_request is None


def test_cursor_sends_the_cursor_back_until_there_is_none() -> None:
    seen = Seen()
    cursors = {None: "c1", "c1": "c2", "c2": None}

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        after = request.url.params.get("after")
        body = {"artists": {"items": [after or "start"], "cursors": {"after": cursors[after]}}}
        return httpx.Response(200, json=body)

    config = CursorPaginatorConfig(cursor_path="artists.cursors.after", cursor_param="after")
    pages = walk(handler, config, "artists.items")
    assert records(pages) == ["start", "c1", "c2"]
    assert [r.url.params.get("after") for _, r in seen.requests] == [None, "c1", "c2"]
    assert all(r.url.params["q"] == "x" for _, r in seen.requests)


def github_link(page: int, last: int) -> str:
    """A ``Link`` field as GitHub sends it: prev, next, last and first, as they apply."""
    url = f"{API}/repos/o/r/releases?per_page=2&page="
    links = []
    if page > 1:
        links.append(f'<{url}{page - 1}>; rel="prev"')
    if page < last:
        links.append(f'<{url}{page + 1}>; rel="next"')
        links.append(f'<{url}{last}>; rel="last"')
    if page > 1:
        links.append(f'<{url}1>; rel="first"')
    return ", ".join(links)


class LinkApi:
    """Three pages of releases, each naming the next one in its Link header."""

    def __init__(self) -> None:
        self.seen = Seen()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.add(request)
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json=[f"release-{page}"], headers={"Link": github_link(page, 3)})


def test_link_header_follows_rel_next_until_there_is_none() -> None:
    api = LinkApi()
    pages = walk(api, LinkHeaderPaginatorConfig(), None, path="repos/o/r/releases")
    assert records(pages) == ["release-1", "release-2", "release-3"]
    assert [str(r.url) for _, r in api.seen.requests] == [
        f"{API}/repos/o/r/releases?q=x",
        f"{API}/repos/o/r/releases?per_page=2&page=2",  # the next URL's own query, nothing added
        f"{API}/repos/o/r/releases?per_page=2&page=3",
    ]
    assert pages[1].headers["Link"] == github_link(2, 3)  # every page carries its headers
    assert pages[2].next_request is None


def test_a_link_header_walk_resumes_from_a_saved_request() -> None:
    api = LinkApi()
    saved = PageRequest(f"{API}/repos/o/r/releases?per_page=2&page=2")
    pages = walk(api, LinkHeaderPaginatorConfig(), None, resume_from=saved)
    assert records(pages) == ["release-2", "release-3"]
    assert pages[0].request == saved


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (['<https://x.test/a?page=2>; rel="next"'], "https://x.test/a?page=2"),
        (["<https://x.test/a?page=2>;rel=next"], "https://x.test/a?page=2"),  # unquoted
        (['<https://x.test/a>; rel="prev", <https://x.test/b>; REL="Next"'], "https://x.test/b"),
        (['<https://x.test/a>; rel="next last"'], "https://x.test/a"),  # a list of types
        (['<https://x.test/a?ids=1,2>; title="a, b"; rel="next"'], "https://x.test/a?ids=1,2"),
        (['<https://x.test/a>; rel="prev"', '<https://x.test/b>; rel="next"'], "https://x.test/b"),
        (['<https://x.test/a>; rel="prev"; rel="next"'], None),  # only the first rel counts
        (['<https://x.test/a>; title="rel=next"; rel="last"'], None),
        (['<https://x.test/a>; rel="nextpage"'], None),
        (['<https://x.test/a>; rel="last"'], None),
        ([], None),
    ],
)
def test_next_link_parses_link_fields_robustly(values: list[str], expected: str | None) -> None:
    assert next_link(values) == expected


def test_a_relative_next_link_is_resolved_against_the_request() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        page = int(request.url.params.get("page", "1"))
        headers = {"Link": f"<?page={page + 1}>; rel=next"} if page < 2 else {}
        return httpx.Response(200, json=[page], headers=headers)

    pages = walk(handler, LinkHeaderPaginatorConfig(), None)
    assert records(pages) == [1, 2]
    assert str(seen.requests[1][1].url) == f"{API}/things?page=2"


def test_header_cursor_sends_the_header_back_until_it_is_absent_or_empty() -> None:
    seen = Seen()
    cursors = {None: "c1", "c1": "c2", "c2": " "}

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        after = request.url.params.get("page_token")
        return httpx.Response(200, json=[after or "start"], headers={"X-Next": cursors[after]})

    config = HeaderCursorPaginatorConfig(cursor_header="x-next", cursor_param="page_token")
    pages = walk(handler, config, None)
    assert records(pages) == ["start", "c1", "c2"]
    assert [r.url.params.get("page_token") for _, r in seen.requests] == [None, "c1", "c2"]
    assert all(r.url.params["q"] == "x" for _, r in seen.requests)

    async def without_header(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=["only"])

    assert records(walk(without_header, config, None)) == ["only"]


def test_a_header_cursor_walk_resumes_from_a_saved_request() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return httpx.Response(200, json=[request.url.params["cursor"]])  # the last page

    saved = PageRequest("things", {"q": "x", "cursor": "c7"})
    pages = walk(
        handler, HeaderCursorPaginatorConfig(cursor_header="X-Cursor"), None, resume_from=saved
    )
    assert records(pages) == ["c7"]
    assert pages[0].request == saved


def test_page_number_stops_on_an_empty_page() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        page = int(request.url.params["page"])
        return httpx.Response(200, json={"data": [page] if page <= 3 else []})

    pages = walk(handler, PageNumberPaginatorConfig(), "data")
    assert records(pages) == [1, 2, 3]
    assert [int(r.url.params["page"]) for _, r in seen.requests] == [1, 2, 3, 4]


def test_page_number_stops_at_total_pages() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        page = int(request.url.params["p"])
        return httpx.Response(200, json={"data": [page], "meta": {"pages": 3}})

    config = PageNumberPaginatorConfig(page_param="p", start_page=0, total_pages_path="meta.pages")
    pages = walk(handler, config, "data")
    assert records(pages) == [0, 1, 2]
    assert len(seen.requests) == 3


def test_single_makes_one_request_whatever_the_body_says() -> None:
    seen = Seen()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return httpx.Response(200, json={"items": [1, 2], "next": f"{API}/things?offset=2"})

    for config in (SinglePagePaginatorConfig(), None):
        pages = walk(handler, config, "items")
        assert records(pages) == [1, 2]
    assert len(seen.requests) == 2


def test_without_a_records_path_an_object_body_is_one_record() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "a"})

    assert records(walk(handler, None, None)) == [{"id": "a"}]


def test_a_body_without_records_at_the_path_is_malformed() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"albums": {"items": None}})

    with pytest.raises(MalformedBody, match=r"no list at 'albums\.items'") as caught:
        walk(handler, None, "albums.items")
    assert caught.value.body == b'{"albums":{"items":null}}'


def test_max_pages_ends_the_walk() -> None:
    api = OffsetApi(1000, tell={"total", "next"})
    pages = walk(api, OffsetPaginatorConfig(limit=10), "items", max_pages=3)
    assert api.offsets() == [0, 10, 20]
    assert [page.number for page in pages] == [0, 1, 2]


@pytest.mark.parametrize(
    ("config", "saved", "expected"),
    [
        (OffsetPaginatorConfig(limit=50), {"q": "x", "offset": 100, "limit": 50}, [100, 150]),
        (PageNumberPaginatorConfig(max_pages=5), {"q": "x", "page": 4}, [4, 5]),
    ],
    ids=["offset", "page_number"],
)
def test_a_walk_resumes_from_a_saved_request(
    config: PaginatorConfigBase, saved: dict[str, Any], expected: list[int]
) -> None:
    seen = Seen()
    param = "offset" if isinstance(config, OffsetPaginatorConfig) else "page"

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.add(request)
        return httpx.Response(200, json={"items": list(range(50))})  # never a short page

    async def scenario() -> list[Page]:
        async with make_client(handler) as api:
            pages = api.paginate(
                "things",
                paginator=config,
                records_path="items",
                max_pages=2,
                resume_from=PageRequest("things", saved),
            )
            return [page async for page in pages]

    pages = run(scenario())
    assert [int(r.url.params[param]) for _, r in seen.requests] == expected
    assert pages[0].request == PageRequest("things", saved)
    assert pages[0].next_request == pages[1].request  # what a walker saves to continue
    assert pages[1].next_request is None  # max_pages reached: nothing follows


def test_resuming_needs_the_parameter_the_paginator_made() -> None:
    pager = build_paginator(OffsetPaginatorConfig())
    with pytest.raises(ValueError, match="no integer parameter 'offset'"):
        pager.resume(PageRequest("things", {"page": 2}))


BODY = {"albums": {"total": 7, "items": []}, "total": 9, "truthy": True}


def test_an_offset_config_reads_the_total_and_changes_its_page_size() -> None:
    config = OffsetPaginatorConfig(limit=50, max_offset=1000, total_path="albums.total")
    assert config.total(BODY) == 7
    assert OffsetPaginatorConfig().total(BODY) == 9  # total_path defaults to "total"
    assert OffsetPaginatorConfig(total_path=None).total(BODY) is None
    assert OffsetPaginatorConfig(total_path="albums.missing").total(BODY) is None
    assert OffsetPaginatorConfig(total_path="truthy").total(BODY) is None  # a bool is no count
    assert config.page_size == 50
    smaller = config.with_page_size(10)
    assert (smaller.limit, smaller.page_size, smaller.max_offset) == (10, 10, 1000)
    assert smaller.total_path == "albums.total"
    assert config.limit == 50  # a copy: the spec's config is unchanged
    with pytest.raises(ValidationError):
        config.with_page_size(0)


@pytest.mark.parametrize(
    "config",
    [
        SinglePagePaginatorConfig(),
        NextUrlPaginatorConfig(),
        CursorPaginatorConfig(),
        PageNumberPaginatorConfig(total_pages_path="total"),
        LinkHeaderPaginatorConfig(),
        HeaderCursorPaginatorConfig(cursor_header="X-Cursor"),
    ],
)
def test_kinds_without_a_page_size_say_so(config: PaginatorConfigBase) -> None:
    assert config.total(BODY) is None  # page_number's total_pages counts pages, not records
    assert config.page_size is None
    with pytest.raises(ConfigError) as caught:
        config.with_page_size(10)
    assert str(caught.value) == (f"paginator type {config.type!r} has no page size to change to 10")
