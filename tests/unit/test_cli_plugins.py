"""Command groups of other distributions join the CLI through entry points; a broken one is one
warning line and the other commands still work."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
import typer
from typer.testing import CliRunner

from tunestream.cli.plugins import GROUP, add_command_groups

pytestmark = pytest.mark.unit

demo = typer.Typer()


@demo.command()
def hello(name: str = "world") -> None:
    typer.echo(f"hello {name}")


@demo.command()
def bye() -> None:
    typer.echo("bye")


def not_a_group() -> None:
    """An entry point may name anything; only a ``typer.Typer`` is a command group."""


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command("status")
    def status() -> None:
        typer.echo("built-in")

    return app


def _entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=GROUP)


def test_a_registered_group_becomes_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    app = _app()
    add_command_groups(app, [_entry("demo", f"{__name__}:demo")])
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "hello", "--name", "bench"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello bench\n"
    assert runner.invoke(app, ["status"]).output == "built-in\n"
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("gone", "tests.unit.no_such_plugin:app", "ModuleNotFoundError: No module named"),
        ("odd", f"{__name__}:not_a_group", "TypeError: function is not a typer.Typer"),
        ("typo", f"{__name__}:no_such_attribute", "AttributeError"),
        ("status", f"{__name__}:demo", "ValueError: a command of that name exists"),
    ],
)
def test_a_broken_group_is_one_warning_line_and_the_rest_still_works(
    capsys: pytest.CaptureFixture[str], name: str, value: str, reason: str
) -> None:
    app = _app()
    add_command_groups(app, [_entry(name, value), _entry("demo", f"{__name__}:demo")])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"tunestream: warning: command group {name!r} ({value}) not loaded")
    assert reason in lines[0]
    runner = CliRunner()
    assert runner.invoke(app, ["status"]).output == "built-in\n"
    assert runner.invoke(app, ["demo", "bye"]).output == "bye\n"
    if name != "status":
        assert runner.invoke(app, [name]).exit_code == 2  # no such command


def test_the_installed_groups_are_read_from_the_group(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def entry_points(*, group: str) -> list[EntryPoint]:
        asked.append(group)
        return [_entry("demo", f"{__name__}:demo")]

    monkeypatch.setattr("tunestream.cli.plugins.entry_points", entry_points)
    app = _app()
    add_command_groups(app)
    assert asked == ["tunestream.commands"]
    assert CliRunner().invoke(app, ["demo", "bye"]).output == "bye\n"
