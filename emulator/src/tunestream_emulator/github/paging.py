"""Page-number pagination and the ``link`` header, as api.github.com writes them.

https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api:
``per_page`` (default 30, at most 100) and ``page`` (from 1); the header lists the previous,
next, last and first pages, in that order, each only where it exists, and is left out when
everything fits on one page::

    link: <https://api.github.com/repositories/1300192/issues?page=2>; rel="prev",
          <https://api.github.com/repositories/1300192/issues?page=4>; rel="next",
          <https://api.github.com/repositories/1300192/issues?page=515>; rel="last",
          <https://api.github.com/repositories/1300192/issues?page=1>; rel="first"

The links keep the request's other parameters and name the repository by id
(``/repositories/{id}/…``), as GitHub's do; the stand-in serves those paths too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "PageRequest", "link_header"]

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


def _positive(raw: str | None, default: int) -> int:
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value >= 1 else default


@dataclass(frozen=True)
class PageRequest:
    """``page`` and ``per_page`` of a request: a value that is not a positive number is the
    default, ``per_page`` above 100 is 100."""

    page: int
    per_page: int

    @classmethod
    def of(cls, page: str | None, per_page: str | None) -> PageRequest:
        size = _positive(per_page, DEFAULT_PER_PAGE)
        return cls(_positive(page, 1), min(MAX_PER_PAGE, size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def last(self, total: int) -> int:
        """The last page of ``total`` items (1 when there are none)."""
        return max(1, math.ceil(total / self.per_page))


def link_header(
    url: str, query: Sequence[tuple[str, str]], request: PageRequest, total: int
) -> str | None:
    """The ``link`` header of page ``request.page`` of ``total`` items at ``url``."""
    last = request.last(total)
    if request.page == 1 and last == 1:
        return None
    kept = [(key, value) for key, value in query if key != "page"]

    def to(page: int, rel: str) -> str:
        return f'<{url}?{urlencode([*kept, ("page", str(page))])}>; rel="{rel}"'

    links = []
    if request.page > 1:
        links.append(to(request.page - 1, "prev"))
    if request.page < last:
        links.extend((to(request.page + 1, "next"), to(last, "last")))
    if request.page > 1:
        links.append(to(1, "first"))
    return ", ".join(links)
