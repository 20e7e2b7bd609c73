"""``/_admin``: ground truth, request counts, clock and fault control (no auth, no faults), and
the ReccoBeats, Deezer and MusicBrainz stand-ins' truth and counts (``/_admin/truth/<service>/…``,
``/_admin/requests/…``).

Shapes are documented in docs/EMULATOR.md; tests and benchmarks compare a pipeline's output
with ``/_admin/truth`` and ``/_admin/truth/albums``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tunestream_emulator.clock import ClockState
from tunestream_emulator.discovery import TAG_NEW_SECONDS
from tunestream_emulator.enrich import enrich_admin_routes
from tunestream_emulator.settings import FaultSettings

if TYPE_CHECKING:
    from tunestream_emulator.service import Emulator

__all__ = ["ClockCommand", "admin_routes"]

_MAX_TRUTH_PAGE = 10_000


class ClockCommand(BaseModel):
    """``POST /_admin/clock``: any of these, applied in this order."""

    model_config = ConfigDict(extra="forbid")

    paused: bool | None = None
    set: datetime | None = None
    advance: float | None = None
    speed: float | None = None


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def admin_routes(emulator: Emulator) -> list[BaseRoute]:
    catalog = emulator.catalog

    def clock_state(state: ClockState | None = None) -> dict[str, Any]:
        state = state or emulator.clock.state()
        return {
            "now": state.now.isoformat(),
            "now_epoch": state.epoch_seconds,
            "speed": state.speed,
            "paused": state.paused,
            "service_seconds": state.service_seconds,
        }

    async def health(request: Request) -> Response:
        return _json({"status": "ok", "warming_up": emulator.warming_up})

    async def settings(request: Request) -> Response:
        return _json(emulator.settings.model_dump(mode="json"))

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                command = ClockCommand.model_validate_json(await request.body())
            except ValidationError as error:
                return _json({"error": str(error)}, 400)
            if command.paused is not None:
                emulator.clock.set_paused(command.paused)
            if command.set is not None:
                moment = command.set if command.set.tzinfo else command.set.replace(tzinfo=UTC)
                emulator.clock.set_release_time(moment.timestamp())
            if command.advance is not None:
                emulator.clock.advance(command.advance)
            if command.speed is not None:
                if command.speed <= 0:
                    return _json({"error": "speed must be > 0"}, 400)
                emulator.clock.set_speed(command.speed)
        return _json(clock_state())

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            try:
                emulator.faults.configure(FaultSettings.model_validate_json(await request.body()))
            except ValidationError as error:
                return _json({"error": str(error)}, 400)
        return _json(
            {
                "settings": emulator.faults.settings.model_dump(mode="json"),
                "remaining_script": emulator.faults.remaining_script(),
            }
        )

    async def truth(request: Request) -> Response:
        state = emulator.clock.state()  # one reading for every count
        now = state.epoch_seconds
        last = catalog.last_released(now)
        first_new = catalog.first_since(now - TAG_NEW_SECONDS)
        all_tracks = catalog.tracks_before(last + 1)
        return _json(
            {
                **clock_state(state),
                "first_index": catalog.first_index,
                "last_index": last,
                "albums": max(0, last - catalog.first_index + 1),
                "tracks": all_tracks,
                "new": {
                    "since": _iso(now - TAG_NEW_SECONDS),
                    "albums": max(0, last - first_new + 1),
                    "tracks": all_tracks - catalog.tracks_before(first_new),
                },
                "artists_pool": catalog.artist_count,
                "markets": list(catalog.markets),
                "album_interval_s": catalog.interval,
            }
        )

    async def truth_albums(request: Request) -> Response:
        params = request.query_params
        try:
            now = emulator.clock.release_time()
            until = float(params.get("until", now))
            since = float(params["since"]) if "since" in params else None
            offset = int(params.get("offset", 0))
            limit = int(params.get("limit", 1000))
        except ValueError as error:
            return _json({"error": str(error)}, 400)
        if offset < 0 or not 1 <= limit <= _MAX_TRUTH_PAGE:
            return _json({"error": f"offset >= 0 and 1 <= limit <= {_MAX_TRUTH_PAGE}"}, 400)
        low = catalog.first_index if since is None else catalog.first_since(since)
        high = catalog.last_released(min(until, now))
        total = max(0, high - low + 1)
        items = []
        for index in range(low + offset, min(high + 1, low + offset + limit)):
            album = catalog.album(index)
            items.append(
                {
                    "id": album.id,
                    "index": index,
                    "name": album.name,
                    "album_type": album.album_type,
                    "released_at": album.released_at,
                    "release_date": album.release_date,
                    "total_tracks": album.total_tracks,
                    "track_ids": list(album.track_ids),
                    "artist_ids": list(album.artist_ids),
                    "markets": list(album.markets),
                }
            )
        return _json({"total": total, "offset": offset, "limit": limit, "items": items})

    async def truth_new_releases(request: Request) -> Response:
        country = request.query_params.get("country", catalog.markets[0]).upper()
        if country not in catalog.markets:
            return _json({"error": f"unknown market {country}"}, 400)
        selection = emulator.new_releases_lists.selection(country, emulator.clock.release_time())
        return _json({"country": country, "album_ids": [catalog.album_id(i) for i in selection]})

    async def requests(request: Request) -> Response:
        endpoints: dict[str, dict[str, int]] = {}
        for (endpoint, outcome), count in sorted(emulator.requests.items()):
            endpoints.setdefault(endpoint, {})[outcome] = count
        return _json(
            {
                "total": sum(emulator.requests.values()),
                "endpoints": endpoints,
                "clients": dict(emulator.requests_by_client),
            }
        )

    async def reset(request: Request) -> Response:
        emulator.reset()
        return _json({"status": "ok", "warming_up": emulator.warming_up})

    return [
        Route("/health", health),
        Route("/settings", settings),
        Route("/clock", clock, methods=["GET", "POST"]),
        Route("/faults", faults, methods=["GET", "PUT"]),
        Route("/truth", truth),
        Route("/truth/albums", truth_albums),
        Route("/truth/new-releases", truth_new_releases),
        Route("/requests", requests),
        Route("/reset", reset, methods=["POST"]),
        *enrich_admin_routes(emulator.reccobeats, emulator.deezer, emulator.musicbrainz),
    ]
