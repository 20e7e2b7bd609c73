"""Local stand-ins for the three APIs that fill the gaps of a development-mode Spotify app: the
audio features of ReccoBeats, the tracks (bpm, gain) of Deezer and the recordings (tags) of
MusicBrainz (see docs/EMULATOR.md, "The ReccoBeats, Deezer and MusicBrainz stand-ins").

They know the Spotify emulator's catalog as its release clock stands, each a share of it, and
are served by the same server, without a token: ReccoBeats under ``/reccobeats/v1``, Deezer
under ``/deezer``, MusicBrainz under ``/musicbrainz/ws/2``, each with its documented limits.
Their ground truth is a pure function of the catalog and the settings, in process
(``emulator.reccobeats.features(track_id)``, ``emulator.deezer.track(isrc)``,
``emulator.musicbrainz.recording(isrc)``) and under ``/_admin``.
"""

from __future__ import annotations

from tunestream_emulator.enrich.admin import enrich_admin_routes
from tunestream_emulator.enrich.app import enrich_routes
from tunestream_emulator.enrich.common import Tracks
from tunestream_emulator.enrich.deezer import Deezer
from tunestream_emulator.enrich.musicbrainz import Logged, MusicBrainz
from tunestream_emulator.enrich.reccobeats import ReccoBeats

__all__ = [
    "Deezer",
    "Logged",
    "MusicBrainz",
    "ReccoBeats",
    "Tracks",
    "enrich_admin_routes",
    "enrich_routes",
]
