"""The HTTP face: Starlette routes for the REST endpoints, ``/login/oauth/access_token`` and
``/_admin/...``.

Every REST request goes through the same steps, in this order: check ``X-GitHub-Api-Version``
(400), identify the caller (401 ``Bad credentials``, counted against the address), take a place
among the caller's requests in flight and in its rolling minute (secondary limits), check the
hourly budget (primary limit), bring the ground truth up to the clock, answer; then a matching
``If-None-Match`` (or, where ``last-modified`` is sent, ``If-Modified-Since``) turns a 200 into
a 304 with an empty body, which uses no budget when the request carried a token
(https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate:
"Making a conditional request does not count against your primary rate limit if a 304 response
is returned and the request was made while correctly authorized with an Authorization header").
Every answer carries the caller's ``x-ratelimit-*`` headers; every 200 an ``etag``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from tunestream_emulator.errors import GithubError, OAuthError, RateLimited
from tunestream_emulator.github.access import Caller
from tunestream_emulator.github.admin import admin_routes
from tunestream_emulator.github.paging import PageRequest, link_header
from tunestream_emulator.github.service import Call, GithubService, Handler, Listing, Resource

__all__ = ["API_VERSIONS", "create_app"]

#: The REST API versions GitHub serves
#: (https://docs.github.com/en/rest/about-the-rest-api/api-versions); the first is the default.
API_VERSIONS = ("2022-11-28", "2026-03-10")
JSON = "application/json; charset=utf-8"

_ROUTES: tuple[tuple[str, Handler, str], ...] = (
    (
        "/issues",
        GithubService.issues,
        "https://docs.github.com/rest/issues/issues#list-repository-issues",
    ),
    (
        "/issues/{issue_number}/comments",
        GithubService.comments,
        "https://docs.github.com/rest/issues/comments#list-issue-comments",
    ),
    (
        "/pulls/{pull_number}",
        GithubService.pull,
        "https://docs.github.com/rest/pulls/pulls#get-a-pull-request",
    ),
    (
        "/releases",
        GithubService.releases,
        "https://docs.github.com/rest/releases/releases#list-releases",
    ),
    (
        "/events",
        GithubService.events,
        "https://docs.github.com/rest/activity/events#list-repository-events",
    ),
)


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type=JSON)


def _etag(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()}"'


def _not_modified(request: Request, etag: str, last_modified: int | None) -> bool:
    """Whether the request's validators still match (``If-None-Match`` wins, RFC 9110)."""
    tags = request.headers.get("if-none-match")
    if tags is not None:
        bare = etag.removeprefix("W/")
        return any(t.strip() in ("*", etag, bare) for t in tags.split(","))
    since = request.headers.get("if-modified-since")
    if since is None or last_modified is None:
        return False
    try:
        return last_modified <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


class _Exchange:
    """One REST request on its way through the common steps."""

    def __init__(self, service: GithubService, request: Request, key: str) -> None:
        self.service = service
        self.request = request
        self.key = key
        address = request.client.host if request.client else "127.0.0.1"
        self.caller = Caller.anonymous(address)
        self.headers: dict[str, str] = {}

    async def answer(self, handler: Handler, doc: str) -> Response:
        service, access = self.service, self.service.access
        entered = False
        try:
            version = self.request.headers.get("x-github-api-version", API_VERSIONS[0])
            self.caller = access.identify(
                self.request.headers.get("authorization"),
                self.caller.address,
                service.clock.release_time(),
            )
            if version not in API_VERSIONS:
                raise GithubError(400, f"API version '{version}' is not supported.", doc)
            self.headers["x-github-api-version-selected"] = version
            access.enter(self.caller)
            entered = True
            if service.settings.latency_ms:
                await asyncio.sleep(service.settings.latency_ms / 1000)
            access.admit_minute(self.caller, service.clock.release_time())
            access.check_primary(self.caller, service.clock.release_time())
            now = service.catch_up()
            query = dict(self.request.query_params)
            outcome = handler(service, Call(self.request.path_params, query, now, doc))
            response = self._ok(outcome)
        except GithubError as error:
            if isinstance(error, RateLimited):
                service.rate_limited[error.limit] += 1
            if error.retry_after is not None:
                self.headers["retry-after"] = str(error.retry_after)
            if error.counted:
                access.count(self.caller, service.clock.release_time())
            response = _json(error.body(), error.status)
        finally:
            if entered:
                access.leave(self.caller)
        bucket = access.bucket(self.caller, service.clock.release_time())
        response.headers.update({**bucket.headers(), **self.headers})
        service.requests[(self.key, str(response.status_code))] += 1
        return response

    def _ok(self, outcome: Listing | Resource) -> Response:
        last_modified = None
        if isinstance(outcome, Listing):
            page = PageRequest.of(
                self.request.query_params.get("page"), self.request.query_params.get("per_page")
            )
            items, total = outcome.page(page)
            url = f"{self.service.public_url}/repositories/{outcome.repo.id}{outcome.path}"
            link = link_header(url, self.request.query_params.multi_items(), page, total)
            if link is not None:
                self.headers["link"] = link
            self.headers.update(outcome.headers)
            body = orjson.dumps(items)
        else:
            body, last_modified = orjson.dumps(outcome.body), outcome.last_modified
        etag = _etag(body)
        self.headers["etag"] = etag
        if last_modified is not None:
            self.headers["last-modified"] = formatdate(last_modified, usegmt=True)
        access, now = self.service.access, self.service.clock.release_time()
        if _not_modified(self.request, etag, last_modified):
            if not self.caller.authenticated:
                access.count(self.caller, now)
            return Response(status_code=304)
        access.count(self.caller, now)
        return Response(body, 200, media_type=JSON)


def _endpoint(
    service: GithubService, key: str, handler: Handler, doc: str
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await _Exchange(service, request, key).answer(handler, doc)

    return endpoint


def _access_token(service: GithubService) -> Callable[[Request], Awaitable[Response]]:
    """``POST /login/oauth/access_token``: parameters in the query or the form; JSON when the
    client accepts it, else form-encoded, as GitHub answers."""

    async def token(request: Request) -> Response:
        params = dict(request.query_params)
        params.update(parse_qsl((await request.body()).decode("latin-1")))
        try:
            body = service.access.refresh(params, service.clock.release_time())
            outcome = "refreshed"
        except OAuthError as error:
            body, outcome = dict(error.body), error.body["error"]
        service.token_requests[outcome] += 1
        if "application/json" in request.headers.get("accept", ""):
            return _json(body)
        form = urlencode({k: str(v) for k, v in body.items()})
        return Response(form, 200, media_type="application/x-www-form-urlencoded; charset=utf-8")

    return token


def create_app(service: GithubService) -> Starlette:
    """The ASGI app serving one :class:`GithubService`."""
    api: list[BaseRoute] = []
    for prefix in ("/repos/{owner}/{repo}", "/repositories/{repository_id}"):
        for path, handler, doc in _ROUTES:
            key = f"GET /repos/{{owner}}/{{repo}}{path}"
            api.append(Route(prefix + path, _endpoint(service, key, handler, doc), methods=["GET"]))
    routes: list[BaseRoute] = [
        *api,
        Route("/login/oauth/access_token", _access_token(service), methods=["POST"]),
        Mount("/_admin", routes=admin_routes(service)),
    ]
    return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})


async def _not_found(request: Request, exc: Exception) -> Response:
    return _json(GithubError(404, "Not Found").body(), 404)
