"""The engine is general: a second API, described only in YAML, runs through the same code."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.producer import producer_settings
from tests.support.truth import assert_each_once
from tunestream.config import KafkaSettings, TopicSettings
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream.runtime.service import Producer
from tunestream.spec.loader import load_spec

pytestmark = pytest.mark.integration

SPEC = Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "releases.yaml"
KEY = "k-123"
RELEASES = [{"id": 1000 + n, "title": f"Release {n}", "record_type": "album"} for n in range(137)]


def releases_api() -> Starlette:
    """A Deezer-like API: ``{"data": [...], "total", "next"}`` pages, details by id."""

    def authorised(request: Request) -> bool:
        return request.headers.get("X-Api-Key") == KEY

    async def releases(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"error": {"type": "OAuthException", "code": 300}}, 401)
        index = int(request.query_params.get("index", 0))
        limit = int(request.query_params.get("limit", 25))
        page = RELEASES[index : index + limit]
        body: dict[str, object] = {"data": page, "total": len(RELEASES)}
        if index + limit < len(RELEASES):
            body["next"] = str(request.url.include_query_params(index=index + limit))
        return JSONResponse(body)

    async def album(request: Request) -> JSONResponse:
        if not authorised(request):
            return JSONResponse({"error": {"type": "OAuthException", "code": 300}}, 401)
        album_id = int(request.path_params["id"])
        if album_id % 10 == 7:  # some releases have no details
            return JSONResponse({"error": {"type": "DataException", "code": 800}}, 404)
        return JSONResponse({"id": album_id, "label": f"Label {album_id % 5}", "nb_tracks": 9})

    return Starlette(
        routes=[
            Route("/editorial/0/releases", releases),
            Route("/album/{id:int}", album),
        ]
    )


@pytest.fixture
def api_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(releases_api(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(5)
    sock.close()


def test_a_yaml_only_spec_with_next_url_paging_runs_through_the_engine(
    kafka_settings: KafkaSettings, api_url: str
) -> None:
    spec = load_spec(str(SPEC), environ={"RELEASES_API_URL": api_url, "RELEASES_API_KEY": KEY})
    base = producer_settings(kafka_settings.bootstrap, name="releases")
    suffix = base.kafka.topics["albums"].name.rsplit(".", 1)[1]
    extra = {
        "releases": TopicSettings(name=f"releases.{suffix}"),
        "release_details": TopicSettings(name=f"release_details.{suffix}"),
    }
    TopicAdmin(admin_client(base.kafka)).create(list(extra.values()))
    kafka = base.kafka.model_copy(update={"topics": {**base.kafka.topics, **extra}})
    settings = base.model_copy(update={"kafka": kafka})

    report = asyncio.run(Producer(settings, spec=spec).run(once=True))
    assert report is not None and report.completed, report.interrupted

    all_ids = {str(r["id"]) for r in RELEASES}
    details = {str(r["id"]) for r in RELEASES if r["id"] % 10 != 7}
    written = assert_each_once(kafka, {"releases": all_ids, "release_details": details})
    assert written["releases"][0].headers["tunestream.source"] == "releases"
    assert report.stats["release_details"].missing == sum(1 for r in RELEASES if r["id"] % 10 == 7)

    again = asyncio.run(Producer(settings, spec=spec).run(once=True))
    assert again is not None and again.completed
    assert again.stats["releases"].emitted == 0  # remembered: nothing is written twice
    assert_each_once(kafka, {"releases": all_ids})
