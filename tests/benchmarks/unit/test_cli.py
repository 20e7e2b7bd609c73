"""The benchmarks' own pyproject registers ``tunestream bench`` with the pipeline's CLI."""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tunestream.cli.plugins import GROUP, add_command_groups

pytestmark = pytest.mark.unit

PYPROJECT = Path(__file__).resolve().parents[3] / "benchmarks" / "pyproject.toml"


def test_the_registered_bench_group_has_every_benchmark(
    capsys: pytest.CaptureFixture[str],
) -> None:
    registered = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"][GROUP]
    assert registered == {"bench": "tunestream_benchmarks.cli:app"}
    app = typer.Typer()

    @app.command("status")
    def status() -> None: ...

    add_command_groups(app, [EntryPoint(name, value, GROUP) for name, value in registered.items()])
    assert capsys.readouterr().err == ""
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    commands = ("emulator", "ingest", "conditional", "enrichment", "spark", "spark-catchup", "all")
    for command in commands:
        assert f"│ {command} " in result.output


@pytest.mark.parametrize(
    ("only", "message"),
    [
        (
            "emulator,nope",
            "choose from emulator, ingest, discovery, conditional, enrichment, spark, "
            "spark-catchup, partitions, capacity",
        ),
        ("capacity", "capacity uses what partitions measures"),
    ],
)
def test_bench_all_rejects_a_choice_it_cannot_run(only: str, message: str) -> None:
    from tunestream_benchmarks.cli import app

    result = CliRunner().invoke(app, ["all", "--only", only], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert f"Invalid value for --only: {message}" in result.output
