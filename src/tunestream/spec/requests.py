"""How a lookup asks for its items by id: many in one request (:class:`BatchRequest`), or one
(:class:`SingleRequest`); and the dotted selectors that pick ids from records."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tunestream.http.models import JsonPath

__all__ = ["BatchRequest", "Selector", "SingleRequest", "select_ids"]

Selector = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+(\.([A-Za-z0-9_]+|\*))*$")]
"""A dotted path that may fan out with ``*``: ``id``, ``artists.*.id``."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BatchRequest(_Model):
    """Many ids in one request: ``path?<param>=a,b,c``; the answer lists them in order (a null
    for an unknown one) — or, with ``match``, in any order, unknown ones left out: each record
    answers for the id ``match`` selects from it (ReccoBeats: the Spotify id ending ``href``,
    ``match: href, match_pattern: "track/(\\w+)$"``; MusicBrainz: any of ``isrcs.*``; the first
    record answering for an id is taken). ``item`` and ``separator`` write the ids into the
    parameter: MusicBrainz's search takes ``isrc:A OR isrc:B`` (``item: "isrc:{id}"``,
    ``separator: " OR "``)."""

    path: Annotated[str, Field(min_length=1)]
    param: Annotated[str, Field(min_length=1)] = "ids"
    max: Annotated[int, Field(ge=1)]
    records: JsonPath | None = None
    params: dict[str, str | int | bool] = Field(default_factory=dict)
    item: Annotated[str, Field(pattern=r"\{id\}")] = "{id}"
    separator: Annotated[str, Field(min_length=1)] = ","
    match: Selector | None = None
    match_pattern: re.Pattern[str] | None = None
    """A regular expression whose first group is the id in what ``match`` selects."""

    @field_validator("match_pattern")
    @classmethod
    def _has_a_group(cls, pattern: re.Pattern[str] | None) -> re.Pattern[str] | None:
        if pattern is not None and pattern.groups < 1:
            raise ValueError("match_pattern needs a group: (…) around the id")
        return pattern

    @model_validator(mode="after")
    def _pattern_needs_match(self) -> BatchRequest:
        if self.match_pattern is not None and self.match is None:
            raise ValueError("match_pattern applies to what match selects: give match too")
        return self

    def value(self, ids: list[str]) -> str:
        """The parameter's value for ``ids``."""
        return self.separator.join(self.item.replace("{id}", id_) for id_ in ids)

    def answers_for(self, record: Any) -> list[str]:
        """The ids a record answers for (``match`` set)."""
        assert self.match is not None
        found = select_ids(record, self.match)
        if self.match_pattern is None:
            return found
        return [m.group(1) for value in found if (m := self.match_pattern.search(value))]


class SingleRequest(_Model):
    """One id per request: ``path`` holds ``{id}``; the body (or ``records``) is the record."""

    path: Annotated[str, Field(pattern=r"\{id\}")]
    records: JsonPath | None = None
    params: dict[str, str | int | bool] = Field(default_factory=dict)


def select_ids(record: Any, selector: str) -> list[str]:
    """The ids a selector picks from a record: ``id``, or ``artists.*.id`` over a list."""
    found: list[Any] = [record]
    for step in selector.split("."):
        following: list[Any] = []
        for value in found:
            if step == "*" and isinstance(value, list):
                following.extend(value)
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        found = following
    return [str(v) for v in found if isinstance(v, str | int) and not isinstance(v, bool)]
