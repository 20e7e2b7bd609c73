"""OpenAPI 3.0 schemas as JSON Schema: ``nullable: true`` becomes ``anyOf [.., null]``."""

from __future__ import annotations

from typing import Any

__all__ = ["json_schema"]


def json_schema(node: Any) -> Any:
    """``node`` (an OpenAPI 3.0 schema or any part of one) with ``nullable`` rewritten."""
    if isinstance(node, dict):
        converted = {k: json_schema(v) for k, v in node.items()}
        if converted.pop("nullable", False):
            return {"anyOf": [converted, {"type": "null"}]}
        return converted
    if isinstance(node, list):
        return [json_schema(v) for v in node]
    return node
