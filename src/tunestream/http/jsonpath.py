"""Paths into JSON bodies, handled in one place: dotted paths (``albums.items``,
``cursors.after``, ``items.0.id``) and JMESPath expressions (https://jmespath.org) for conditions
such as ``error.code == `4```.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.functions import Functions
from jmespath.parser import ParsedResult

__all__ = [
    "MISSING",
    "Missing",
    "compile_jmespath",
    "jmespath_true",
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


_JMESPATH_FUNCTIONS = frozenset(Functions.FUNCTION_TABLE)


@functools.lru_cache(maxsize=256)
def compile_jmespath(expression: str) -> ParsedResult:
    """``expression`` compiled (once); a one-line ValueError saying why when it is not JMESPath,
    a function it calls unknown included (jmespath would only find that out on a search)."""
    try:
        parsed = jmespath.compile(expression)
    except JMESPathError as exc:
        reason = str(exc).splitlines()[0].removesuffix(", for expression:").rstrip(":")
        reason = re.sub(r"^(invalid|bad) jmespath expression:\s*", "", reason, flags=re.I)
        raise ValueError(f"not a JMESPath expression ({reason})") from None
    unknown = sorted(_functions(parsed.parsed) - _JMESPATH_FUNCTIONS)
    if unknown:
        raise ValueError(f"no JMESPath function is called {', '.join(unknown)}")
    return parsed


def _functions(node: Any) -> set[str]:
    """The names of the functions a parsed JMESPath expression calls."""
    if not isinstance(node, dict):
        return set()
    names = {node["value"]} if node.get("type") == "function_expression" else set()
    for child in node.get("children", ()):
        names |= _functions(child)
    return names


def jmespath_true(expression: str, data: Any) -> bool:
    """Whether ``expression`` is true of ``data`` by JMESPath's own truth
    (https://jmespath.org/specification.html#or-expressions): false, null, "", [] and {} are
    false, anything else (0 included) true. An expression that fails on ``data`` (a function
    given a value of the wrong type) is not true."""
    try:
        value = compile_jmespath(expression).search(data)
    except JMESPathError:
        return False
    if value is None or isinstance(value, bool):
        return bool(value)
    return not isinstance(value, str | list | dict) or len(value) > 0
