"""Shared pieces of the property-based tests: Hypothesis settings and strategies of bad input.

Bad input is made from good input: a document (a configuration, a spec, an API body) with a few
of its values replaced, keys deleted or added, nodes wrapped or nulled (:func:`mutated`); its YAML
text cut short or broken by a stray character, its bytes not UTF-8 (:func:`yaml_bytes`). Values
come from :func:`odd_values`: nulls, booleans, huge numbers, NaN, text with line breaks, control
characters and template syntax (``{…}``, ``${…}``). An API's answer goes wrong as a whole too: cut
short, an HTML error page, nesting deeper than a parser goes (:func:`broken_bodies`).

Runs are derandomized (a failure found once is found on every run, and printed as the example to
keep with ``@example``) and keep no database: :func:`fuzz` gives the settings, ``fuzz(SOAK)`` the
long ones of ``make soak``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "SOAK",
    "SOAK_TIMEOUT_S",
    "UNIT",
    "broken_bodies",
    "fuzz",
    "json_values",
    "mutated",
    "odd_text",
    "odd_values",
    "one_line",
    "secrets",
    "yaml_bytes",
]

UNIT = 25
"""Examples per property in ``make test``."""
SOAK = 1000
"""Examples per property in ``make soak``."""
SOAK_TIMEOUT_S = 3600
"""How long a property may take with :data:`SOAK` examples."""

_NASTY = (
    "",
    " ",
    "\n",
    "a\nb",
    "a\u2028b",
    "\t",
    "\x00",
    "\x85",
    "null",
    "~",
    "yes",
    "-1",
    "1e400",
    "0x1F",
    "{",
    "}",
    "{id",
    "{}",
    "{nope}",
    "${",
    "${UNSET_FUZZ_VARIABLE}",
    "${A:-{}",
    "$.items[?(@",
    "items[",
    "a..b",
    "*",
    "&anchor",
    "!!python/object:os.system",
    "<html><body><h1>502 Bad Gateway</h1></body></html>",
    "é\u0301\U0001f3b5",
    "\ufeff",
)
"""Strings known to trip parsers, templates, paths and messages."""


def fuzz(max_examples: int = UNIT) -> settings:
    """Settings of a property-based test: ``max_examples`` derandomized examples, no database,
    no deadline (the first example pays for imports)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def odd_text() -> st.SearchStrategy[str]:
    """Text of any kind, the strings of :data:`_NASTY`, and long ones."""
    huge = st.integers(1000, 100_000).map(lambda size: "x" * size)
    return st.one_of(st.sampled_from(_NASTY), st.text(max_size=20), huge)


def _nested(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``scalars`` alone or in small lists and mappings, a few levels deep."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(odd_text(), inner, max_size=3)
        ),
        max_leaves=6,
    )


def odd_values() -> st.SearchStrategy[Any]:
    """A YAML-expressible value where another was expected: scalars of every type and small
    nested containers."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**30, -(10**30)]),
        st.floats(),
        odd_text(),
    )
    return _nested(scalars)


def json_values() -> st.SearchStrategy[Any]:
    """A value JSON can hold (no NaN, no infinity), nested a few levels."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        odd_text(),
    )
    return _nested(scalars)


def broken_bodies(good: Any) -> st.SearchStrategy[bytes]:
    """The body of an answer that went wrong: ``good``'s JSON cut short, an HTML error page,
    text, nothing, nesting deeper than a parser goes, or JSON of another shape."""
    text = json.dumps(good)
    return st.one_of(
        st.integers(1, len(text) - 1).map(lambda size: text[:size].encode()),
        st.sampled_from(
            [
                b"",
                b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                b"upstream connect error or disconnect/reset before headers",
                b"\xff\xfe{}",
                b"[" * 5000 + b"]" * 5000,
            ]
        ),
        json_values().map(lambda value: json.dumps(value).encode()),
    )


def secrets() -> st.SearchStrategy[str]:
    """A secret value no message may show: distinctive enough never to appear by chance."""
    return st.from_regex(r"\Apw-[A-Za-z0-9]{12}\Z")


def one_line(message: str) -> bool:
    """The message is a single line, however a terminal or ``str.splitlines`` breaks lines."""
    return len(message.splitlines()) == 1


@st.composite
def mutated(
    draw: st.DrawFn, base: Any, values: st.SearchStrategy[Any] | None = None, most: int = 3
) -> Any:
    """``base`` (left unchanged) with one to ``most`` changes at nodes anywhere in it: a value
    replaced (by one of ``values``, default :func:`odd_values`), a key deleted, an unknown key
    added, a node nulled, wrapped in a list or emptied."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, most))):
        document = _mutate(draw, document, odd_values() if values is None else values)
    return document


def _mutate(draw: st.DrawFn, node: Any, values: st.SearchStrategy[Any]) -> Any:
    if isinstance(node, dict) and node and draw(st.integers(0, 3)) > 0:
        key = draw(st.sampled_from(sorted(node, key=repr)))
        node[key] = _mutate(draw, node[key], values)
        return node
    if isinstance(node, list) and node and draw(st.integers(0, 3)) > 0:
        index = draw(st.integers(0, len(node) - 1))
        node[index] = _mutate(draw, node[index], values)
        return node
    change = draw(st.sampled_from(["replace", "delete", "add", "null", "wrap", "empty"]))
    if change == "delete" and isinstance(node, dict) and node:
        del node[draw(st.sampled_from(sorted(node, key=repr)))]
        return node
    if change == "delete" and isinstance(node, list) and node:
        del node[draw(st.integers(0, len(node) - 1))]
        return node
    if change == "add" and isinstance(node, dict):
        node[draw(odd_text())] = draw(values)
        return node
    if change == "null":
        return None
    if change == "wrap":
        return [node]
    if change == "empty":
        return type(node)() if isinstance(node, dict | list | str) else ""
    return draw(values)


@st.composite
def yaml_bytes(draw: st.DrawFn, documents: st.SearchStrategy[Any]) -> bytes:
    """A file's bytes: one of ``documents`` as YAML, often intact, else cut short, broken by a
    stray character, or with bytes that are not UTF-8."""
    text: str = yaml.safe_dump(draw(documents), allow_unicode=draw(st.booleans()), sort_keys=False)
    damage = draw(st.sampled_from(["none", "none", "cut", "insert", "bytes"]))
    at = draw(st.integers(0, len(text)))
    if damage == "cut":
        return text[:at].encode()
    if damage == "insert":
        stray: str = draw(st.sampled_from([*":{}[]&*!|>'\"%@`\t-#?,", "\n  ", "\x07"]))
        return (text[:at] + stray + text[at:]).encode()
    if damage == "bytes":
        return text[:at].encode() + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"]))
    return text.encode()
