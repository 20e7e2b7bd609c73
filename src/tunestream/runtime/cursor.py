"""Where paging one part of a discovery root stands: a typed cursor and its state form.

A root is read in parts: one per combination of its ``for_each`` values, and one per narrower
query where a ``split`` applies. A part's key names its values and terms (``market=SE``,
``album:a*``, or ``all``). Its cursor is kept in the source state (``cursor/<root>/<part>``) as
a JSON object, the form tunestream has always written::

    {"vars": {"market": "SE"}, "terms": [["album:{word}", "a*"]], "done": false,
     "total": 1234,                                      (when the first page reported one)
     "request": {"url": "/search", "params": {...}},     (the next page, once one was read)
     "split": true,                                      (replaced by narrower parts)
     "read_at": 1764745200.0,                            (when it was last read to its end)
     "since": "2026-12-03T10:00:00Z",                    (incremental: the last version read)
     "high": "2026-12-03T10:05:00Z",                     (incremental: the highest this read)
     "etag": "W/\"abc\"", "last_modified": "…",          (conditional: the first page's)
     "poll_after": 1764745260.0}                         (not to be read before then)

The parts of a root form a tree that is kept from cycle to cycle: a split part stays (it is not
read again), its narrower parts are the leaves that are read.

:meth:`Cursor.load` and :meth:`Cursor.dump` convert at that boundary; nothing else reads the
object's keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tunestream.errors import StateError
from tunestream.http.paginators import PageRequest
from tunestream.runtime.versions import since_param
from tunestream.spec.models import ListResource, Split

__all__ = ["Cursor", "Term", "fill", "first_request", "narrower", "parts"]

Term = tuple[str, str]
"""A refine term and its word: ``("album:{word}", "lo*")``."""


@dataclass(frozen=True)
class Cursor:
    """One part of a root: its ``for_each`` values, narrowing terms, and how far it is paged."""

    vars: Mapping[str, str]
    terms: tuple[Term, ...] = ()
    done: bool = False
    total: int | None = None
    """Items the API reported for the whole (un-narrowed) part, from its first page."""
    request: PageRequest | None = None
    """The next page to read; None: from the start (or, once ``done``, nothing)."""
    split: bool = False
    """Replaced by narrower parts: never read again."""
    read_at: float | None = None
    """When the part was last read to its end (epoch seconds); None: never."""
    since: str | None = None
    """Incremental lists: the highest version of the last complete read."""
    high: str | None = None
    """Incremental lists: the highest version of the read under way."""
    etag: str | None = None
    last_modified: str | None = None
    """Conditional lists: the validators of the first page last read."""
    poll_after: float | None = None
    """The API asked not to read the part again before then (epoch seconds)."""

    @classmethod
    def load(cls, value: Mapping[str, Any]) -> Cursor:
        """The cursor of a state record's object; StateError if it is not one."""
        try:
            saved = value.get("request")
            return cls(
                vars=dict(value["vars"]),
                terms=tuple((str(term), str(word)) for term, word in value["terms"]),
                done=bool(value["done"]),
                total=int(value["total"]) if "total" in value else None,
                request=None if saved is None else PageRequest(saved["url"], saved["params"]),
                split=bool(value.get("split", False)),
                read_at=float(value["read_at"]) if "read_at" in value else None,
                since=_text(value.get("since")),
                high=_text(value.get("high")),
                etag=_text(value.get("etag")),
                last_modified=_text(value.get("last_modified")),
                poll_after=float(value["poll_after"]) if "poll_after" in value else None,
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise StateError(f"a cursor {value!r} cannot be read ({exc!r})") from exc

    def dump(self) -> dict[str, Any]:
        """The state record's object."""
        value: dict[str, Any] = {
            "vars": dict(self.vars),
            "terms": [list(term) for term in self.terms],
            "done": self.done,
        }
        if self.total is not None:
            value["total"] = self.total
        if self.request is not None:
            value["request"] = {"url": self.request.url, "params": dict(self.request.params)}
        if self.split:
            value["split"] = True
        optional = {
            "read_at": self.read_at,
            "since": self.since,
            "high": self.high,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "poll_after": self.poll_after,
        }
        value.update((k, v) for k, v in optional.items() if v is not None)
        return value


def parts(
    for_each: Mapping[str, str], variables: Mapping[str, list[str] | str]
) -> list[tuple[str, Cursor]]:
    """A root's parts at the start of a cycle: one per combination of its ``for_each`` values."""
    combos: list[dict[str, str]] = [{}]
    for placeholder, variable in for_each.items():
        values = variables[variable]
        assert isinstance(values, list)
        combos = [{**combo, placeholder: value} for combo in combos for value in values]
    return [(_part_key(combo, ()), Cursor(combo)) for combo in combos]


def first_request(resource: ListResource, cursor: Cursor) -> PageRequest:
    """The part's first page: the resource's request filled in with its values and terms."""
    params: dict[str, str | int | float] = {
        k: fill(v, cursor.vars) if isinstance(v, str) else int(v)
        for k, v in resource.request.params.items()
    }
    if resource.incremental is not None:
        since = since_param(resource.incremental, cursor.since)
        if since is not None:
            params[resource.incremental.param] = since
    split = resource.split
    if split is not None and cursor.terms:
        narrowing = split.render([list(term) for term in cursor.terms])
        params[split.param] = f"{params.get(split.param, '')} {narrowing}".strip()
    return PageRequest(fill(resource.request.path, cursor.vars), params)


def narrower(split: Split, cursor: Cursor) -> list[tuple[str, Cursor]]:
    """Narrower parts that together hold the results of this one (see ``Split``); none when
    the terms cannot be refined further."""
    options = [
        tuple((term, word) for term, word in option)
        for option in split.narrower([list(term) for term in cursor.terms])
    ]
    return [(_part_key(cursor.vars, terms), Cursor(cursor.vars, terms)) for terms in options]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _part_key(values: Mapping[str, str], terms: Sequence[Term]) -> str:
    keys = [f"{k}={v}" for k, v in sorted(values.items())]
    keys += [term.format(word=word) for term, word in terms]
    return ",".join(keys) or "all"


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` of ``values`` filled in."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template
