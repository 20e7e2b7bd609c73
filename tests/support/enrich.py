"""What the tests of the ReccoBeats, Deezer and MusicBrainz stand-ins share.

- ``UNLIMITED``: settings overrides that turn the three stand-ins' limits off
- ``USER_AGENT``: a meaningful ``User-Agent`` (MusicBrainz refuses generic ones)
- ``released_tracks(handle, albums)``: the tracks of the newest released albums
- ``schema_errors(name, body)``: what is wrong with a body, by the schemas in
  ``tests/fixtures/enrich/schemas.yaml``
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from tunestream_emulator import EmulatorHandle
from tunestream_emulator.catalog import Track

__all__ = ["UNLIMITED", "USER_AGENT", "released_tracks", "schema_errors", "schemas"]

UNLIMITED: dict[str, Any] = {"reccobeats_rate": 0, "deezer_quota": 0, "musicbrainz_rate": 0}
USER_AGENT = {"User-Agent": "tunestream-tests/0.1 (https://example.org/tunestream)"}
_SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures/enrich/schemas.yaml"


def released_tracks(handle: EmulatorHandle, albums: int = 30) -> list[Track]:
    """Every track of the ``albums`` newest albums released at the release clock's reading."""
    catalog = handle.emulator.catalog
    last = catalog.last_released(handle.emulator.clock.release_time())
    return [
        catalog.track(index, number)
        for index in range(last - albums + 1, last + 1)
        for number in range(catalog.total_tracks(index))
    ]


@cache
def schemas() -> dict[str, Any]:
    """The ``$defs`` of the stand-ins' answers."""
    loaded: dict[str, Any] = yaml.safe_load(_SCHEMAS.read_text())
    return loaded


def schema_errors(name: str, body: Any) -> list[str]:
    """The first few violations of ``$defs/<name>`` by ``body`` (empty: it validates)."""
    validator = Draft202012Validator({**schemas(), "$ref": f"#/$defs/{name}"})
    found = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in found[:5]]
