"""Record shaping: which records a resource writes, and with what key, timestamp and fields.

A resource's ``shape`` says, in JMESPath (:mod:`tunestream.http.query`), how each record it
fetched becomes a Kafka record:

    shape:
      filter: "state == 'open'"          # falsy (JMESPath's truth): not written, not fanned out
      key: "{repo}#{number}"             # a query (node_id), or a template when it holds a brace
      timestamp: updated_at              # ISO-8601 text, or a number of timestamp_unit since 1970
      timestamp_unit: s                  # s (default) or ms, for numbers
      keep: [number, title, state]       # top-level fields kept (or drop: [...], not both)
      add: {repository: "{repo}", issue: "{parent.id}", source: github}

Every query reads one document: the record, with the item's context beside its fields — the
``for_each`` values by name (``repo``) and, for a sublist's records, ``parent.id``: the value the
parent gave (an id, or the URL of the list) —, a name of the context hiding a record field of the
same name. ``apply`` then, in this order:

1. ``filter``: a record for which it is false, null, empty or absent is dropped (``None``);
2. ``key`` and ``timestamp`` are read from the whole record (before ``keep`` or ``drop``);
3. ``keep`` or ``drop`` narrows the record to the fields named, or all but those;
4. ``add`` sets each field: a string is a template (no placeholder: a constant text), a number,
   true, false or null a constant.

The key is None when the shape names none or its value is null (the caller keys the record as it
would without a shape); the timestamp in milliseconds is None when its value is absent,
unparseable or before 1970 (Kafka takes no earlier one). An ISO-8601 text without a time zone is
UTC; a date alone is its midnight. Records that are not JSON objects keep their value (``keep``,
``drop`` and ``add`` need fields) and their queries read the record alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, model_validator

from tunestream.http.query import Key, Query, Template, truthy

__all__ = ["Shape", "ShapeContext", "ShapedRecord"]

ShapeContext = Mapping[str, Any]
"""What an item was fetched with: its ``for_each`` values by name, and for a sublist's records
``{"parent": {"id": <the value the parent gave>}}``."""

FieldName = Annotated[str, Field(min_length=1)]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_MS = 2**63
"""Kafka timestamps are signed 64-bit milliseconds."""


def _added(value: Any) -> Template | int | float | bool | None:
    if isinstance(value, str):
        return Template(value)
    if value is None or isinstance(value, Template | bool | int | float):
        return value
    raise ValueError("a text (a template), a number, true, false or null is expected")


Added = Annotated[
    Template | int | float | bool | None,
    PlainValidator(_added),
    WithJsonSchema(
        {
            "type": ["string", "number", "boolean", "null"],
            "description": Template.what + "; or a constant",
        }
    ),
]


@dataclass(frozen=True, slots=True)
class ShapedRecord:
    """A record as a resource writes it: its value, its key and its timestamp (ms)."""

    value: Any
    key: str | None
    timestamp_ms: int | None


class Shape(BaseModel):
    """How each record of a resource is filtered, keyed, timestamped and trimmed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filter: Query | None = None
    """Records for which this is falsy are dropped: not written, not fanned out."""
    key: Key | None = None
    timestamp: Query | None = None
    timestamp_unit: Literal["s", "ms"] = "s"
    """What a numeric timestamp counts since 1970: seconds or milliseconds."""
    keep: Annotated[list[FieldName], Field(min_length=1)] | None = None
    drop: Annotated[list[FieldName], Field(min_length=1)] | None = None
    add: dict[FieldName, Added] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keep_or_drop(self) -> Shape:
        if self.keep is not None and self.drop is not None:
            raise ValueError("keep and drop exclude each other: name the fields kept, or dropped")
        return self

    def apply(self, record: Any, context: ShapeContext | None = None) -> ShapedRecord | None:
        """The record shaped, or None if ``filter`` drops it (see the module's doc)."""
        document = {**record, **context} if context and isinstance(record, dict) else record
        if self.filter is not None and not truthy(self.filter.search(document)):
            return None
        key = self.key.render(document) if self.key is not None else None
        stamp = None
        if self.timestamp is not None:
            stamp = _epoch_ms(self.timestamp.search(document), self.timestamp_unit)
        return ShapedRecord(self._fields(record, document), key, stamp)

    def _fields(self, record: Any, document: Any) -> Any:
        if not isinstance(record, dict):
            return record
        value = record
        if self.keep is not None:
            value = {name: v for name, v in record.items() if name in self.keep}
        elif self.drop is not None:
            value = {name: v for name, v in record.items() if name not in self.drop}
        if self.add:
            value = dict(value)
            for name, added in self.add.items():
                value[name] = added.render(document) if isinstance(added, Template) else added
        return value


def _epoch_ms(value: Any, unit: Literal["s", "ms"]) -> int | None:
    """Milliseconds since 1970 of an ISO-8601 text or a number of ``unit``; None if it is not
    one, or out of Kafka's range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            ms = round(value * 1000 if unit == "s" else value)
        except (OverflowError, ValueError):  # inf, nan
            return None
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return None
        ms = ((at if at.tzinfo else at.replace(tzinfo=UTC)) - _EPOCH) // _MS
    else:
        return None
    return ms if 0 <= ms < _MAX_MS else None
