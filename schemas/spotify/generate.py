"""Write the producer's record schemas (JSON Schema 2020-12) from the Spotify OpenAPI definition.

    python schemas/spotify/generate.py [tests/fixtures/spotify/openapi.yml] [schemas/spotify]

Each record value on a ``spotify.*`` topic is the object the Web API returns for that entity (the
entities, their OpenAPI components and schema ids are ``tunestream.sources.spotify.ENTITIES``: run
it where tunestream is installed). The schemas are the OpenAPI components with every ``$ref`` and
``allOf`` resolved into one self-contained document, OpenAPI-only keywords removed, and lenient
where the real API is: only ``id`` is required (where the object has one; an audio analysis
carries its track id in the record key), since responses omit fields the definition calls
required (``label``, ``popularity`` and ``available_markets`` are gone for development-mode apps;
old albums lack ``release_date_precision``). Unknown fields are allowed. Run it again after
updating openapi.yml; tests/unit/spark/test_schemas.py fails when the files and this script
disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from tunestream.sources.spotify import ENTITIES

_KEEP = {"type", "properties", "items", "enum", "description", "deprecated", "minimum", "maximum"}


def resolve(node: Any, components: dict[str, Any], depth: int = 0) -> Any:
    """``node`` with ``$ref`` inlined, ``allOf`` merged and non-JSON-Schema keywords dropped."""
    if depth > 30:
        raise ValueError("$ref nesting too deep: a cycle?")
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return resolve(components[name], components, depth + 1)
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            merged = _merge(merged, resolve(part, components, depth + 1))
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return _merge(merged, resolve(rest, components, depth + 1))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _KEEP:
            continue
        if key == "properties":
            out[key] = {p: resolve(v, components, depth + 1) for p, v in value.items()}
        elif key == "items":
            out[key] = resolve(value, components, depth + 1)
        elif key == "description":
            out[key] = " ".join(str(value).split())
        else:
            out[key] = value
    if node.get("nullable"):
        kind = out.get("type")
        out["type"] = [kind, "null"] if isinstance(kind, str) else kind
    if "properties" in out:
        out.setdefault("type", "object")
        if "id" in out["properties"]:
            out["required"] = ["id"]
    return out


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if key == "properties":
            out["properties"] = {**out.get("properties", {}), **value}
        elif key == "required":
            out["required"] = sorted(set(out.get("required", [])) | set(value))
        elif key == "description" and "description" in out:
            continue
        else:
            out[key] = value
    return out


def build(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """File name → the JSON Schema of an entity (:data:`tunestream.sources.spotify.ENTITIES`)."""
    components = openapi["components"]["schemas"]
    schemas = {}
    for entity in ENTITIES:
        body = resolve(components[entity.component], components)
        schemas[entity.schema_file] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://tunestream.invalid/schemas/spotify/{entity.schema_file}",
            "title": entity.schema_id,
            "description": (
                f"The value of a record on the spotify {entity.name} topic: the Web API's "
                f"{entity.component}, "
                "generated from openapi.yml by schemas/spotify/generate.py (do not edit)."
            ),
            **{k: v for k, v in body.items() if k != "description"},
        }
    return schemas


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    here = Path(__file__).resolve().parent
    source = Path(argv[0]) if argv else here.parents[1] / "tests/fixtures/spotify/openapi.yml"
    target = Path(argv[1]) if len(argv) > 1 else here
    openapi = yaml.safe_load(source.read_text(encoding="utf-8"))
    for name, schema in build(openapi).items():
        (target / name).write_text(render(schema), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
