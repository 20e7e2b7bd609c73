"""JMESPath in specs: queries, and templates whose placeholders are queries, compiled once.

A spec reads JSON with JMESPath (https://jmespath.org/specification.html), a query language with
a published specification and compliance tests. Three kinds of text use it:

    Query       node_id · artists[0].name · state == 'open' && !draft
    Template    "{repo}#{number}" · "{parent.node_id}" · "deezer" (no placeholder: itself)
    Key         a Query, or a Template when the text holds a brace: node_id · "{repo}#{number}"

A text is compiled when the spec is validated, so a query that is not JMESPath, or that calls a
function JMESPath does not have (or with a wrong number of arguments), is a validation error
naming it. A template's placeholder is one query without braces; ``{{`` and ``}}`` are literal
braces. A template renders each placeholder's value as text: a string as it is, anything else as
compact JSON (``42``, ``true``); a placeholder whose value is null makes the whole rendering null,
so that a key such as ``{repo}#{number}`` is never half made.

A query that fails on a document — a function given a value of the wrong type, ``length(@)`` of
a number — reads null, as a path that is absent does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jmespath
import orjson
from jmespath.exceptions import (
    EmptyExpressionError,
    IncompleteExpressionError,
    JMESPathError,
    JMESPathTypeError,
    LexerError,
    ParseError,
)
from jmespath.functions import Functions
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

__all__ = ["Key", "Query", "Template", "truthy"]

_FUNCTIONS: dict[str, Any] = Functions().FUNCTION_TABLE
"""JMESPath's built-in functions by name, each with its argument signature."""
_PIECE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
"""A literal brace (doubled), a placeholder, or a brace without its pair."""


class _Text:
    """A spec text compiled on validation; equal to another of its kind with the same text."""

    __slots__ = ("text",)
    what = "text"
    """What the JSON Schema says the text is (an editor shows it)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.text == self.text

    def __hash__(self) -> int:
        return hash((type(self), self.text))

    @classmethod
    def _validate(cls, value: Any) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, str):
            raise ValueError(f"{cls.what} (a string) is expected")
        return cls(value)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "description": cls.what}


class Query(_Text):
    """A JMESPath expression: ``search`` reads a document with it."""

    __slots__ = ("_parsed",)
    what = "a JMESPath expression (https://jmespath.org)"

    def __init__(self, text: str) -> None:
        try:
            parsed = jmespath.compile(text)
        except JMESPathError as exc:
            raise ValueError(f"{text!r} is not a JMESPath expression ({_reason(exc)})") from None
        _check_functions(text, parsed.parsed)
        super().__init__(text)
        self._parsed = parsed

    def search(self, document: Any) -> Any:
        """The value the expression selects in ``document``; None where there is none."""
        try:
            return self._parsed.search(document)
        except JMESPathTypeError:
            return None


class Template(_Text):
    """Text with ``{query}`` placeholders, rendered against a document."""

    __slots__ = ("parts",)
    what = "a text with {JMESPath} placeholders; {{ and }} are literal braces"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.parts = self._split(text)

    @staticmethod
    def _split(text: str) -> tuple[str | Query, ...]:
        return _parse(text)

    def render(self, document: Any) -> str | None:
        """The text with each placeholder's value; None if one of the values is null."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part.search(document)
            if value is None:
                return None
            out.append(value if isinstance(value, str) else orjson.dumps(value).decode())
        return "".join(out)


class Key(Template):
    """A query (``node_id``), or a template when the text holds a brace (``{repo}#{number}``)."""

    __slots__ = ()
    what = "a JMESPath expression, or a text with {JMESPath} placeholders"

    @staticmethod
    def _split(text: str) -> tuple[str | Query, ...]:
        return _parse(text) if "{" in text or "}" in text else (Query(text),)


def _parse(text: str) -> tuple[str | Query, ...]:
    """A template's literal texts and placeholder queries, in order."""
    parts: list[str | Query] = []
    literal = ""
    at = 0
    for match in _PIECE.finditer(text):
        literal += text[at : match.start()]
        at = match.end()
        piece, query = match.group(0), match.group(1)
        if query is not None:
            parts += [literal] if literal else []
            literal = ""
            try:
                parts.append(Query(query.strip()))
            except ValueError as exc:
                raise ValueError(f"template {text!r}: {exc}") from None
        elif piece in ("{{", "}}"):
            literal += piece[0]
        else:
            raise ValueError(
                f"template {text!r}: a {piece!r} without its pair at column {match.start()}; "
                f"write {piece * 2!r} for a literal brace"
            )
    literal += text[at:]
    return (*parts, literal) if literal else tuple(parts)


def _check_functions(text: str, node: Mapping[str, Any]) -> None:
    """Raise ValueError if the expression calls a function JMESPath does not have, or one with
    a wrong number of arguments (jmespath finds these only when the call is evaluated)."""
    if node.get("type") == "function_expression":
        name = node["value"]
        if name not in _FUNCTIONS:
            raise ValueError(f"{text!r}: JMESPath has no function {name}()")
        signature = _FUNCTIONS[name]["signature"]
        given = len(node["children"])
        variadic = bool(signature) and signature[-1].get("variadic", False)
        if given < len(signature) or (given > len(signature) and not variadic):
            wanted = f"{len(signature)}{' or more' if variadic else ''}"
            raise ValueError(f"{text!r}: {name}() takes {wanted} argument(s), not {given}")
    for child in node.get("children", ()):
        if isinstance(child, Mapping):
            _check_functions(text, child)


def _reason(error: JMESPathError) -> str:
    """What jmespath found wrong, on one line."""
    if isinstance(error, EmptyExpressionError):
        return "it is empty"
    if isinstance(error, IncompleteExpressionError):
        return "it ends too early"
    if isinstance(error, LexerError):
        return f"{error.message} at column {error.lexer_position}"
    if isinstance(error, ParseError):
        token = repr(error.token_value) if error.token_value else "end"
        return f"unexpected {token} at column {error.lex_position}"
    return str(error).splitlines()[0]


def truthy(value: Any) -> bool:
    """JMESPath's truth: false, null, "", [] and {} are false; every number (0 too) is true."""
    if value is None or value is False:
        return False
    return not isinstance(value, str | list | dict) or bool(value)
