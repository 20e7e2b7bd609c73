"""``tunestream spec try`` against a small Deezer-like API and the emulator's ReccoBeats: records
on stdout, no Kafka, no configuration file; a topic root reads the records ``--input`` gives."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from typer.testing import CliRunner

from tunestream.cli import app
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration

SPEC = str(Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "deezer_releases.yaml")
RELEASES = [{"id": 500 + n, "title": f"Release {n}", "record_type": "album"} for n in range(70)]


def deezer_api(seen: list[str]) -> Starlette:
    """``/editorial/0/releases`` paged by ``index``/``limit``, ``/album/{id}``; logs requests."""

    async def releases(request: Request) -> JSONResponse:
        seen.append(f"{request.url.path}?{request.url.query}")
        index = int(request.query_params.get("index", 0))
        limit = int(request.query_params.get("limit", 25))
        return JSONResponse({"data": RELEASES[index : index + limit], "total": len(RELEASES)})

    async def album(request: Request) -> JSONResponse:
        seen.append(request.url.path)
        album_id = int(request.path_params["id"])
        return JSONResponse({"id": album_id, "label": f"Label {album_id % 3}", "nb_tracks": 9})

    return Starlette(
        routes=[Route("/editorial/0/releases", releases), Route("/album/{id:int}", album)]
    )


@pytest.fixture
def api() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(deezer_api(seen), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    server.should_exit = True
    thread.join(5)
    sock.close()


def test_try_prints_the_first_records_of_each_resource_as_json_lines(
    api: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, seen = api
    env = {"DEEZER_API_URL": url, "TUNESTREAM_CONFIG": str(tmp_path / "none.yaml")}
    done = CliRunner().invoke(app, ["spec", "try", SPEC, "--limit", "3"], env=env)
    assert done.exit_code == 0, done.output
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [(line["topic"], line["key"]) for line in lines] == [
        ("deezer_releases", "500"),
        ("deezer_releases", "501"),
        ("deezer_releases", "502"),
        ("deezer_albums", "500"),  # a lookup one by one: the probe's one request
    ]
    assert lines[0]["value"] == {"id": 500, "title": "Release 0", "record_type": "album"}
    assert lines[3]["value"] == {"id": 500, "label": "Label 2", "nb_tracks": 9}
    assert lines[0]["headers"]["tunestream.source"] == "deezer_releases"
    assert seen == ["/editorial/0/releases?index=0&limit=50", "/album/500"]
    assert done.stderr.splitlines()[-2:] == [
        "releases: 3 of the 50 record(s) the probe wrote",
        "albums: 1 of the 1 record(s) the probe wrote",
    ]


def test_try_one_resource_requests_only_what_it_needs(api: tuple[str, list[str]]) -> None:
    url, seen = api
    done = CliRunner().invoke(
        app, ["spec", "try", SPEC, "--resource", "releases"], env={"DEEZER_API_URL": url}
    )
    assert done.exit_code == 0, done.output
    assert [orjson.loads(line)["key"] for line in done.stdout.splitlines()] == [
        "500",
        "501",
        "502",
        "503",
        "504",
    ]
    assert seen == ["/editorial/0/releases?index=0&limit=50"]


def test_try_feeds_a_topic_root_the_records_given_with_input(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """ReccoBeats' spec reads Spotify's tracks from Kafka; ``--input`` gives it tracks instead,
    and its first batch asks the emulator's ReccoBeats for them."""
    service = emulator.emulator
    now = service.clock.release_time()
    last = service.catalog.last_released(now)
    ids = [t for i in range(last - 30, last + 1) for t in service.catalog.album(i).track_ids]
    ids = [t for t in ids if service.reccobeats.tracks.by_id(t) is not None][:40]
    tracks = tmp_path / "tracks.jsonl"
    tracks.write_text("".join(f'{{"id": "{t}", "name": "x"}}\n\n' for t in ids))
    env = {"RECCOBEATS_API_URL": emulator.reccobeats_url}
    args = ["spec", "try", "reccobeats", "--input", str(tracks), "--limit", "40"]
    done = CliRunner().invoke(app, args, env=env)
    assert done.exit_code == 0, done.output
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    known = {t: f for t in ids if (f := service.reccobeats.features(t)) is not None}
    assert 0 < len(known) < len(ids), "the stand-in knows most tracks, not all"
    assert {line["key"]: line["value"] for line in lines} == known
    assert {line["headers"]["tunestream.input"] for line in lines} == {"tracks"}
    assert "read nothing" not in done.stderr


def test_try_says_a_topic_root_given_nothing_read_nothing(emulator: EmulatorHandle) -> None:
    env = {"RECCOBEATS_API_URL": emulator.reccobeats_url}
    done = CliRunner().invoke(app, ["spec", "try", "reccobeats"], env=env)
    assert done.exit_code == 0, done.output
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "spotify_tracks: read nothing; give it the records of its topic with --input FILE"
    )
