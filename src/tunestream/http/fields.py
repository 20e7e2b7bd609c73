"""The field types the client's config models share, each checked with a message for the person
writing the YAML: absolute URLs, dotted JSON paths, JMESPath expressions, HTTP header names,
non-empty credentials; and :class:`ConfigModel`, the frozen base that forbids unknown keys.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr

__all__ = [
    "ConfigModel",
    "HeaderName",
    "HttpUrlStr",
    "JsonPath",
    "NonEmpty",
    "ParamName",
    "PositiveFloat",
    "Secret",
]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("an absolute http(s) URL such as https://api.example.com/v1 is expected")
    return value


def _json_path(value: str) -> str:
    if not value or any(not part for part in value.split(".")):
        raise ValueError("a dotted JSON path such as 'albums.items' is expected")
    return value


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §5.6.2


def _header_name(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(
            "an HTTP header name such as 'X-Next-Cursor' is expected "
            "(letters, digits and - _ . only; no spaces or colons)"
        )
    return value


def _secret_given(value: SecretStr) -> SecretStr:
    if not value.get_secret_value():
        raise ValueError("an empty value is no credential; set it (e.g. from ${NAME})")
    return value


HttpUrlStr = Annotated[str, AfterValidator(_http_url)]
JsonPath = Annotated[str, AfterValidator(_json_path)]
"""A dotted path into a JSON body: ``albums.items``; a number picks a list element (``items.0``)."""
HeaderName = Annotated[str, AfterValidator(_header_name)]
"""An HTTP field name (RFC 9110 §5.1: a token), such as ``X-Next-Cursor``."""

PositiveFloat = Annotated[float, Field(gt=0)]
ParamName = Annotated[str, Field(min_length=1)]
NonEmpty = Annotated[str, Field(min_length=1)]
Secret = Annotated[SecretStr, AfterValidator(_secret_given)]
"""A credential that must not be empty."""


class ConfigModel(BaseModel):
    """Base of every config model: frozen, and a key it does not know is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)
