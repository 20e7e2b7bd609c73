"""The stand-ins' settings: flags and settings files fill them, bad values are one line."""

from __future__ import annotations

import pytest

from tunestream_emulator import EmulatorError, EmulatorSettings
from tunestream_emulator.cli import settings_from_flags

pytestmark = pytest.mark.unit


def test_defaults_model_the_real_services():
    settings = EmulatorSettings()
    assert (settings.reccobeats_share, settings.reccobeats_rate) == (0.9, 30)
    assert (settings.deezer_share, settings.deezer_bpm_share, settings.deezer_quota) == (
        0.95,
        0.7,
        50,
    )
    assert (settings.musicbrainz_share, settings.musicbrainz_rate) == (0.8, 1)


def test_flags_override_the_settings_file(tmp_path):
    file = tmp_path / "emulator.yaml"
    file.write_text("deezer_quota: 0\nmusicbrainz_share: 0.5\nreccobeats_rate: 7\n")
    settings = settings_from_flags(
        file, {"musicbrainz_rate": 0, "reccobeats_rate": 9, "deezer_bpm_share": None}
    )
    assert settings.deezer_quota == 0 and settings.musicbrainz_share == 0.5
    assert settings.musicbrainz_rate == 0 and settings.reccobeats_rate == 9
    assert settings.deezer_bpm_share == 0.7  # not given: the default


@pytest.mark.parametrize(
    ("flags", "field"),
    [
        ({"deezer_share": 1.5}, "deezer_share"),
        ({"reccobeats_share": -0.1}, "reccobeats_share"),
        ({"musicbrainz_rate": -1}, "musicbrainz_rate"),
        ({"deezer_quota": "many"}, "deezer_quota"),
    ],
)
def test_bad_values_are_one_line_errors(flags, field):
    with pytest.raises(EmulatorError, match=rf"emulator setting {field}:"):
        settings_from_flags(None, flags)
