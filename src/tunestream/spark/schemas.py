"""The Spark schemas of the record values: the one place the job says what it reads.

Each record value is the JSON object the Spotify Web API returns for that entity (the entities are
:data:`tunestream.sources.spotify.ENTITIES`; these schemas are keyed by their names); the producer's
JSON Schemas are ``schemas/spotify/<entity>.v1.json``. The Spark schema of an entity is that JSON
Schema minus the subtrees listed in :data:`IGNORED` (links, images, per-segment timbre … nothing a
table uses). ``tests/unit/spark/test_schemas.py`` checks, path by path and type by type, that
``spark paths == json schema paths - ignored``: a field added to either side fails the test until
it is read or ignored here, so the two cannot drift.

JSON Schema → Spark types: string → string, integer → long, number → double, boolean → boolean,
array → array, object → struct.

The enrichments' values (:data:`tunestream.sources.enrichment.ENRICHMENTS`: ReccoBeats' audio
features, Deezer's track, MusicBrainz's recording) are other APIs' objects, with no JSON Schema
file: :data:`ENRICHMENT_SCHEMAS` lists only the fields their tables read (``from_json`` skips the
others), so only those are type-checked.
"""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)

__all__ = [
    "ANALYSIS_SUMMARY",
    "CORRUPT_COLUMN",
    "DEAD_LETTER",
    "ENRICHMENT_SCHEMAS",
    "IGNORED",
    "SOURCE_PLAN",
    "VALUE_SCHEMAS",
    "with_corrupt",
]

CORRUPT_COLUMN = "_corrupt_record"
"""Where ``from_json`` puts the raw text of a value that does not fit the schema."""

S: DataType = StringType()
L: DataType = LongType()
D: DataType = DoubleType()
B: DataType = BooleanType()
INT: DataType = IntegerType()


def _struct(**fields: DataType) -> StructType:
    return StructType([StructField(name, kind, nullable=True) for name, kind in fields.items()])


def _array(kind: DataType) -> ArrayType:
    return ArrayType(kind, containsNull=True)


_ARTIST_REF = _struct(id=S, name=S)

ALBUM = _struct(
    album_type=S,
    total_tracks=L,
    available_markets=_array(S),
    id=S,
    name=S,
    release_date=S,
    release_date_precision=S,
    type=S,
    artists=_array(_ARTIST_REF),
    genres=_array(S),
    label=S,
    popularity=L,
    external_ids=_struct(upc=S),
)

TRACK = _struct(
    album=_struct(
        album_type=S,
        total_tracks=L,
        available_markets=_array(S),
        id=S,
        name=S,
        release_date=S,
        release_date_precision=S,
    ),
    artists=_array(_ARTIST_REF),
    available_markets=_array(S),
    disc_number=L,
    duration_ms=L,
    explicit=B,
    external_ids=_struct(isrc=S),
    id=S,
    name=S,
    popularity=L,
    track_number=L,
    type=S,
    is_local=B,
)

_FEATURES: dict[str, DataType] = {
    "acousticness": D,
    "danceability": D,
    "energy": D,
    "instrumentalness": D,
    "key": L,
    "liveness": D,
    "loudness": D,
    "mode": L,
    "speechiness": D,
    "tempo": D,
    "valence": D,
}
"""The audio features Spotify and ReccoBeats both give, by the same names."""

AUDIO_FEATURES = _struct(**_FEATURES, duration_ms=L, id=S, time_signature=L, type=S)

AUDIO_ANALYSIS = _struct(
    meta=_struct(analyzer_version=S, status_code=L, timestamp=L),
    track=_struct(
        num_samples=L,
        duration=D,
        end_of_fade_in=D,
        start_of_fade_out=D,
        loudness=D,
        tempo=D,
        tempo_confidence=D,
        time_signature=L,
        time_signature_confidence=D,
        key=L,
        key_confidence=D,
        mode=L,
        mode_confidence=D,
    ),
    # the summary counts the intervals and the sections' key changes: one field each is checked
    bars=_array(_struct(start=D)),
    beats=_array(_struct(start=D)),
    sections=_array(_struct(start=D, key=L)),
    segments=_array(_struct(start=D)),
    tatums=_array(_struct(start=D)),
)
"""What of an analysis is read and type-checked. The job does not build this row (an analysis
runs past 1 MB, almost all of it intervals): the JVM reader ``jvm/udf`` (AnalysisSummary) checks
these fields as ``from_json`` would and returns :data:`ANALYSIS_SUMMARY`."""

ANALYSIS_SUMMARY = _struct(
    analyzer_version=S,
    analysis_duration_s=D,
    analysis_tempo=D,
    analysis_tempo_confidence=D,
    analysis_key=L,
    analysis_key_confidence=D,
    analysis_mode=L,
    analysis_mode_confidence=D,
    analysis_time_signature=L,
    analysis_loudness=D,
    analysis_end_of_fade_in=D,
    analysis_start_of_fade_out=D,
    sections_count=INT,
    segments_count=INT,
    bars_count=INT,
    beats_count=INT,
    tatums_count=INT,
    sections_key_changes=INT,
)
"""An analysis as ``records`` keeps it: ``meta.analyzer_version``, the ``track`` values, how many
of each interval, and how many sections are in another key than the track (null key: no change)."""

ARTIST = _struct(
    followers=_struct(total=L),
    genres=_array(S),
    id=S,
    name=S,
    popularity=L,
    type=S,
)

VALUE_SCHEMAS: dict[str, StructType] = {
    "album": ALBUM,
    "track": TRACK,
    "audio_features": AUDIO_FEATURES,
    "audio_analysis": AUDIO_ANALYSIS,
    "artist": ARTIST,
}
"""Entity name → the schema its values are parsed with (one per entity: a unit test checks it)."""

RECCOBEATS_FEATURES = _struct(id=S, href=S, **_FEATURES)

DEEZER_TRACK = _struct(
    id=L,
    title=S,
    isrc=S,
    duration=L,
    rank=L,
    release_date=S,
    bpm=D,
    gain=D,
    artist=_struct(id=L, name=S),
    album=_struct(id=L, title=S),
)

MUSICBRAINZ_RECORDING = _struct(
    id=S,
    score=L,
    title=S,
    length=L,
    tags=_array(_struct(count=L, name=S)),
    **{"first-release-date": S},
)

ENRICHMENT_SCHEMAS: dict[str, StructType] = {
    "reccobeats_features": RECCOBEATS_FEATURES,
    "deezer_track": DEEZER_TRACK,
    "musicbrainz_recording": MUSICBRAINZ_RECORDING,
}
"""Enrichment name → the schema its values are parsed with (one per enrichment: a unit test
checks it)."""

SOURCE_PLAN = _struct(source=S, delivers=_array(S), closed=MapType(S, S, valueContainsNull=True))
"""A producer's plan record (:mod:`tunestream.sources.plan`): not an entity of the API, so not in
:data:`VALUE_SCHEMAS`; its value has no JSON Schema file, the producer writes it from code."""

DEAD_LETTER = _struct(source=S, resource=S, items=_array(S), error=S, topic=S)
"""A dead letter (:mod:`tunestream.runtime.wire`), only the fields the job reads: ``topic`` is
there when the record it names was too large for that topic."""

_LINKS = ("href", "uri", "external_urls", "images", "restrictions")
_ARTIST_LINKS = tuple(f"artists[].{k}" for k in ("href", "uri", "external_urls", "type"))

IGNORED: dict[str, tuple[str, ...]] = {
    # The album's own tracks arrive on the tracks topic, each with its album id.
    "album": (
        *_LINKS,
        *_ARTIST_LINKS,
        "tracks",
        "copyrights",
        "external_ids.isrc",
        "external_ids.ean",
    ),
    "track": (
        "href",
        "uri",
        "external_urls",
        "restrictions",
        *_ARTIST_LINKS,
        "preview_url",
        "is_playable",
        "linked_from",
        "external_ids.ean",
        "external_ids.upc",
        "album.href",
        "album.uri",
        "album.external_urls",
        "album.images",
        "album.restrictions",
        "album.type",
        "album.artists",
    ),
    "audio_features": ("analysis_url", "track_href", "uri"),
    # Only a summary of the analysis reaches a table (track-level values, interval counts, key
    # changes): the per-segment pitch and timbre vectors and the fingerprint strings are what make
    # the documents pass 1 MB, and the per-interval values are parsed for nothing.
    "audio_analysis": (
        "meta.platform",
        "meta.detailed_status",
        "meta.analysis_time",
        "meta.input_process",
        "track.sample_md5",
        "track.offset_seconds",
        "track.window_seconds",
        "track.analysis_sample_rate",
        "track.analysis_channels",
        "track.codestring",
        "track.code_version",
        "track.echoprintstring",
        "track.echoprint_version",
        "track.synchstring",
        "track.synch_version",
        "track.rhythmstring",
        "track.rhythm_version",
        *(f"{k}[].{f}" for k in ("bars", "beats", "tatums") for f in ("duration", "confidence")),
        *(
            f"sections[].{f}"
            for f in (
                "duration",
                "confidence",
                "loudness",
                "tempo",
                "tempo_confidence",
                "key_confidence",
                "mode",
                "mode_confidence",
                "time_signature",
                "time_signature_confidence",
            )
        ),
        "segments[].duration",
        "segments[].confidence",
        "segments[].loudness_max",
        "segments[].loudness_start",
        "segments[].loudness_max_time",
        "segments[].loudness_end",
        "segments[].pitches",
        "segments[].timbre",
    ),
    "artist": ("href", "uri", "external_urls", "images", "followers.href"),
}
"""Per entity, the JSON paths (``a.b``, ``a[].b``; each with its subtree) the job never reads."""


def with_corrupt(schema: StructType) -> StructType:
    """``schema`` plus the column ``from_json`` fills with the raw text of a misfit value."""
    return StructType([*schema.fields, StructField(CORRUPT_COLUMN, StringType(), nullable=True)])
