"""The entities the ``spotify`` spec emits: the one list the producer, the topics and the job read.

Each entity is a record type: the spec's resources ``emit`` it to its topic (a ``kafka.topics``
key) with its schema id in the ``tunestream.schema`` header; ``schemas/spotify/<name>.v1.json`` is
its JSON Schema (generated from an OpenAPI component); the Spark job parses it with its Spark
schema (``spark/schemas.py``, keyed by these names) into the table of that name, one row per key.
Plain Python, so that the producer and the settings read it without PySpark. ``spotify.yaml``
cannot import it: ``tests/unit/spec/test_entities.py`` checks that its ``emit``/``schema`` pairs
are these.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENTITIES", "NAMES", "SCHEMA_VERSION", "Entity", "entity"]

SCHEMA_VERSION = "v1"


@dataclass(frozen=True)
class Entity:
    """One record type of the Spotify source."""

    name: str
    """As in the schema id and the ``records`` column the job parses it into."""
    topic: str
    """The ``kafka.topics`` key (the spec's ``emit``); its Kafka topic is ``spotify.<topic>``."""
    table: str
    """The job's table of the latest value per key."""
    key: str
    """The table's key column (the record key)."""
    component: str
    """The OpenAPI component its JSON Schema is generated from."""
    large: bool = False
    """Whether a value can pass 1 MB (its topic takes bigger messages, compressed)."""

    @property
    def schema_id(self) -> str:
        """The ``tunestream.schema`` header, e.g. ``spotify.album.v1``."""
        return f"spotify.{self.name}.{SCHEMA_VERSION}"

    @property
    def schema_file(self) -> str:
        """The JSON Schema's file name under ``schemas/spotify``."""
        return f"{self.name}.{SCHEMA_VERSION}.json"


ENTITIES: tuple[Entity, ...] = (
    Entity("album", "albums", "albums", "album_id", "AlbumObject"),
    Entity("track", "tracks", "tracks", "track_id", "TrackObject"),
    Entity("audio_features", "audio_features", "audio_features", "track_id", "AudioFeaturesObject"),
    Entity(
        "audio_analysis",
        "audio_analysis",
        "audio_analysis",
        "track_id",
        "AudioAnalysisObject",
        large=True,
    ),
    Entity("artist", "artists", "artists", "artist_id", "ArtistObject"),
)

NAMES: tuple[str, ...] = tuple(e.name for e in ENTITIES)
_BY_NAME = dict(zip(NAMES, ENTITIES, strict=True))


def entity(name: str) -> Entity:
    """The entity called ``name`` (KeyError for another)."""
    return _BY_NAME[name]
