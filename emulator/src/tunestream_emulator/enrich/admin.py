"""The stand-ins' part of ``/_admin``: their ground truth, MusicBrainz's request log and the
counts of what they answered (shapes in docs/EMULATOR.md).

Truth routes take comma-separated keys and answer each with what the API would serve for it now
(null for what it does not know), so a test can compare a pipeline's records row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tunestream_emulator.enrich.deezer import Deezer
from tunestream_emulator.enrich.musicbrainz import MusicBrainz
from tunestream_emulator.enrich.reccobeats import ReccoBeats
from tunestream_emulator.render import Json

__all__ = ["enrich_admin_routes"]


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _keys(request: Request, name: str) -> list[str]:
    return [k.strip() for k in request.query_params.get(name, "").split(",") if k.strip()]


def _truth(path: str, key: str, lookup: Callable[[str], Json | None]) -> Route:
    """``GET /truth/<service>/<name>?<key>=a,b``: ``{<name>: {a: …|null, b: …|null}}``."""
    name = path.rsplit("/", 1)[-1]

    async def truth(request: Request) -> Response:
        return _json({name: {k: lookup(k) for k in _keys(request, key)}})

    return Route(path, truth)


def enrich_admin_routes(
    reccobeats: ReccoBeats, deezer: Deezer, musicbrainz: MusicBrainz
) -> list[BaseRoute]:
    """Routes to mount under ``/_admin`` beside the Spotify emulator's."""

    async def deezer_releases(request: Request) -> Response:
        return _json({"albums": deezer.releases()})

    async def musicbrainz_requests(request: Request) -> Response:
        return _json({"requests": [asdict(r) for r in musicbrainz.requests()]})

    async def counts(request: Request) -> Response:
        return _json(
            {
                "reccobeats": {
                    "statuses": dict(reccobeats.statuses),
                    "rate_limited": reccobeats.rate_limited,
                },
                "deezer": {
                    "answers": dict(deezer.statuses),
                    "quota_exceeded": deezer.quota_exceeded,
                },
                "musicbrainz": {
                    "statuses": dict(musicbrainz.statuses),
                    "rate_limited": musicbrainz.rate_limited,
                    "user_agent_refused": musicbrainz.user_agent_refused,
                },
            }
        )

    return [
        _truth("/truth/reccobeats/features", "ids", reccobeats.features),
        _truth("/truth/deezer/tracks", "isrcs", deezer.track),
        Route("/truth/deezer/releases", deezer_releases),
        _truth("/truth/musicbrainz/recordings", "isrcs", musicbrainz.recording),
        Route("/requests/musicbrainz", musicbrainz_requests),
        Route("/requests/enrich", counts),
    ]
