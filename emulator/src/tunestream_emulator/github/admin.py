"""``/_admin``: ground truth, clock, deterministic mutations, limits, tokens and counts (no
auth, no rate limits). Shapes are documented in docs/EMULATOR.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from tunestream_emulator.github.model import Issue, Repository, iso
from tunestream_emulator.github.settings import LimitSettings

if TYPE_CHECKING:
    from tunestream_emulator.github.service import GithubService

__all__ = ["admin_routes"]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Advance(_Command):
    seconds: float = Field(ge=0)


class Pause(_Command):
    paused: bool


class Edit(_Command):
    title: str | None = Field(default=None, min_length=1)
    body: str | None = None


class NewComment(_Command):
    body: str = Field(default="A comment from the admin API.", min_length=1)
    login: str | None = Field(default=None, min_length=1)


class Authorize(_Command):
    login: str | None = Field(default=None, min_length=1)


_C = TypeVar("_C", bound=_Command)
Endpoint = Callable[[Request], Awaitable[Response]]


class _BadRequest(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.response = _json({"error": message}, 400)


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


async def _command(request: Request, model: type[_C]) -> _C:
    raw = await request.body()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        raise _BadRequest(str(error)) from None


def admin_routes(service: GithubService) -> list[BaseRoute]:
    world, render, access = service.world, service.render, service.access

    def clock_state() -> dict[str, Any]:
        now = service.catch_up()
        state = service.clock.state()
        return {"now": iso(now), "now_epoch": now, "speed": state.speed, "paused": state.paused}

    def target(request: Request) -> tuple[Repository, Issue]:
        params = request.path_params
        repo = world.repository(params["owner"], params["repo"])
        number = params["number"]
        issue = repo.issues.get(int(number)) if repo and number.isdigit() else None
        if repo is None or issue is None:
            raise _BadRequest(f"no issue {params['owner']}/{params['repo']}#{number}")
        return repo, issue

    async def health(request: Request) -> Response:
        return _json({"status": "ok"})

    async def settings(request: Request) -> Response:
        return _json(service.settings.model_dump(mode="json"))

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            service.clock.set_paused((await _command(request, Pause)).paused)
        return _json(clock_state())

    async def advance(request: Request) -> Response:
        service.clock.advance((await _command(request, Advance)).seconds)
        return _json(clock_state())

    async def truth(request: Request) -> Response:
        now = service.catch_up()
        repositories = {}
        for repo in world.repos.values():
            issues = sorted(repo.issues.values(), key=lambda i: i.number)
            events = sorted(repo.events, key=lambda e: (e.created_at, e.id), reverse=True)
            releases = sorted(repo.releases, key=lambda r: (r.created_at, r.id), reverse=True)
            repositories[repo.full_name] = {
                "id": repo.id,
                "issues": [render.issue(repo, issue) for issue in issues],
                "comments": {
                    str(issue.number): [render.comment(repo, issue, c) for c in issue.comments]
                    for issue in issues
                },
                "releases": [render.release(repo, release) for release in releases],
                "events": [render.event(repo, event) for event in events],
            }
        return _json({"now": iso(now), "now_epoch": now, "repositories": repositories})

    async def edit(request: Request) -> Response:
        command = await _command(request, Edit)
        if command.title is None and command.body is None:
            raise _BadRequest("give a title, a body or both")
        repo, issue = target(request)
        world.edit(repo, issue, service.catch_up(), command.title, command.body)
        return _json(render.issue(repo, issue))

    async def comment(request: Request) -> Response:
        command = await _command(request, NewComment)
        repo, issue = target(request)
        made = world.comment(repo, issue, service.catch_up(), command.body, command.login)
        return _json(render.comment(repo, issue, made))

    async def stats(request: Request) -> Response:
        by_status: dict[str, int] = {}
        endpoints: dict[str, dict[str, int]] = {}
        for (endpoint, status), count in sorted(service.requests.items()):
            by_status[status] = by_status.get(status, 0) + count
            endpoints.setdefault(endpoint, {})[status] = count
        return _json(
            {
                "requests": by_status,
                "endpoints": endpoints,
                "not_modified": by_status.get("304", 0),
                "rate_limited": {
                    "primary": service.rate_limited["primary"],
                    "secondary": service.rate_limited["secondary"],
                },
                "token_refreshes": access.refreshes,
                "token_requests": dict(service.token_requests),
                "refresh_tokens": access.valid_refresh_tokens(service.clock.release_time()),
            }
        )

    async def limits(request: Request) -> Response:
        if request.method == "PUT":
            try:
                access.limits = LimitSettings.model_validate_json(await request.body())
            except ValidationError as error:
                raise _BadRequest(str(error)) from None
        return _json(access.limits.model_dump(mode="json"))

    async def authorize(request: Request) -> Response:
        command = await _command(request, Authorize)
        return _json(access.authorize(command.login, service.clock.release_time()))

    def guarded(handler: Endpoint) -> Endpoint:
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except _BadRequest as error:
                return error.response

        return run

    issue_path = "/issues/{owner}/{repo}/{number}"
    return [
        Route("/health", guarded(health)),
        Route("/settings", guarded(settings)),
        Route("/clock", guarded(clock), methods=["GET", "POST"]),
        Route("/advance", guarded(advance), methods=["POST"]),
        Route("/truth", guarded(truth)),
        Route(f"{issue_path}/edit", guarded(edit), methods=["POST"]),
        Route(f"{issue_path}/comment", guarded(comment), methods=["POST"]),
        Route("/stats", guarded(stats)),
        Route("/limits", guarded(limits), methods=["GET", "PUT"]),
        Route("/oauth/authorize", guarded(authorize), methods=["POST"]),
    ]
