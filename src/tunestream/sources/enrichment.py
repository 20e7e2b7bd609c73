"""The enrichments: what the ReccoBeats, Deezer and MusicBrainz specs write about Spotify's tracks.

Each of the three specs reads the Spotify source's ``tracks`` topic (``kind: topic``) and looks
its tracks up in another API; each record it writes is one enrichment of a track, keyed so that
the tables can join it to the track: by the Spotify track id where the API knows it (ReccoBeats),
else by the track's ISRC (``external_ids.isrc``: Deezer, MusicBrainz). Plain Python, so that the
producer, the settings and the Spark job share the one list; ``tests/unit/spec/test_entities.py``
checks that each spec's ``emit``/``schema`` pair is here.

The records' values are the APIs' own objects:

- ``reccobeats.audio_features`` (key: Spotify track id): ReccoBeats' audio features,
  ``{id, href, acousticness, danceability, energy, instrumentalness, key, liveness, loudness,
  mode, speechiness, tempo, valence}``; ``href`` ends in the Spotify id; no ``time_signature``,
  no ``duration_ms``.
- ``deezer.tracks`` (key: ISRC): Deezer's track, with ``bpm`` (0 where Deezer has none) and
  ``gain``.
- ``musicbrainz.recordings`` (key: ISRC): the MusicBrainz recording the ISRC search found first
  (its best score), with ``id`` (the MBID), ``isrcs`` and ``tags`` (``[{count, name}]``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENRICHMENTS", "Enrichment", "enrichment"]


@dataclass(frozen=True)
class Enrichment:
    """One record type an enrichment spec writes."""

    name: str
    """The job's entity name (the ``records`` column it parses into)."""
    table: str
    """The job's table of the latest value per key."""
    spec: str
    """The built-in spec that writes it."""
    topic: str
    """The spec's ``emit`` key; its Kafka topic is ``<spec>.<topic>``."""
    key: str
    """The table's key column: what the record key is (``track_id`` or ``isrc``)."""
    resource: str
    """The spec's resource that emits it."""
    what: str
    """What it brings, in words (``produce --plan`` says who supplies it)."""
    fills: str | None = None
    """The spotify spec's resource it stands in for where that one is closed, if any."""

    @property
    def schema_id(self) -> str:
        """The ``tunestream.schema`` header, e.g. ``reccobeats.audio_features.v1``."""
        return f"{self.spec}.{self.topic}.v1"

    @property
    def kafka_topic(self) -> str:
        """The topic's default name (``kafka.records_topic``): ``<spec>.<topic>``."""
        return f"{self.spec}.{self.topic}"


ENRICHMENTS: tuple[Enrichment, ...] = (
    Enrichment(
        name="reccobeats_features",
        table="reccobeats_features",
        spec="reccobeats",
        topic="audio_features",
        key="track_id",
        resource="audio_features",
        what="audio features",
        fills="audio_features",
    ),
    Enrichment(
        name="deezer_track",
        table="deezer_tracks",
        spec="deezer",
        topic="tracks",
        key="isrc",
        resource="tracks",
        what="bpm and gain",
    ),
    Enrichment(
        name="musicbrainz_recording",
        table="musicbrainz_recordings",
        spec="musicbrainz",
        topic="recordings",
        key="isrc",
        resource="recordings",
        what="MusicBrainz recordings and tags",
    ),
)
_BY_NAME = {e.name: e for e in ENRICHMENTS}


def enrichment(name: str) -> Enrichment:
    """The enrichment called ``name`` (KeyError for another)."""
    return _BY_NAME[name]
