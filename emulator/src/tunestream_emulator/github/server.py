"""Running the GitHub stand-in: in the foreground (the CLI) or in a background thread (tests).

with start_github_in_thread(GithubSettings(history_days=7)) as gh:
    httpx.get(f"{gh.api_url}/repos/octo-org/alpha/issues", params={"state": "all"},
              headers={"Authorization": f"Bearer {gh.settings.tokens[0].token}"})
    gh.advance(3600)                 # an hour of generated activity
    gh.truth()                       # GET /_admin/truth
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from tunestream_emulator.github.app import create_app
from tunestream_emulator.github.service import GithubService
from tunestream_emulator.github.settings import GithubSettings
from tunestream_emulator.server import listen, run_in_thread, uvicorn_server

__all__ = ["LOOPBACK", "GithubHandle", "serve_github", "start_github_in_thread"]

#: The only address the stand-in listens on.
LOOPBACK = "127.0.0.1"


def _prepare(settings: GithubSettings, port: int) -> tuple[socket.socket, GithubService]:
    sock = listen(LOOPBACK, port)
    bound = sock.getsockname()[1]
    return sock, GithubService(settings, f"http://{LOOPBACK}:{bound}")


def serve_github(settings: GithubSettings, announce: Callable[[str], None] | None = None) -> None:
    """Serve until interrupted (``tunestream-emulator github``); ``announce`` is told the base
    URL once the port is bound."""
    sock, service = _prepare(settings, settings.port)
    if announce is not None:
        announce(service.base_url)
    with sock:
        uvicorn_server(create_app(service)).run(sockets=[sock])


@dataclass
class GithubHandle:
    """A running stand-in: its URLs, its state and its admin calls."""

    service: GithubService
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    @property
    def settings(self) -> GithubSettings:
        return self.service.settings

    @property
    def api_url(self) -> str:
        """The REST API's base, where api.github.com would be."""
        return self.service.base_url

    @property
    def oauth_url(self) -> str:
        """The base of ``/login/oauth/access_token``, where github.com would be."""
        return self.service.base_url

    @property
    def admin_url(self) -> str:
        return f"{self.service.base_url}/_admin"

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        response = httpx.request(method, f"{self.admin_url}/{path.lstrip('/')}", json=json)
        response.raise_for_status()
        return response.json()

    def truth(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "truth")
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("POST", "advance", json={"seconds": seconds})
        return result

    def pause(self, paused: bool = True) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("POST", "clock", json={"paused": paused})
        return result

    def edit_issue(
        self, repository: str, number: int, title: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        command = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        result: dict[str, Any] = self.admin(
            "POST", f"issues/{repository}/{number}/edit", json=command
        )
        return result

    def comment(
        self, repository: str, number: int, body: str | None = None, login: str | None = None
    ) -> dict[str, Any]:
        command = {k: v for k, v in (("body", body), ("login", login)) if v is not None}
        result: dict[str, Any] = self.admin(
            "POST", f"issues/{repository}/{number}/comment", json=command
        )
        return result

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "stats")
        return result

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        """Replace the rate limits and token lifetimes (fields not given: GitHub's defaults)."""
        result: dict[str, Any] = self.admin("PUT", "limits", json=limits)
        return result

    def authorize(self, login: str | None = None) -> dict[str, Any]:
        """A token pair of the first app, as a user's authorization yields: ``access_token``,
        ``refresh_token`` and their lifetimes."""
        result: dict[str, Any] = self.admin(
            "POST", "oauth/authorize", json={} if login is None else {"login": login}
        )
        return result

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> GithubHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_github_in_thread(settings: GithubSettings | None = None, port: int = 0) -> GithubHandle:
    """Start a stand-in on ``127.0.0.1:port`` (0: a free port) in a daemon thread."""
    sock, service = _prepare(settings or GithubSettings(), port)
    server = uvicorn_server(create_app(service))
    thread = run_in_thread(server, sock, "tunestream-github")
    return GithubHandle(service, server, thread, sock)
