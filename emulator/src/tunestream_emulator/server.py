"""Running the emulator: in the foreground (the CLI) or in a background thread (tests).

with start_in_thread(EmulatorSettings(tracks_per_day=2_000)) as emu:
    token = httpx.post(emu.token_url, data={"grant_type": "client_credentials",
                       "client_id": ..., "client_secret": ...}).json()["access_token"]
    httpx.get(f"{emu.api_url}/search", params={"q": "tag:new", "type": "album"}, ...)
    emu.advance(3600)          # move both clocks forward
    emu.truth()                # GET /_admin/truth
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from tunestream_emulator.app import AbortingProtocol, create_app
from tunestream_emulator.errors import EmulatorError
from tunestream_emulator.service import Emulator
from tunestream_emulator.settings import ClientSettings, EmulatorSettings, Profile

__all__ = [
    "EmulatorHandle",
    "listen",
    "run_in_thread",
    "serve",
    "start_in_thread",
    "uvicorn_server",
]


def uvicorn_server(app: ASGIApp) -> uvicorn.Server:
    """One uvicorn worker (uvloop, httptools through :class:`AbortingProtocol`) serving ``app``."""
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=AbortingProtocol,
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        backlog=2048,
    )
    return uvicorn.Server(config)


def listen(host: str, port: int) -> socket.socket:
    """``host:port`` bound and listening; a port that cannot be bound is one line naming --port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EmulatorError(
            f"cannot listen on {host}:{port} ({exc.strerror}); choose another with --port"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _prepare(settings: EmulatorSettings, port: int) -> tuple[socket.socket, Emulator]:
    sock = listen(settings.host, port)
    bound = sock.getsockname()[1]
    emulator = Emulator(settings, f"http://{settings.host}:{bound}")
    emulator.warm_up()
    return sock, emulator


def serve(settings: EmulatorSettings, announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (the ``tunestream-emulator`` command); ``announce`` is told the
    base URL once the port is bound."""
    sock, emulator = _prepare(settings, settings.port)
    if announce is not None:
        announce(emulator.base_url)
    with sock:
        uvicorn_server(create_app(emulator)).run(sockets=[sock])


@dataclass
class EmulatorHandle:
    """A running emulator: its URLs, its state and admin helpers."""

    base_url: str
    emulator: Emulator
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    @property
    def settings(self) -> EmulatorSettings:
        return self.emulator.settings

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/api/token"

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/_admin"

    @property
    def reccobeats_url(self) -> str:
        """Stands for https://api.reccobeats.com/v1."""
        return f"{self.base_url}/reccobeats/v1"

    @property
    def deezer_url(self) -> str:
        """Stands for https://api.deezer.com."""
        return f"{self.base_url}/deezer"

    @property
    def musicbrainz_url(self) -> str:
        """Stands for https://musicbrainz.org/ws/2."""
        return f"{self.base_url}/musicbrainz/ws/2"

    def client(self, profile: Profile = "extended") -> ClientSettings:
        """The first configured client of a profile."""
        for client in self.settings.clients:
            if client.profile == profile:
                return client
        raise LookupError(f"no {profile} client configured")

    def admin(self, method: str, path: str, json: Any = None, **params: Any) -> Any:
        response = httpx.request(
            method, f"{self.admin_url}/{path.lstrip('/')}", json=json, params=params, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def truth(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "truth")
        return result

    def truth_albums(self, **params: Any) -> list[dict[str, Any]]:
        """Every released album (all pages of ``/_admin/truth/albums``)."""
        items: list[dict[str, Any]] = []
        while True:
            page = self.admin("GET", "truth/albums", offset=len(items), limit=10_000, **params)
            items.extend(page["items"])
            if not page["items"] or len(items) >= page["total"]:
                return items

    def requests(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "requests")
        return result

    def clock(self, **command: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("POST", "clock", json=command)
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.clock(advance=seconds)

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("PUT", "faults", json=faults)
        return result

    def reset(self) -> None:
        self.admin("POST", "reset")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(server: uvicorn.Server, sock: socket.socket, name: str) -> threading.Thread:
    """Run ``server`` on ``sock`` in a daemon thread; return once it serves (else close the
    socket and raise)."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise EmulatorError(f"{name} did not start")
        time.sleep(0.01)
    return thread


def start_in_thread(settings: EmulatorSettings | None = None, port: int = 0) -> EmulatorHandle:
    """Start a server on ``127.0.0.1:port`` (0: a free port) in a daemon thread."""
    settings = settings or EmulatorSettings()
    sock, emulator = _prepare(settings, port)
    server = uvicorn_server(create_app(emulator))
    thread = run_in_thread(server, sock, "tunestream-emulator")
    return EmulatorHandle(emulator.base_url, emulator, server, thread, sock)
