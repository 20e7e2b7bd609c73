"""Paginators: one small interface, kinds named in a registry (after dlt's rest_client).

The client drives a paginator like this::

    request = paginator.init_request(first)          # e.g. add offset=0&limit=50
                                                     # (or paginator.resume(saved): carry on)
    while True:
        body, headers = GET request
        paginator.update_state(body, records, headers) # read next/total/cursor, count records
        yield the page
        if not paginator.has_next_page: break
        request = paginator.update_request(request)    # e.g. offset += limit

Kinds: ``single``, ``offset``, ``page_number``; ``next_url`` and ``cursor`` (read from the body);
``link_header`` (the RFC 8288 ``Link`` header's ``rel="next"``) and ``header_cursor`` (a cursor in
a named response header), which read the page's response headers.

A paginator holds the state of one walk through the pages: build a new one per walk
(:func:`build_paginator`). A new kind is a config model (``type: Literal["name"] = "name"``) and a
class taking it, decorated with ``@PAGINATOR_KINDS.register("name", TheConfig)``, which also makes
``type: name`` valid in a spec.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from tunestream.http.jsonpath import MISSING, lookup
from tunestream.http.models import (
    PAGINATOR_KINDS,
    CursorPaginatorConfig,
    HeaderCursorPaginatorConfig,
    LinkHeaderPaginatorConfig,
    NextUrlPaginatorConfig,
    OffsetPaginatorConfig,
    PageNumberPaginatorConfig,
    PaginatorConfigBase,
    SinglePagePaginatorConfig,
)

__all__ = [
    "CursorPaginator",
    "HeaderCursorPaginator",
    "LinkHeaderPaginator",
    "NextUrlPaginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "PageRequest",
    "Paginator",
    "ParamValue",
    "SinglePagePaginator",
    "build_paginator",
    "next_link",
]

ParamValue = str | int | float


@dataclass(frozen=True)
class PageRequest:
    """A GET to send: a path (relative to the base URL) or an absolute URL, and parameters."""

    url: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)

    def with_params(self, **params: ParamValue) -> PageRequest:
        return PageRequest(self.url, {**self.params, **params})


class Paginator(ABC):
    """The state of one walk through the pages of an endpoint."""

    def __init__(self) -> None:
        self.has_next_page = True

    def init_request(self, request: PageRequest) -> PageRequest:
        """The first request, from the caller's one."""
        return request

    def resume(self, request: PageRequest) -> None:
        """Continue a walk at ``request``, one this kind made (saved at a checkpoint) — instead
        of :meth:`init_request`. Restores the state that :meth:`update_state` builds on; kinds
        whose state comes from each response (next_url, cursor, link_header, header_cursor,
        single) need nothing."""
        return None

    @abstractmethod
    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        """Learn from a page's body, records and response headers; clear ``has_next_page`` at
        the end."""

    @abstractmethod
    def update_request(self, request: PageRequest) -> PageRequest:
        """The request for the next page, from the previous one."""


def build_paginator(config: PaginatorConfigBase | None) -> Paginator:
    """A fresh paginator of the kind named by ``config.type`` (``single`` when None)."""
    return PAGINATOR_KINDS.build(config or SinglePagePaginatorConfig())


def _present(value: Any) -> bool:
    return value is not MISSING


def _int_param(request: PageRequest, name: str) -> int:
    value = request.params.get(name)
    try:
        return int(str(value))
    except ValueError:
        raise ValueError(f"cannot resume from {request}: no integer parameter {name!r}") from None


@PAGINATOR_KINDS.register("single", SinglePagePaginatorConfig)
class SinglePagePaginator(Paginator):
    """One request, no paging."""

    def __init__(self, config: SinglePagePaginatorConfig | None = None) -> None:
        super().__init__()

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        self.has_next_page = False

    def update_request(self, request: PageRequest) -> PageRequest:
        return request


@PAGINATOR_KINDS.register("offset", OffsetPaginatorConfig)
class OffsetPaginator(Paginator):
    """``offset``/``limit`` paging with every stop signal the body offers."""

    def __init__(self, config: OffsetPaginatorConfig) -> None:
        super().__init__()
        self.config = config
        self.offset = config.start_offset

    def init_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(
            **{self.config.offset_param: self.offset, self.config.limit_param: self.config.limit}
        )

    def resume(self, request: PageRequest) -> None:
        self.offset = _int_param(request, self.config.offset_param)

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        config = self.config
        self.offset += config.limit
        if len(records) < config.limit:
            self.has_next_page = False
        if config.next_path is not None:
            following = lookup(body, config.next_path)
            if _present(following) and following is None:
                self.has_next_page = False
        total = config.total(body)
        if total is not None and self.offset >= total:
            self.has_next_page = False
        if config.max_offset is not None and self.offset > config.max_offset:
            self.has_next_page = False

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(**{self.config.offset_param: self.offset})


@PAGINATOR_KINDS.register("next_url", NextUrlPaginatorConfig)
class NextUrlPaginator(Paginator):
    """Follows the URL of the next page found in the body (relative URLs resolved by httpx)."""

    def __init__(self, config: NextUrlPaginatorConfig) -> None:
        super().__init__()
        self.config = config
        self.next_url: str | None = None

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        following = lookup(body, self.config.next_path)
        self.next_url = following if isinstance(following, str) and following else None
        self.has_next_page = self.next_url is not None

    def update_request(self, request: PageRequest) -> PageRequest:
        if self.next_url is None:
            raise RuntimeError("update_request called after the last page")
        return PageRequest(self.next_url, {})  # the next URL carries its own query


@PAGINATOR_KINDS.register("cursor", CursorPaginatorConfig)
class CursorPaginator(Paginator):
    """Sends back the cursor found in the body as a parameter."""

    def __init__(self, config: CursorPaginatorConfig) -> None:
        super().__init__()
        self.config = config
        self.cursor: str | None = None

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        cursor = lookup(body, self.config.cursor_path)
        if isinstance(cursor, int | float) and not isinstance(cursor, bool):
            cursor = str(cursor)
        self.cursor = cursor if isinstance(cursor, str) and cursor else None
        self.has_next_page = self.cursor is not None

    def update_request(self, request: PageRequest) -> PageRequest:
        if self.cursor is None:
            raise RuntimeError("update_request called after the last page")
        return request.with_params(**{self.config.cursor_param: self.cursor})


@PAGINATOR_KINDS.register("page_number", PageNumberPaginatorConfig)
class PageNumberPaginator(Paginator):
    """A page-number parameter; stops on an empty page, ``total_pages`` or ``max_pages``."""

    def __init__(self, config: PageNumberPaginatorConfig) -> None:
        super().__init__()
        self.config = config
        self.page = config.start_page
        self.pages_seen = 0

    def init_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(**{self.config.page_param: self.page})

    def resume(self, request: PageRequest) -> None:
        self.page = _int_param(request, self.config.page_param)
        self.pages_seen = self.page - self.config.start_page

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        config = self.config
        self.pages_seen += 1
        self.page += 1
        if not records:
            self.has_next_page = False
        if config.total_pages_path is not None:
            total_pages = lookup(body, config.total_pages_path)
            last_page = (
                config.start_page + total_pages - 1
                if isinstance(total_pages, int) and not isinstance(total_pages, bool)
                else None
            )
            if last_page is not None and self.page > last_page:
                self.has_next_page = False
        if config.max_pages is not None and self.pages_seen >= config.max_pages:
            self.has_next_page = False

    def update_request(self, request: PageRequest) -> PageRequest:
        return request.with_params(**{self.config.page_param: self.page})


_LINK = re.compile(r"<([^>]*)>([^<]*)")  # a link-value: <target> and its parameters
_LINK_PARAM = re.compile(r';\s*([^\s=;,"]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;,"]*)))?')


def next_link(values: list[str]) -> str | None:
    """The target of the first link whose relation types include ``next``, from ``Link`` field
    values (RFC 8288 §3: any number of links per field, ``rel`` quoted or not, a
    space-separated list of case-insensitive types, only its first occurrence counting)."""
    for value in values:
        for link in _LINK.finditer(value):
            target = link.group(1).strip()
            if target and "next" in _relation_types(link.group(2)):
                return target
    return None


def _relation_types(params: str) -> list[str]:
    for param in _LINK_PARAM.finditer(params):
        if param.group(1).lower() == "rel":
            value = param.group(2) if param.group(2) is not None else param.group(3)
            return (value or "").lower().split()
    return []


@PAGINATOR_KINDS.register("link_header", LinkHeaderPaginatorConfig)
class LinkHeaderPaginator(Paginator):
    """Follows the ``Link: <url>; rel="next"`` response header (a relative target is resolved
    against the request's URL)."""

    def __init__(self, config: LinkHeaderPaginatorConfig | None = None) -> None:
        super().__init__()
        self.next_url: str | None = None

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        self.next_url = next_link(headers.get_list("Link"))
        self.has_next_page = self.next_url is not None

    def update_request(self, request: PageRequest) -> PageRequest:
        if self.next_url is None:
            raise RuntimeError("update_request called after the last page")
        return PageRequest(urljoin(request.url, self.next_url), {})  # its own query


@PAGINATOR_KINDS.register("header_cursor", HeaderCursorPaginatorConfig)
class HeaderCursorPaginator(Paginator):
    """Sends back the cursor found in a response header as a parameter."""

    def __init__(self, config: HeaderCursorPaginatorConfig) -> None:
        super().__init__()
        self.config = config
        self.cursor: str | None = None

    def update_state(self, body: Any, records: list[Any], headers: httpx.Headers) -> None:
        self.cursor = headers.get(self.config.cursor_header, "").strip() or None
        self.has_next_page = self.cursor is not None

    def update_request(self, request: PageRequest) -> PageRequest:
        if self.cursor is None:
            raise RuntimeError("update_request called after the last page")
        return request.with_params(**{self.config.cursor_param: self.cursor})
