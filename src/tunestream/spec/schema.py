"""The JSON Schema of source specs, generated from the models: what editors check a spec with.

``tunestream spec schema --output schemas/source-spec.schema.json`` writes it; the copy committed
there is tested to equal what the models generate. Auth and paginator fields come out as one of
the kinds registered when it runs, chosen by ``type``
(:class:`~tunestream.http.registry.RegistryJsonSchema`).

It is JSON Schema draft 7, with its definitions under ``definitions``: the newest draft the YAML
language server (VS Code's YAML extension, and other editors through it) reads — "Supports JSON
Schema 7 and below" (https://github.com/redhat-developer/yaml-language-server#readme). The
schema checks a spec's shape; what only the models know (that a parent exists, that ``for_each``
binds the placeholders, that the graph has no cycle) is ``tunestream spec check``'s.
"""

from __future__ import annotations

import json
from typing import Any

from tunestream.http.registry import RegistryJsonSchema
from tunestream.spec.models import SourceSpec

__all__ = ["DRAFT", "SCHEMA_PATH", "schema_text", "spec_schema"]

DRAFT = "http://json-schema.org/draft-07/schema#"
SCHEMA_PATH = "schemas/source-spec.schema.json"
"""Where the repository keeps the generated schema (relative to its root)."""


def spec_schema() -> dict[str, Any]:
    """The JSON Schema of a source spec, from the models and the kinds registered now."""
    schema = SourceSpec.model_json_schema(
        ref_template="#/definitions/{model}", schema_generator=RegistryJsonSchema
    )
    definitions = schema.pop("$defs")
    return {
        "$schema": DRAFT,
        **schema,
        "title": "tunestream source spec",
        "definitions": definitions,
    }


def schema_text() -> str:
    """:func:`spec_schema` as the file holds it: indented JSON and a final newline."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
