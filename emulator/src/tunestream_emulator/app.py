"""The HTTP face: Starlette routes for ``/api/token``, ``/v1/...`` and ``/_admin/...``, and the
mounts of the ReccoBeats, Deezer and MusicBrainz stand-ins (:mod:`tunestream_emulator.enrich`).

Every ``/v1`` request goes through the same steps, in this order: count it, draw a fault
(added latency first), authenticate the token (401), admit it against the client's rolling
window and quota (429), check the client's profile may use the endpoint (403), then answer.
Connection-level faults (reset, timeout, truncate) need the connection itself: the server runs
uvicorn with :class:`AbortingProtocol`, which hands the ASGI app a way to reset it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import socket
import struct
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tunestream_emulator.access import EndpointGroup
from tunestream_emulator.admin import admin_routes
from tunestream_emulator.enrich import enrich_routes
from tunestream_emulator.errors import ApiError, TokenError
from tunestream_emulator.service import Call, Emulator, Handler, encode

__all__ = ["AbortingProtocol", "create_app"]

_ABORT = "tunestream.abort"
_JSON = (b"content-type", b"application/json; charset=utf-8")
_FAULT_STATUS = {"500": 500, "502": 502, "503": 503}
_FAULT_MESSAGE = {500: "Server error", 502: "Bad gateway", 503: "Service unavailable"}


class AbortingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, plus ``scope["extensions"]["tunestream.abort"]``: a call
    that resets the connection (RST, no response) for the fault injector."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.scope["extensions"] = {_ABORT: {"reset": self._reset}}

    def _reset(self) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
        if self.cycle is not None:
            self.cycle.disconnected = True


def _reset(scope: Scope) -> None:
    extension = scope.get("extensions", {}).get(_ABORT)
    if extension is None:
        raise RuntimeError("connection faults need the server's AbortingProtocol")
    reset: Callable[[], None] = extension["reset"]
    reset()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _send(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [_JSON, (b"content-length", str(len(body)).encode()), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ApiEndpoint:
    """One ``/v1`` endpoint: a handler of :class:`Emulator` wrapped in the common steps."""

    def __init__(self, emulator: Emulator, path: str, handler: Handler, group: EndpointGroup):
        self.emulator = emulator
        self.key = f"GET /v1{path}"
        self.handler = handler
        self.group = group

    def _answer(self, scope: Scope) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        emulator = self.emulator
        try:
            now = emulator.clock.service_time()
            client = emulator.access.authenticate(_header(scope, b"authorization"), now)
            emulator.requests_by_client[client.client_id] += 1
            emulator.access.admit(client, now)
            if not emulator.access.may_use(client, self.group):
                raise ApiError(403, "Forbidden")
            query = dict(parse_qsl(scope["query_string"].decode("latin-1")))
            call = Call(client.profile, scope["path_params"], query, emulator.clock.release_time())
            body = self.handler(emulator, call)
            return 200, body if isinstance(body, bytes) else encode(body), []
        except ApiError as error:
            headers = []
            if error.retry_after is not None:
                headers.append((b"retry-after", str(error.retry_after).encode()))
            return error.status, encode(error.body()), headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        emulator = self.emulator
        fault = emulator.faults.next()
        if emulator.faults.latency_s:
            await asyncio.sleep(emulator.faults.latency_s)
        outcome: str = fault
        if fault == "timeout":
            await asyncio.sleep(emulator.faults.settings.timeout_s)
        if fault in ("reset", "timeout"):
            _reset(scope)
        elif fault in _FAULT_STATUS:
            status = _FAULT_STATUS[fault]
            await _send(
                send,
                status,
                encode({"error": {"status": status, "message": _FAULT_MESSAGE[status]}}),
            )
        else:
            status, body, headers = self._answer(scope)
            if fault == "truncate":
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [_JSON, (b"content-length", str(len(body)).encode())],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[: len(body) // 2],
                        "more_body": True,
                    }
                )
                _reset(scope)
            else:
                if fault == "malformed":
                    body = body[: max(1, len(body) // 2)]
                else:
                    outcome = str(status)
                await _send(send, status, body, headers)
        emulator.requests[(self.key, outcome)] += 1


def _basic(authorization: str | None) -> tuple[str | None, str | None]:
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _token_endpoint(emulator: Emulator) -> Callable[[Request], Any]:
    async def token(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("latin-1")))
        client_id, secret = _basic(request.headers.get("authorization"))
        if client_id is None:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        try:
            client = emulator.access.client(client_id, secret)
            grant = form.get("grant_type")
            if grant is None:
                raise TokenError("unsupported_grant_type", "grant_type parameter is missing")
            if grant != "client_credentials":
                raise TokenError(
                    "unsupported_grant_type",
                    "grant_type must be client_credentials, authorization_code or refresh_token",
                )
            body, status = emulator.access.issue(client, emulator.clock.service_time()), 200
        except TokenError as error:
            body, status = dict(error.body), 400
        emulator.requests[("POST /api/token", str(status))] += 1
        return Response(orjson.dumps(body), status, media_type="application/json")

    return token


_ROUTES: tuple[tuple[str, Handler, EndpointGroup], ...] = (
    ("/browse/new-releases", Emulator.new_releases, "batch"),
    ("/albums", Emulator.albums, "batch"),
    ("/albums/{id}", Emulator.album, "open"),
    ("/albums/{id}/tracks", Emulator.album_tracks, "open"),
    ("/tracks", Emulator.tracks, "batch"),
    ("/tracks/{id}", Emulator.track, "open"),
    ("/artists", Emulator.artists, "batch"),
    ("/artists/{id}", Emulator.artist, "open"),
    ("/audio-features", Emulator.audio_features, "audio"),
    ("/audio-features/{id}", Emulator.audio_features_one, "audio"),
    ("/audio-analysis/{id}", Emulator.audio_analysis, "audio"),
    ("/search", Emulator.search, "open"),
)


def create_app(emulator: Emulator) -> Starlette:
    """The ASGI app serving one :class:`Emulator`."""
    api: list[BaseRoute] = []
    for path, handler, group in _ROUTES:
        endpoint = ApiEndpoint(emulator, path, handler, group)
        # api.spotify.com answers a path with a trailing slash as without it, not by a redirect
        api += [
            Route(path, endpoint, methods=["GET"]),
            Route(f"{path}/", endpoint, methods=["GET"]),
        ]
    routes: list[BaseRoute] = [
        Route("/api/token", _token_endpoint(emulator), methods=["POST"]),
        Mount("/v1", routes=api),
        Mount("/_admin", routes=admin_routes(emulator)),
        *enrich_routes(emulator.reccobeats, emulator.deezer, emulator.musicbrainz),
    ]
    return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})


async def _not_found(request: Request, exc: Exception) -> Response:
    body = {"error": {"status": 404, "message": "Service not found"}}
    return Response(encode(body), 404, media_type="application/json")
