"""Bad source specs, fuzzed: the shipped specs with keys deleted, types swapped, broken paths,
templates and selectors, resources that feed each other in a cycle, unknown kinds. Every one is a
valid spec or the spec's error — a line per problem, each naming the file — never a traceback:
as ``tunestream spec check`` runs, and as the producer loads a spec and checks it against its
source's settings."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.support.fuzz import (
    SOAK,
    SOAK_TIMEOUT_S,
    fuzz,
    mutated,
    odd_values,
    one_line,
    secrets,
    yaml_bytes,
)
from tunestream.cli import app
from tunestream.config import Settings
from tunestream.errors import ConfigError
from tunestream.runtime.service import check_spec
from tunestream.spec.loader import builtin_specs, load_spec

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "specs"
SHIPPED = [
    *(
        yaml.safe_load((resources.files("tunestream.sources") / f"{name}.yaml").read_text())
        for name in builtin_specs()
    ),
    *(yaml.safe_load(path.read_text()) for path in sorted(FIXTURES.glob("*.yaml"))),
]
VARIABLES = [
    "DEEZER_API_URL",
    "GITHUB_API_URL",
    "MUSICBRAINZ_API_URL",
    "MUSICBRAINZ_CONTACT",
    "RECCOBEATS_API_URL",
    "RELEASES_API_URL",
    "SPOTIFY_ACCOUNTS_URL",
    "SPOTIFY_API_URL",
    "SPOTIFY_CLIENT_ID",
]
SECRET_VARIABLES = ["GITHUB_TOKEN", "RELEASES_API_KEY", "SPOTIFY_CLIENT_SECRET"]
SPEC_TEXT = [
    "{id}",
    "{id",
    "/things/{nope}",
    "${SPOTIFY_CLIENT_ID}",
    "${UNSET_FUZZ_VARIABLE}",
    "${DEEZER_SAMPLE:-x}",
    "albums.items",
    "artists.*.id",
    "*.*",
    "a..b",
    "$.items[0]",
    "items[?status == 'open']",
    "length(items) >",
    "list",
    "lookup",
    "sublist",
    "pages",
    "topic",
    "radio",
]


def spec_values(base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """What replaces a value of ``base``: anything, the spec language's own strings (broken
    ones too), and references to its resources (which may close a cycle)."""
    names = sorted(base.get("resources") or {}) or ["things"]
    resource = st.sampled_from(names)
    return st.one_of(
        odd_values(),
        st.sampled_from(SPEC_TEXT),
        resource,
        st.lists(resource.map(lambda name: {"resource": name}), min_size=1, max_size=2),
        st.builds(lambda name: {"kind": "lookup", "from": [{"resource": name}]}, resource),
    )


@st.composite
def specs(draw: st.DrawFn) -> tuple[bytes, dict[str, str], str]:
    """A spec file's bytes, the environment it is loaded in, and the secret that holds."""
    base = draw(st.sampled_from(SHIPPED))
    document = draw(st.one_of(mutated(base, spec_values(base)), st.just(base)))
    secret = draw(secrets())
    environ = {name: "https://api.example.test" for name in VARIABLES}
    environ |= {name: secret for name in SECRET_VARIABLES}
    return draw(yaml_bytes(st.just(document))), environ, secret


def assert_names_the_file(message: str, path: Path, secret: str) -> None:
    assert one_line(message), message
    assert str(path) in message, message
    assert secret not in message, message


def check_command(path: Path, case: tuple[bytes, dict[str, str], str]) -> None:
    data, environ, secret = case
    path.write_bytes(data)
    done = CliRunner().invoke(app, ["spec", "check", str(path)], env=environ)
    if done.exit_code == 0:
        return
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        assert isinstance(done.exception, ConfigError), repr(done.exception)
        assert_names_the_file(str(done.exception), path, secret)
        return
    assert done.exit_code == ConfigError.exit_code
    problems = done.stderr.splitlines()
    assert problems, done.output
    for problem in problems:
        assert problem.startswith("tunestream: error: "), problem
        assert_names_the_file(problem, path, secret)


@fuzz()
@given(case=specs())
@example(case=(b"name: x\n: [\n", {}, "pw-000000000000"))
@example(case=(b"\xc3", {}, "pw-000000000000"))
@example(case=(b"name: x\n'a\\nb': 1\n", {}, "pw-000000000000"))
def test_spec_check_passes_or_names_each_problem_in_the_file(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[bytes, dict[str, str], str]
) -> None:
    check_command(tmp_path_factory.mktemp("spec") / "spec.yaml", case)


@pytest.mark.soak
@pytest.mark.timeout(SOAK_TIMEOUT_S)
@fuzz(SOAK)
@given(case=specs())
def test_many_specs_pass_spec_check_or_name_each_problem(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[bytes, dict[str, str], str]
) -> None:
    check_command(tmp_path_factory.mktemp("spec") / "spec.yaml", case)


@fuzz()
@given(
    case=specs(),
    mode=st.one_of(st.none(), st.sampled_from(["full", "everything"])),
    variables=st.sampled_from([{}, {"markets": ["US"]}]),
)
@example(
    case=(b"name: x\nvariables: [{a: 1}]\n", {}, "pw-000000000000"),
    mode=None,
    variables={"markets": ["US"]},
)
def test_a_spec_the_producer_loads_fits_its_source_or_is_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[bytes, dict[str, str], str],
    mode: str | None,
    variables: dict[str, list[str]],
) -> None:
    data, environ, secret = case
    path = tmp_path_factory.mktemp("spec") / "spec.yaml"
    path.write_bytes(data)
    source = {"name": "fuzzed", "spec": str(path), "mode": mode, "variables": variables}
    settings = Settings.model_validate({"sources": [source]})
    try:
        spec = load_spec(str(path), variables=settings.sources[0].variables, environ=environ)
        check_spec(spec, settings.sources[0], settings)
    except ConfigError as exc:
        message = str(exc)
        assert one_line(message), message
        assert secret not in message, message
        assert str(path) in message or "source fuzzed:" in message, message
