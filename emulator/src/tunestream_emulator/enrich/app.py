"""The HTTP face of the three stand-ins: Starlette routes mounted by the Spotify emulator's app
under ``/reccobeats/v1``, ``/deezer`` and ``/musicbrainz/ws/2``, without any token.

Each route reads what its stand-in needs from the request (the client's address, the
``User-Agent``, the parameters) and writes the :class:`~.common.Answer` as compact JSON.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from tunestream_emulator.enrich.common import Answer
from tunestream_emulator.enrich.deezer import Deezer
from tunestream_emulator.enrich.musicbrainz import MusicBrainz
from tunestream_emulator.enrich.reccobeats import ReccoBeats

__all__ = ["enrich_routes"]


def _address(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def _respond(answer: Answer) -> Response:
    return Response(
        answer.encode(), answer.status, dict(answer.headers), media_type="application/json"
    )


def enrich_routes(
    reccobeats: ReccoBeats, deezer: Deezer, musicbrainz: MusicBrainz
) -> list[BaseRoute]:
    """The mounts of the three stand-ins."""

    async def audio_features(request: Request) -> Response:
        ids = request.query_params.getlist("ids")
        return _respond(reccobeats.answer(_address(request), ids))

    async def deezer_track(request: Request) -> Response:
        reference = request.path_params["reference"]
        return _respond(deezer.answer_track(_address(request), reference))

    async def deezer_releases(request: Request) -> Response:
        return _respond(deezer.answer_releases(_address(request), request.query_params))

    async def musicbrainz_search(request: Request) -> Response:
        agent = request.headers.get("user-agent")
        answer = musicbrainz.answer_search(_address(request), agent, request.query_params)
        return _respond(answer)

    async def musicbrainz_lookup(request: Request) -> Response:
        agent, isrc = request.headers.get("user-agent"), request.path_params["isrc"]
        answer = musicbrainz.answer_lookup(_address(request), agent, isrc, request.query_params)
        return _respond(answer)

    return [
        Mount(
            "/reccobeats/v1",
            routes=[Route("/audio-features", audio_features, methods=["GET"])],
        ),
        Mount(
            "/deezer",
            routes=[
                Route("/track/{reference}", deezer_track, methods=["GET"]),
                Route("/editorial/0/releases", deezer_releases, methods=["GET"]),
            ],
        ),
        Mount(
            "/musicbrainz/ws/2",
            routes=[
                Route("/recording", musicbrainz_search, methods=["GET"]),
                Route("/isrc/{isrc}", musicbrainz_lookup, methods=["GET"]),
            ],
        ),
    ]
