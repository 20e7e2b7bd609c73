from __future__ import annotations

import pytest

from tunestream.config import Settings, SourceSettings
from tunestream.errors import ConfigError
from tunestream.runtime.service import check_spec
from tunestream.spec.loader import load_spec

pytestmark = pytest.mark.unit

ENV = {"SPOTIFY_CLIENT_ID": "id", "SPOTIFY_CLIENT_SECRET": "secret"}


def test_the_default_mode_skips_and_topics_come_from_spec_and_settings() -> None:
    spec = load_spec("spotify", environ=ENV)
    mode, skip, topics = check_spec(spec, Settings(source=SourceSettings(skip=["audio_analysis"])))
    assert mode == "new-releases"
    assert skip == frozenset({"audio_analysis"})
    assert topics["albums"] == "spotify.albums"
    assert topics["source_state"] == "tunestream.source_state"
    assert topics["source_plan"] == "tunestream.source_plan"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"mode": "everything"}, "source.mode: 'everything' is not a mode of spec spotify"),
        ({"skip": ["lyrics"]}, "source.skip: lyrics not in spec spotify"),
    ],
)
def test_a_setting_the_spec_does_not_know_is_one_line(
    source: dict[str, object], expected: str
) -> None:
    spec = load_spec("spotify", environ=ENV)
    with pytest.raises(ConfigError, match=expected) as caught:
        check_spec(spec, Settings(source=SourceSettings.model_validate(source)))
    assert "\n" not in str(caught.value)
