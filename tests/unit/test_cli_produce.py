"""``tunestream produce --source``: a name the configuration does not have is one line, exit 2,
before any spec is loaded or any broker asked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tunestream import cli
from tunestream.cli._context import Globals

pytestmark = pytest.mark.unit


def test_an_unknown_source_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tunestream.yaml"
    config.write_text(
        "kafka: {bootstrap_servers: '127.0.0.1:1'}\n"
        "sources: [{name: spotify}, {name: spotify-gb, variables: {markets: [GB]}}]\n"
    )
    monkeypatch.setattr(cli, "_globals", Globals())  # settings of no earlier invocation
    monkeypatch.setattr(cli, "add_command_groups", lambda app: None)  # other distributions'
    monkeypatch.setattr(
        sys, "argv", ["tunestream", "-c", str(config), "produce", "--source", "deezer"]
    )

    with pytest.raises(SystemExit) as exited:
        cli.main()

    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "tunestream: error: no source deezer in the configuration (sources: spotify, spotify-gb)"
    ]
