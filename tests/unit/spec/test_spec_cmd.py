"""``tunestream spec check|schema`` and what ``spec try`` refuses before fetching anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunestream.cli import app
from tunestream.errors import ConfigError
from tunestream.spec.loader import builtin_specs, spec_problems
from tunestream.spec.schema import schema_text

pytestmark = pytest.mark.unit

DEEZER = str(Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "deezer_releases.yaml")
BROKEN = """
name: broken
client: {base_url: "https://api.example.test", auth: {type: token}}
modes: {all: [things]}
resources:
  things: {kind: list, request: {path: /things}, paginator: {type: zigzag}, colour: red}
  details: {kind: lookup, from: [{resource: things}]}
"""
TWO_MODES = """
name: two
client: {base_url: "https://api.example.test"}
modes: {first: [a], second: [b]}
resources:
  a: {kind: list, request: {path: /a}, paginator: {type: single}, emit: as, dedupe: {}}
  b: {kind: list, request: {path: /b}, paginator: {type: single}, emit: bs, dedupe: {}}
"""


def test_check_prints_the_graph_per_mode_and_what_it_reads_and_writes() -> None:
    done = CliRunner().invoke(app, ["spec", "check", DEEZER])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "spec deezer_releases: New releases on Deezer, and the details of each album.",
        "client: https://api.deezer.com, auth none, 8 requests/s",
        "",
        "mode editorial (the default)",
        "  releases [list]: GET /editorial/0/releases, offset pages of 50, records at data"
        " → deezer_releases",
        "    albums [lookup]: GET /album/{id} → deezer_albums",
        "  reads:  releases, albums",
        "  writes: deezer_albums, deezer_releases",
    ]


def test_check_marks_a_resource_met_twice_and_the_fallback_of_a_root() -> None:
    env = {"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "never shown"}
    done = CliRunner().invoke(app, ["spec", "check", "spotify"], env=env)
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    mode = lines[lines.index("mode new-releases (the default)") :]
    assert mode[1].startswith("  new_releases [list]: GET /browse/new-releases for each market")
    assert "      artists (above)" in mode
    assert "  if the API forbids new_releases, instead:" in mode
    assert "      albums (above)" in mode
    assert "never shown" not in done.stdout


def test_check_prints_each_problem_on_a_line_of_its_own(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN)
    done = CliRunner().invoke(app, ["spec", "check", str(spec)])
    assert done.exit_code == 2
    assert done.stdout == ""
    label = f"tunestream: error: source spec {spec}:"
    assert done.stderr.splitlines() == [
        f"{label} client.auth: Input tag 'token' found using 'type' does not match any of the "
        "expected tags: 'none', 'bearer', 'api_key', 'basic', 'oauth2_client_credentials', "
        "'oauth2_refresh_token'",
        f"{label} resources.things.list.paginator: Input tag 'zigzag' found using 'type' does "
        "not match any of the expected tags: 'single', 'offset', 'next_url', 'cursor', "
        "'page_number', 'link_header', 'header_cursor'",
        f"{label} resources.things.list.colour: Extra inputs are not permitted",
        f"{label} resources.details.lookup: a lookup needs a batch request, a single request, "
        "or both",
    ]


def test_problems_are_listed_apart_but_load_spec_still_reports_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text(BROKEN)
    assert len(spec_problems(str(spec))) == 4
    assert spec_problems(DEEZER) == []
    with pytest.raises(ConfigError, match="environment variable SPOTIFY_CLIENT_ID is not set"):
        spec_problems("spotify", environ={})


def test_schema_prints_or_writes_the_generated_schema(tmp_path: Path) -> None:
    printed = CliRunner().invoke(app, ["spec", "schema"])
    assert printed.exit_code == 0
    assert printed.stdout == schema_text()
    file = tmp_path / "source-spec.schema.json"
    written = CliRunner().invoke(app, ["spec", "schema", "--output", str(file)])
    assert written.exit_code == 0
    assert file.read_text() == schema_text()


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--resource", "tracks"], "spec deezer_releases has no resource 'tracks'"),
        (["--mode", "full"], "spec deezer_releases has no mode 'full' (modes: editorial)"),
        (["--var", "markets=SE"], "no variable markets to override; it has: none"),
    ],
)
def test_try_refuses_what_it_cannot_sample_before_any_request(args: list[str], error: str) -> None:
    done = CliRunner().invoke(app, ["spec", "try", DEEZER, *args])
    assert isinstance(done.exception, ConfigError)
    assert error in str(done.exception)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--resource", "album_tracks"], "album_tracks writes no records"),
        # a list variable takes comma-separated values (else: "is not a list")
        (["--var", "markets=SE,GB", "--resource", "nothing"], "has no resource 'nothing'"),
    ],
)
def test_try_checks_the_resource_against_the_mode(args: list[str], error: str) -> None:
    env = {"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "secret"}
    done = CliRunner().invoke(app, ["spec", "try", "spotify", *args], env=env)
    assert isinstance(done.exception, ConfigError)
    assert error in str(done.exception)


def test_try_refuses_a_resource_the_mode_does_not_read(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO_MODES)
    done = CliRunner().invoke(app, ["spec", "try", str(spec), "--mode", "first", "-r", "b"])
    assert isinstance(done.exception, ConfigError)
    assert str(done.exception) == "mode first does not read b; try another --mode"


@pytest.mark.parametrize(
    ("spec", "given", "error"),
    [
        (DEEZER, "{file}", "--input {file}: mode editorial reads no topic"),
        (
            "reccobeats",
            "audio_features={file}",
            "audio_features is not a topic root of mode features (its topic roots: spotify_tracks)",
        ),
        ("reccobeats", "spotify_tracks={file}", "--input {file}: line 2 is not JSON"),
        ("reccobeats", "{file}.missing", "--input {file}.missing: cannot read it"),
    ],
)
def test_try_refuses_input_it_cannot_give_a_topic_root(
    spec: str, given: str, error: str, tmp_path: Path
) -> None:
    file = tmp_path / "tracks=1.jsonl"  # an "=" in a path is not a ROOT=
    file.write_text('{"id": "a"}\n{"id": \n')
    done = CliRunner().invoke(app, ["spec", "try", spec, "--input", given.format(file=file)])
    assert isinstance(done.exception, ConfigError)
    assert error.format(file=file) in str(done.exception)


def test_a_var_that_is_not_name_equals_value_is_a_usage_error() -> None:
    done = CliRunner().invoke(app, ["spec", "try", DEEZER, "--var", "markets"])
    assert done.exit_code == 2
    assert "'markets' is not NAME=VALUE" in done.stderr


@pytest.mark.parametrize("name", builtin_specs())
def test_check_passes_on_every_shipped_spec(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "GITHUB_TOKEN"):
        monkeypatch.setenv(variable, "set-for-the-check")
    done = CliRunner().invoke(app, ["spec", "check", name])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"spec {name}: ")
