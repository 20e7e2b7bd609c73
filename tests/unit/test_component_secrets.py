"""A secret ``up`` gives a component goes in its environment, never on its command line: any
local user can read a command line (``ps``), and the component's pid file keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunestream.config import Settings
from tunestream.system.components import components

pytestmark = pytest.mark.unit


def test_the_emulators_client_is_in_its_environment_not_on_its_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SPOTIFY_CLIENT_ID", raising=False)
    monkeypatch.delenv("SPOTIFY_CLIENT_SECRET", raising=False)
    found = {c.name: c for c in components(Settings.model_validate({"data_dir": str(tmp_path)}))}
    emulator, producer = found["emulator"], found["producer"]
    assert emulator.env == {
        "TUNESTREAM_EMULATOR_CLIENTS": "tunestream-demo:tunestream-demo-secret:extended"
    }
    assert producer.env["SPOTIFY_CLIENT_SECRET"] == "tunestream-demo-secret"
    for component in found.values():
        assert not any("secret" in arg for arg in component.argv(tmp_path / "tunestream.yaml"))
