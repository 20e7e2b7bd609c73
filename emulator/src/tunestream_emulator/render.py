"""Catalog entities as the JSON objects Spotify sends, for one access profile.

``development`` drops the fields docs/SPOTIFY.md §1 lists as removed (album ``available_markets``,
``label``, ``popularity``; track ``available_markets``, ``linked_from``, ``popularity``; artist
``followers``, ``popularity``) everywhere they would appear; ``extended`` sends them all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from tunestream_emulator.catalog import Album, Artist, Catalog, Track
from tunestream_emulator.settings import Profile

__all__ = ["Json", "Renderer"]

Json = dict[str, Any]

_IMAGE_SIZES = ((640, "b273"), (300, "1e02"), (64, "4851"))


class Renderer:
    """Builds JSON objects with absolute links under ``base_url``."""

    def __init__(self, catalog: Catalog, base_url: str) -> None:
        self.catalog = catalog
        self.api = base_url.rstrip("/") + "/v1"

    def _link(self, kind: str, spotify_id: str) -> Json:
        return {
            "external_urls": {"spotify": f"https://open.spotify.com/{kind}/{spotify_id}"},
            "href": f"{self.api}/{kind}s/{spotify_id}",
            "id": spotify_id,
            "type": kind,
            "uri": f"spotify:{kind}:{spotify_id}",
        }

    @staticmethod
    def _images(key: str, kind_code: str) -> list[Json]:
        return [
            {
                "height": px,
                "width": px,
                "url": f"https://i.scdn.co/image/ab67{kind_code}0000{c}{key}",
            }
            for px, c in _IMAGE_SIZES
        ]

    def simplified_artist(self, artist_id: str) -> Json:
        ref = self.catalog.ids.decode(artist_id)
        assert ref is not None
        return {**self._link("artist", artist_id), "name": self.catalog.artist(ref.index).name}

    def artist(self, artist: Artist, profile: Profile) -> Json:
        body = {
            **self.simplified_artist(artist.id),
            "genres": list(artist.genres),
            "images": self._images(artist.image_key, "6761"),
        }
        if profile == "extended":
            body["followers"] = {"href": None, "total": artist.followers}
            body["popularity"] = artist.popularity
        return body

    def simplified_album(self, album: Album, profile: Profile) -> Json:
        body = {
            "album_type": album.album_type,
            "total_tracks": album.total_tracks,
            **self._link("album", album.id),
            "images": self._images(album.image_key, "616d"),
            "name": album.name,
            "release_date": album.release_date,
            "release_date_precision": album.release_date_precision,
            "artists": [self.simplified_artist(a) for a in album.artist_ids],
        }
        if profile == "extended":
            body["available_markets"] = list(album.markets)
        return body

    def album(self, album: Album, profile: Profile) -> Json:
        year = album.release_date[:4]
        body = {
            **self.simplified_album(album, profile),
            "tracks": self.album_tracks(album, profile, offset=0, limit=50),
            "copyrights": [
                {"text": f"© {year} {album.label}", "type": "C"},
                {"text": f"℗ {year} {album.label}", "type": "P"},
            ],
            "external_ids": {"upc": album.upc},
            "genres": [],
        }
        if profile == "extended":
            body["label"] = album.label
            body["popularity"] = album.popularity
        return body

    def simplified_track(self, track: Track, profile: Profile) -> Json:
        body = {
            **self._link("track", track.id),
            "artists": [self.simplified_artist(a) for a in track.artist_ids],
            "disc_number": 1,
            "duration_ms": track.duration_ms,
            "explicit": track.explicit,
            "name": track.name,
            "preview_url": None,
            "track_number": track.number + 1,
            "is_local": False,
        }
        if profile == "extended":
            body["available_markets"] = list(self.catalog.album(track.album_index).markets)
        return body

    def track(self, track: Track, profile: Profile) -> Json:
        body = {
            **self.simplified_track(track, profile),
            "album": self.simplified_album(self.catalog.album(track.album_index), profile),
            "external_ids": {"isrc": track.isrc},
        }
        if profile == "extended":
            body["popularity"] = track.popularity
        return body

    def album_tracks(self, album: Album, profile: Profile, offset: int, limit: int) -> Json:
        numbers = range(offset, min(offset + limit, album.total_tracks))
        items = [
            self.simplified_track(self.catalog.track(album.index, n), profile) for n in numbers
        ]
        return self.paging(
            f"albums/{album.id}/tracks", {}, items, offset, limit, album.total_tracks
        )

    def audio_features(self, track: Track) -> Json:
        features = self.catalog.features(track.album_index, track.number)
        return {
            "danceability": features.danceability,
            "energy": features.energy,
            "key": features.key,
            "loudness": features.loudness,
            "mode": features.mode,
            "speechiness": features.speechiness,
            "acousticness": features.acousticness,
            "instrumentalness": features.instrumentalness,
            "liveness": features.liveness,
            "valence": features.valence,
            "tempo": features.tempo,
            "type": "audio_features",
            "id": track.id,
            "uri": f"spotify:track:{track.id}",
            "track_href": f"{self.api}/tracks/{track.id}",
            "analysis_url": f"{self.api}/audio-analysis/{track.id}",
            "duration_ms": track.duration_ms,
            "time_signature": features.time_signature,
        }

    def paging(
        self,
        path: str,
        params: dict[str, str],
        items: list[Json],
        offset: int,
        limit: int,
        total: int,
        reachable: int | None = None,
    ) -> Json:
        """A paging object with absolute ``href``/``next``/``previous`` (null at the ends).

        ``reachable`` caps how far ``next`` goes when ``total`` counts more than can be paged.
        """

        def url(at: int) -> str:
            return f"{self.api}/{path}?{urlencode({**params, 'offset': at, 'limit': limit})}"

        end = total if reachable is None else min(total, reachable)
        return {
            "href": url(offset),
            "items": items,
            "limit": limit,
            "next": url(offset + limit) if offset + limit < end else None,
            "offset": offset,
            "previous": url(max(0, offset - limit)) if offset > 0 else None,
            "total": total,
        }
