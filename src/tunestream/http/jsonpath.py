"""Dotted paths into JSON bodies (``albums.items``, ``cursors.after``, ``items.0.id``), handled in
one place; conditions and queries are JMESPath (``query.py``).
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "MISSING",
    "Missing",
    "lookup",
    "select_records",
]


class Missing:
    """The type of :data:`MISSING`: the path leads nowhere (as opposed to a JSON ``null``)."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing()


def lookup(data: Any, path: str) -> Any:
    """The value at ``path`` in ``data``, or :data:`MISSING` when a step does not exist.

    A step is an object key, or a decimal index into a list.
    """
    current = data
    for step in path.split("."):
        if isinstance(current, dict):
            if step not in current:
                return MISSING
            current = current[step]
        elif isinstance(current, list) and step.isdecimal():
            index = int(step)
            if index >= len(current):
                return MISSING
            current = current[index]
        else:
            return MISSING
    return current


def select_records(body: Any, path: str | None) -> list[Any] | None:
    """The list of records in ``body``; ``None`` when the path does not lead to a list.

    Without a path, a body that is a list is the records, and any other body is one record.
    """
    if path is None:
        return list(body) if isinstance(body, list) else [body]
    found = lookup(body, path)
    return list(found) if isinstance(found, list) else None
