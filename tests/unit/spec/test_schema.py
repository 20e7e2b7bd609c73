"""The JSON Schema of source specs: committed as generated, valid for every spec shipped, and
strict enough to refuse a broken one."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import pytest
from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from tunestream.http.models import PAGINATOR_KINDS, PaginatorConfigBase
from tunestream.http.paginators import SinglePagePaginator
from tunestream.spec.loader import builtin_specs, spec_data
from tunestream.spec.schema import SCHEMA_PATH, spec_schema

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "specs"
SPECS = [*builtin_specs(), *(str(path) for path in sorted(FIXTURES.glob("*.yaml")))]


class Placeholders(Mapping[str, str]):
    """An environment where every variable is set (to a URL: base URLs must be one)."""

    def __getitem__(self, name: str) -> str:
        return "https://placeholder.example"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((ROOT / SCHEMA_PATH).read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = json.loads((ROOT / SCHEMA_PATH).read_text(encoding="utf-8"))
    assert committed == spec_schema(), (
        f"{SCHEMA_PATH} is not what the models generate: "
        f"regenerate it with `tunestream spec schema --output {SCHEMA_PATH}`"
    )


def test_the_specs_tested_include_the_shipped_ones_and_the_guide_s() -> None:
    assert "spotify" in SPECS
    assert str(FIXTURES / "deezer_releases.yaml") in SPECS


@pytest.mark.parametrize("spec", SPECS)
def test_every_shipped_spec_is_valid_under_the_schema(
    validator: Draft7Validator, spec: str
) -> None:
    _, data = spec_data(spec, environ={}, unset="https://placeholder.example")
    assert list(_messages(validator.iter_errors(data))) == []


def test_registry_fields_are_one_of_the_registered_kinds_chosen_by_type() -> None:
    client = spec_schema()["definitions"]["RestClientConfig"]["properties"]["auth"]
    assert client["required"] == ["type"]
    assert [kind["$ref"] for kind in client["oneOf"]] == [
        "#/definitions/NoAuthConfig",
        "#/definitions/BearerAuthConfig",
        "#/definitions/ApiKeyAuthConfig",
        "#/definitions/BasicAuthConfig",
        "#/definitions/OAuth2ClientCredentialsConfig",
        "#/definitions/OAuth2RefreshTokenConfig",
    ]


class EveryOtherConfig(PaginatorConfigBase):
    """A kind a plugin might add."""

    type: Literal["every_other"] = "every_other"
    step: int = 2


def test_a_kind_registered_later_is_in_the_schema_generated_then() -> None:
    PAGINATOR_KINDS.register("every_other", EveryOtherConfig)(SinglePagePaginator)
    try:
        schema = spec_schema()
    finally:
        PAGINATOR_KINDS.unregister("every_other")
    paginator = schema["definitions"]["ListResource"]["properties"]["paginator"]
    assert {"$ref": "#/definitions/EveryOtherConfig"} in paginator["oneOf"]
    assert schema["definitions"]["EveryOtherConfig"]["properties"]["step"]["default"] == 2
    assert "EveryOtherConfig" not in spec_schema()["definitions"]


@pytest.mark.parametrize(
    ("path", "change", "error"),
    [
        (
            "resources.releases.colour",
            "red",
            (
                "$.resources.releases",
                "Additional properties are not allowed ('colour' was unexpected)",
            ),
        ),
        (
            "resources.releases.paginator",
            {"type": "zigzag"},
            (
                "$.resources.releases.paginator",
                "{'type': 'zigzag'} is not valid under any of the given schemas",
            ),
        ),
        (
            "resources.releases.request",
            None,
            ("$.resources.releases", "'request' is a required property"),
        ),
        ("client.auth", {"token": "t"}, ("$.client.auth", "'type' is a required property")),
        ("modes", {}, ("$.modes", "{} should be non-empty")),
    ],
)
def test_a_broken_spec_is_refused(
    validator: Draft7Validator, path: str, change: Any, error: tuple[str, str]
) -> None:
    _, data = spec_data(str(FIXTURES / "deezer_releases.yaml"), environ=Placeholders())
    broken = copy.deepcopy(data)
    *parents, leaf = path.split(".")
    target = broken
    for key in parents:
        target = target[key]
    if change is None:
        del target[leaf]
    else:
        target[leaf] = change
    assert error in set(_messages(validator.iter_errors(broken)))


def _messages(errors: Iterable[ValidationError]) -> Iterator[tuple[str, str]]:
    """(where, what) of each error and of the errors of each alternative under it."""
    for error in errors:
        yield error.json_path, error.message
        yield from _messages(error.context or ())
