"""Response models of the Spotify Web API, lenient the way real responses require: what
``test_models`` parses recorded real responses and the emulator's with (the pipeline keeps
responses as raw JSON; it uses no models).

The OpenAPI schema of 2026 marks fields as required that responses recorded in 2015-2020 lack
(``total_tracks``, ``release_date_precision``, ``copyrights`` …), and development-mode apps
no longer receive ``available_markets``, ``popularity``, ``label``, ``followers`` or
``linked_from``. So every field but an object's identity is optional, unknown fields are kept
(``extra="allow"``: the raw body goes to Kafka anyway), and multi-id answers allow ``null``
slots for unknown ids. The oldest recordings write ``release_date`` as an object
(``{"year": 1983, "month": null, "day": null}``); it is read into today's string form.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = [
    "Album",
    "AlbumsPage",
    "Artist",
    "AudioAnalysis",
    "AudioFeatures",
    "Copyright",
    "ErrorBody",
    "ErrorDetail",
    "ExternalIds",
    "ExternalUrls",
    "Followers",
    "Image",
    "ManyAlbums",
    "ManyArtists",
    "ManyAudioFeatures",
    "ManyTracks",
    "NewReleases",
    "SearchAlbums",
    "Section",
    "Segment",
    "SimplifiedAlbum",
    "SimplifiedArtist",
    "SimplifiedTrack",
    "TimeInterval",
    "Token",
    "TokenError",
    "Track",
    "TracksPage",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class ExternalUrls(_Lenient):
    spotify: str | None = None


class ExternalIds(_Lenient):
    isrc: str | None = None
    ean: str | None = None
    upc: str | None = None


class Image(_Lenient):
    url: str
    height: int | None = None
    width: int | None = None


class Followers(_Lenient):
    href: str | None = None
    total: int | None = None


class Copyright(_Lenient):
    text: str | None = None
    type: str | None = None


class SimplifiedArtist(_Lenient):
    id: str
    name: str
    type: Literal["artist"] = "artist"
    uri: str | None = None
    href: str | None = None
    external_urls: ExternalUrls | None = None


class Artist(SimplifiedArtist):
    genres: list[str] = []
    images: list[Image] = []
    followers: Followers | None = None
    popularity: int | None = None


class SimplifiedAlbum(_Lenient):
    id: str
    name: str
    album_type: str | None = None
    type: Literal["album"] = "album"
    total_tracks: int | None = None
    release_date: str | None = None
    release_date_precision: Literal["year", "month", "day"] | None = None
    artists: list[SimplifiedArtist] = []
    images: list[Image] = []
    available_markets: list[str] | None = None
    uri: str | None = None
    href: str | None = None
    external_urls: ExternalUrls | None = None

    @model_validator(mode="before")
    @classmethod
    def _release_date_object(cls, data: Any) -> Any:
        """``{"year": 1983, "month": 5, "day": null}`` → ``"1983-05"`` with its precision."""
        if isinstance(data, dict) and isinstance(data.get("release_date"), dict):
            parts = data["release_date"]
            names = [n for n in ("year", "month", "day") if parts.get(n) is not None]
            data = {
                **data,
                "release_date": "-".join(
                    f"{int(parts[n]):0{4 if n == 'year' else 2}d}" for n in names
                ),
            }
            if names and data.get("release_date_precision") is None:
                data["release_date_precision"] = names[-1]
        return data


class SimplifiedTrack(_Lenient):
    id: str
    name: str
    type: Literal["track"] = "track"
    artists: list[SimplifiedArtist] = []
    duration_ms: int | None = None
    explicit: bool | None = None
    disc_number: int | None = None
    track_number: int | None = None
    preview_url: str | None = None
    is_local: bool | None = None
    is_playable: bool | None = None
    available_markets: list[str] | None = None
    uri: str | None = None
    href: str | None = None
    external_urls: ExternalUrls | None = None


class _Page(_Lenient):
    href: str | None = None
    limit: int
    offset: int
    total: int
    next: str | None = None
    previous: str | None = None


class TracksPage(_Page):
    items: list[SimplifiedTrack]


class AlbumsPage(_Page):
    items: list[SimplifiedAlbum]


class Album(SimplifiedAlbum):
    tracks: TracksPage | None = None
    copyrights: list[Copyright] = []
    external_ids: ExternalIds | None = None
    genres: list[str] = []
    label: str | None = None
    popularity: int | None = None


class Track(SimplifiedTrack):
    album: SimplifiedAlbum | None = None
    external_ids: ExternalIds | None = None
    popularity: int | None = None
    linked_from: dict[str, object] | None = None


class AudioFeatures(_Lenient):
    id: str
    danceability: float | None = None
    energy: float | None = None
    key: int | None = None
    loudness: float | None = None
    mode: int | None = None
    speechiness: float | None = None
    acousticness: float | None = None
    instrumentalness: float | None = None
    liveness: float | None = None
    valence: float | None = None
    tempo: float | None = None
    time_signature: int | None = None
    duration_ms: int | None = None
    type: Literal["audio_features"] = "audio_features"
    uri: str | None = None
    track_href: str | None = None
    analysis_url: str | None = None


class TimeInterval(_Lenient):
    start: float
    duration: float
    confidence: float | None = None


class Section(TimeInterval):
    loudness: float | None = None
    tempo: float | None = None
    key: int | None = None
    mode: int | None = None
    time_signature: int | None = None


class Segment(TimeInterval):
    loudness_start: float | None = None
    loudness_max: float | None = None
    loudness_max_time: float | None = None
    loudness_end: float | None = None  # absent from real recordings
    pitches: list[float] = []
    timbre: list[float] = []


class AudioAnalysis(_Lenient):
    meta: dict[str, object] = {}
    track: dict[str, object] = {}
    bars: list[TimeInterval] = []
    beats: list[TimeInterval] = []
    sections: list[Section] = []
    segments: list[Segment] = []
    tatums: list[TimeInterval] = []


class NewReleases(_Lenient):
    """``GET /v1/browse/new-releases``."""

    albums: AlbumsPage


class SearchAlbums(_Lenient):
    """``GET /v1/search?type=album``."""

    albums: AlbumsPage


class ManyAlbums(_Lenient):
    albums: list[Album | None]


class ManyTracks(_Lenient):
    tracks: list[Track | None]


class ManyArtists(_Lenient):
    artists: list[Artist | None]


class ManyAudioFeatures(_Lenient):
    audio_features: list[AudioFeatures | None]


class ErrorDetail(_Lenient):
    status: int
    message: str | None = None
    reason: str | None = None


class ErrorBody(_Lenient):
    """``{"error": {"status": .., "message": ..}}`` of every Web API error."""

    error: ErrorDetail


class Token(_Lenient):
    """A client-credentials token (no refresh token: fetch a new one the same way)."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str | None = None


class TokenError(_Lenient):
    """The flat OAuth error object of ``POST /api/token``."""

    error: str
    error_description: str | None = None
