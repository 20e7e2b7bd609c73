"""The producer's JSON Schemas, the recorded fixtures and the Spark schemas agree."""

from __future__ import annotations

import json
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DoubleType,
    LongType,
    StringType,
    StructType,
)

from tunestream.sources.spotify import NAMES
from tunestream.sources.spotify import entity as registered
from tunestream.spark.schemas import IGNORED, VALUE_SCHEMAS

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
SCHEMAS = REPO / "schemas" / "spotify"
FIXTURES = REPO / "tests" / "fixtures" / "spotify"
_JSON_TO_SPARK = {"string": "string", "integer": "long", "number": "double", "boolean": "boolean"}


def json_schema(entity: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMAS / registered(entity).schema_file).read_text())
    return data


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def json_paths(schema: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from json_paths(sub, f"{prefix}.{name}" if prefix else name)
    elif kind == "array":
        yield from json_paths(schema.get("items", {}), f"{prefix}[]")
    else:
        yield prefix, _JSON_TO_SPARK[str(kind)]


def spark_paths(kind: DataType, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(kind, StructType):
        for field in kind.fields:
            yield from spark_paths(
                field.dataType, f"{prefix}.{field.name}" if prefix else field.name
            )
    elif isinstance(kind, ArrayType):
        yield from spark_paths(kind.elementType, f"{prefix}[]")
    else:
        assert isinstance(kind, StringType | LongType | DoubleType | BooleanType), kind
        yield prefix, kind.typeName()


def ignored(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith((f"{p}.", f"{p}[]")) for p in prefixes)


def test_the_schema_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    runpy.run_path(str(SCHEMAS / "generate.py"), run_name="generate")["main"](
        [str(FIXTURES / "openapi.yml"), str(tmp_path)]
    )
    for entity in NAMES:
        name = registered(entity).schema_file
        assert (tmp_path / name).read_text() == (SCHEMAS / name).read_text(), (
            f"{name} is stale: run python schemas/spotify/generate.py"
        )


def test_there_is_a_spark_schema_for_each_registered_entity_and_no_other() -> None:
    assert list(VALUE_SCHEMAS) == list(NAMES) == list(IGNORED)


def test_the_schema_files_are_valid_json_schema_2020_12() -> None:
    for entity in NAMES:
        Draft202012Validator.check_schema(json_schema(entity))


@pytest.mark.parametrize(
    ("entity", "documents"),
    [
        ("album", lambda: fixture("new_releases.json")["albums"]["items"]),
        ("track", lambda: [fixture("track.json"), *fixture("tracks.json")["tracks"]]),
        ("track", lambda: fixture("album_tracks.json")["items"]),
        ("audio_features", lambda: [fixture("track_audio_features.json")]),
        ("audio_analysis", lambda: [fixture("track_audio_analysis.json")]),
        ("artist", lambda: [fixture("artists.json")]),
    ],
)
def test_the_recorded_responses_validate(entity: str, documents: Any) -> None:
    validator = Draft202012Validator(json_schema(entity))
    for document in documents():
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
        assert not errors, errors


def test_the_old_album_shape_differs_only_in_its_release_date() -> None:
    # album.json predates the string release_date; the job still parses it (the object lands in
    # the release_date column as its JSON text) rather than quarantining the album.
    errors = list(Draft202012Validator(json_schema("album")).iter_errors(fixture("album.json")))
    assert [list(e.path) for e in errors] == [["release_date"]]


def test_only_ids_are_required() -> None:
    def required(schema: dict[str, Any]) -> Iterator[list[str]]:
        if "required" in schema:
            yield schema["required"]
        for sub in schema.get("properties", {}).values():
            yield from required(sub)
        if "items" in schema:
            yield from required(schema["items"])

    for entity in NAMES:
        assert all(r == ["id"] for r in required(json_schema(entity))), entity
    assert "required" not in json_schema("audio_analysis")  # its id is the record key


@pytest.mark.parametrize("entity", NAMES)
def test_spark_schema_is_the_json_schema_minus_the_ignored_paths(entity: str) -> None:
    wanted = {
        (path, kind)
        for path, kind in json_paths(json_schema(entity))
        if not ignored(path, IGNORED[entity])
    }
    have = set(spark_paths(VALUE_SCHEMAS[entity]))
    assert sorted(have - wanted) == [], "read by Spark but not in the JSON Schema (or other type)"
    assert sorted(wanted - have) == [], "in the JSON Schema but neither read nor IGNORED"


@pytest.mark.parametrize("entity", NAMES)
def test_every_ignored_path_exists(entity: str) -> None:
    paths = [path for path, _ in json_paths(json_schema(entity))]
    for prefix in IGNORED[entity]:
        assert any(ignored(p, (prefix,)) for p in paths), f"{entity}: {prefix} matches nothing"


def test_openapi_fixture_is_there() -> None:
    assert (
        "AlbumObject"
        in yaml.safe_load((FIXTURES / "openapi.yml").read_text())["components"]["schemas"]
    )
