"""``tunestream-emulator github`` flags map onto the stand-in's settings; the Spotify emulator's
invocation (no subcommand) is unchanged."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tunestream_emulator import EmulatorError
from tunestream_emulator.cli import app, github_settings_from_flags

pytestmark = pytest.mark.unit


def test_flags_override_the_settings_file(tmp_path):
    file = tmp_path / "github.yaml"
    file.write_text(
        "seed: 4\nhistory_days: 3\nrepositories: [a/b]\nlimits:\n  rate_limit_per_hour: 50\n"
    )
    settings = github_settings_from_flags(
        file,
        {
            "seed": 9,
            "tokens": [{"token": "ghp_x", "login": "someone"}],
            "limits.max_concurrent": 0,
            "limits.limited_status": 429,
            "history_days": None,
        },
    )
    assert settings.seed == 9 and settings.history_days == 3
    assert settings.repositories == ["a/b"]
    assert settings.tokens[0].login == "someone"
    assert settings.limits.rate_limit_per_hour == 50  # from the file, beside the flags
    assert settings.limits.max_concurrent is None  # 0 turns it off
    assert settings.limits.limited_status == 429
    assert settings.limits.max_per_minute == 900  # not given: GitHub's


def test_bad_values_are_one_line_emulator_errors():
    with pytest.raises(EmulatorError, match=r"emulator setting repositories"):
        github_settings_from_flags(None, {"repositories": ["no-slash"]})
    with pytest.raises(EmulatorError, match=r"emulator setting limits\.limited_status"):
        github_settings_from_flags(None, {"limits.limited_status": 500})


def test_the_subcommand_rejects_a_malformed_token_and_the_plain_command_still_parses():
    runner = CliRunner()
    github = runner.invoke(app, ["github", "--token", "only-a-token"])
    assert isinstance(github.exception, EmulatorError)
    assert "TOKEN:LOGIN" in str(github.exception)
    spotify = runner.invoke(app, ["--client", "only-an-id"])
    assert isinstance(spotify.exception, EmulatorError)
    assert "CLIENT_ID:CLIENT_SECRET[:PROFILE]" in str(spotify.exception)
    listing = runner.invoke(app, ["--help"])
    assert listing.exit_code == 0 and "github" in listing.output
