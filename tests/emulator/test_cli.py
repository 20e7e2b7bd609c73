"""``tunestream-emulator`` flags map onto the emulator's settings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tunestream_emulator import EmulatorError
from tunestream_emulator.cli import app, settings_from_flags


@pytest.mark.unit
def test_flags_override_the_settings_file(tmp_path):
    file = tmp_path / "emulator.yaml"
    file.write_text("seed: 5\ntracks_per_day: 2000\nfaults:\n  latency_ms: 50\n")
    settings = settings_from_flags(
        file,
        {
            "seed": 9,
            "speed": 60.0,
            "markets": ["us", "se"],
            "rate_limit_per_30s": 0,
            "clients": [{"client_id": "a", "client_secret": "b", "profile": "development"}],
            "faults.error_rate": 0.1,
            "faults.script": ["503", "reset"],
            "history_days": None,
        },
    )
    assert settings.seed == 9 and settings.tracks_per_day == 2000 and settings.speed == 60
    assert settings.markets == ["US", "SE"]
    assert settings.rate_limit_per_30s is None  # 0 means unlimited
    assert settings.clients[0].profile == "development"
    assert settings.faults.latency_ms == 50 and settings.faults.error_rate == 0.1
    assert settings.faults.script == ["503", "reset"]
    assert settings.history_days == 14  # not given: the default


@pytest.mark.unit
def test_bad_values_are_one_line_emulator_errors():
    with pytest.raises(EmulatorError, match=r"emulator setting faults\.error_rate"):
        settings_from_flags(None, {"faults.error_rate": 3.0})
    with pytest.raises(EmulatorError, match="speed"):
        settings_from_flags(None, {"speed": -1.0})


@pytest.mark.unit
def test_cli_rejects_a_malformed_client():
    result = CliRunner().invoke(app, ["--client", "only-an-id"])
    assert result.exit_code != 0
    assert isinstance(result.exception, EmulatorError)


@pytest.mark.unit
def test_cli_reads_clients_from_the_environment_space_separated() -> None:
    # a bad port too: were the variable not read, the port's error (not a hanging server) fails it
    result = CliRunner().invoke(
        app,
        ["--port", "-1"],
        env={"TUNESTREAM_EMULATOR_CLIENTS": "an-id:a-secret:extended only-an-id:x:y:z"},
    )
    assert isinstance(result.exception, EmulatorError)
    assert (
        str(result.exception)
        == "--client 'only-an-id:x:y:z': expected CLIENT_ID:CLIENT_SECRET[:PROFILE]"
    )
