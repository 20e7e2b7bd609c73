"""The REST client: GET JSON with auth, a shared rate budget, retries and pagination.

Each attempt of a request goes through, in order::

    limiter.slot                wait out any pause, the pacing and the concurrency cap
    auth.apply                  credentials on the request (may fetch a token, single flight)
    send                        one HTTP exchange, timed, reported to the observer
    limiter.on_response         rate-limit header fields saying the budget is used up pause
                                every request until it refills
    401 → auth.on_unauthorized  at most once per request: renew the credentials, send again
    interpret                   what the response means (:mod:`tunestream.http.interpret`):
                                a declared response action first (``response_actions``), then
                                304 → an empty success; 2xx → value; 429, or a 403 carrying
                                Retry-After or a used-up budget → rate limited; transient →
                                Transient; else a FetchError

and :meth:`RetryPolicy.run <tunestream.http.retry.RetryPolicy.run>` repeats attempts that ended
in :class:`~tunestream.http.retry.Transient`. It knows no Kafka and no particular API.

A walk through pages (:meth:`RestClient.paginate`) may send extra headers with its first request
— ``If-None-Match``, ``If-Modified-Since`` — and a ``304 Not Modified`` then ends it with one
empty :class:`Page` marked ``not_modified``; every page carries its response headers (an
``ETag`` or ``Last-Modified`` to send next time). A response declared ``ignore`` ends a walk the
same way, unmarked.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from tunestream.errors import FetchError, MalformedBody
from tunestream.http.actions import ResponseAction
from tunestream.http.auth import Auth, CredentialStore, NoAuth, build_auth
from tunestream.http.clock import Clock, LoopClock
from tunestream.http.exchange import Attempt, Exchange, Observer
from tunestream.http.interpret import Interpreter
from tunestream.http.jsonpath import select_records
from tunestream.http.models import PaginatorConfigBase, RestClientConfig
from tunestream.http.paginators import PageRequest, Paginator, ParamValue, build_paginator
from tunestream.http.ratelimit import RateLimiter
from tunestream.http.retry import RetryPolicy, Transient

__all__ = ["Page", "RestClient"]

log = logging.getLogger("tunestream.http")

_DISPLAY_URL = "tunestream.display_url"  # request extension: the URL before auth touched it


@dataclass(frozen=True)
class Page:
    """One page of a paginated endpoint: its records, the request it came from, the body."""

    records: list[Any]
    request: PageRequest
    body: Any
    number: int
    """0 for the first page."""
    next_request: PageRequest | None
    """The request of the page after this one; None on the last page. A walker that saves it
    with what it made of this page can continue there after a restart (``resume_from``)."""
    headers: httpx.Headers
    """The page's response headers (e.g. the ``ETag`` or ``Last-Modified`` of a first page)."""
    not_modified: bool = False
    """The first request was conditional and the answer a 304: no records, no body, no more
    pages."""


class RestClient:
    """A JSON-over-HTTP client for one API app; use as ``async with RestClient(...) as api``.

    ``limiter`` is the app's one shared budget: give every client of the same app the same
    limiter. ``observer`` is called once per HTTP attempt (token requests included). ``transport``
    replaces the network (``httpx.MockTransport`` in tests). ``response_actions`` say what a
    response means where its status alone does not (an API's quota answer, say).
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: Auth | None = None,
        limiter: RateLimiter | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: float = 10.0,
        observer: Observer | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        response_actions: Sequence[ResponseAction] = (),
    ) -> None:
        self._clock: Clock = clock or LoopClock()
        self._name = urlsplit(base_url).hostname or base_url
        self._auth = auth or NoAuth()
        self._limiter = limiter or RateLimiter(clock=self._clock, name=self._name)
        self._retry = retry_policy or RetryPolicy(clock=self._clock)
        self._interpreter = Interpreter(
            limiter=self._limiter, retry=self._retry, auth=self._auth, actions=response_actions
        )
        self._timeout = timeout
        self._observer = observer
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=dict(headers or {}),
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
        )

    @classmethod
    def from_config(
        cls,
        config: RestClientConfig,
        *,
        limiter: RateLimiter | None = None,
        observer: Observer | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        credentials: CredentialStore | None = None,
    ) -> RestClient:
        """A client built from its config; pass ``limiter`` to share one app's budget, and
        ``credentials`` to keep what the auth learns (a rotated refresh token) across restarts."""
        name = urlsplit(config.base_url).hostname or config.base_url
        return cls(
            config.base_url,
            auth=build_auth(config.auth, clock=clock, store=credentials),
            limiter=limiter or RateLimiter(config.rate_limit, clock=clock, name=name),
            retry_policy=RetryPolicy(config.retry, clock=clock),
            timeout=config.timeout_s,
            observer=observer,
            headers=config.headers,
            transport=transport,
            clock=clock,
            response_actions=config.response_actions,
        )

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> RestClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------------------ public API

    async def get_json(
        self,
        path_or_url: str,
        params: Mapping[str, ParamValue] | None = None,
        *,
        endpoint: str | None = None,
    ) -> Any:
        """GET a JSON body. ``endpoint`` names the call for the observer (a template such as
        ``"albums/{id}"`` keeps metric labels few); it defaults to the path as given. An answer
        declared ``ignore`` gives None."""
        exchange = await self._get(path_or_url, params or {}, endpoint or _endpoint(path_or_url))
        return exchange.body

    async def paginate(
        self,
        path: str,
        params: Mapping[str, ParamValue] | None = None,
        *,
        paginator: PaginatorConfigBase | Paginator | None = None,
        records_path: str | None = None,
        endpoint: str | None = None,
        max_pages: int | None = None,
        resume_from: PageRequest | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[Page, None]:
        """Yield the pages of an endpoint.

        ``paginator`` is a config (a fresh paginator is built) or a paginator instance (used
        once); None means a single page. ``records_path`` is the dotted path of the records list
        (``albums.items``); None takes a list body as the records and any other body as one.
        A body without a list at ``records_path`` raises MalformedBody. ``resume_from`` (a
        ``Page.request`` saved at a checkpoint) continues a walk there instead of at ``path``.

        ``headers`` go with the first request only (``If-None-Match: <etag>``, say). A 304 Not
        Modified is no error: the walk yields one page with no records, ``body`` None,
        ``not_modified`` set and no next request, and ends. So does an answer declared
        ``ignore`` (not marked ``not_modified``).
        """
        pager = paginator if isinstance(paginator, Paginator) else build_paginator(paginator)
        name = endpoint or _endpoint(path)
        if resume_from is not None:
            pager.resume(resume_from)
            request = resume_from
        else:
            request = pager.init_request(PageRequest(path, dict(params or {})))
        number = 0
        first: Mapping[str, str] | None = headers
        while True:
            exchange = await self._get(request.url, request.params, name, headers=first)
            first = None
            if exchange.empty:
                yield Page(
                    records=[],
                    request=request,
                    body=None,
                    number=number,
                    next_request=None,
                    headers=exchange.response.headers,
                    not_modified=exchange.status == 304,
                )
                return
            records = select_records(exchange.body, records_path)
            if records is None:
                url = _display_url(exchange.request)
                raise MalformedBody(
                    f"GET {url}: the body has no list at {records_path!r}",
                    url=url,
                    body=exchange.response.content,
                )
            pager.update_state(exchange.body, records, exchange.response.headers)
            number += 1
            more = pager.has_next_page and (max_pages is None or number < max_pages)
            following = pager.update_request(request) if more else None
            yield Page(
                records=records,
                request=request,
                body=exchange.body,
                number=number - 1,
                next_request=following,
                headers=exchange.response.headers,
            )
            if following is None:
                return
            request = following

    # ------------------------------------------------------------------------------- internals

    async def _get(
        self,
        url: str,
        params: Mapping[str, ParamValue],
        endpoint: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange:
        display = str(self._build(url, params).url)
        renewed = False

        async def attempt() -> Exchange:
            nonlocal renewed
            while True:
                request = self._build(url, params, headers)
                request.extensions[_DISPLAY_URL] = display
                async with self._limiter.slot(url=display) as permit:
                    # credentials after the wait for a slot, so a token never ages in the queue
                    await self._auth.apply(request, self._send)
                    exchange = await self._send(request, endpoint=endpoint)
                self._limiter.on_response(exchange.response.headers)
                if (
                    exchange.status == 401
                    and not renewed
                    and await self._auth.on_unauthorized(request)
                ):
                    renewed = True
                    continue
                return self._interpreter.interpret(exchange, permit, display)

        return await self._retry.run(attempt, what=f"GET {display}")

    def _build(
        self,
        url: str,
        params: Mapping[str, ParamValue],
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """A GET request; ``params`` are added to any query ``url`` already has, ``headers`` to
        the client's."""
        request = self._http.build_request("GET", url, headers=headers)
        if params:
            request.url = request.url.copy_merge_params(dict(params))
        return request

    async def _send(self, request: httpx.Request, *, endpoint: str) -> Exchange:
        """One exchange, timed and observed; transport failures become Transient."""
        url = _display_url(request)
        what = f"{request.method} {url}"
        started = self._clock.now()
        try:
            response = await self._http.send(request)
        except httpx.TimeoutException as exc:
            self._observe(endpoint, "timeout", None, started)
            raise Transient(
                "timeout",
                FetchError(f"{what}: no response within {self._timeout:g} s", url=url),
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            self._observe(endpoint, "connection", None, started)
            kind = type(exc).__name__
            raise Transient(
                f"connection error ({kind})",
                FetchError(f"{what}: connection failed ({kind})", url=url),
            ) from exc
        except httpx.DecodingError as exc:  # e.g. a truncated gzip stream
            self._observe(endpoint, "malformed_body", None, started)
            raise Transient(
                "undecodable body",
                MalformedBody(f"{what}: the body could not be decoded ({exc})", url=url),
            ) from exc
        except httpx.RequestError as exc:  # not worth retrying: bad scheme, redirect loop …
            self._observe(endpoint, "error", None, started)
            raise FetchError(f"{what}: {type(exc).__name__}: {exc}", url=url) from exc
        body, parsed = _parse_json(response)
        status = response.status_code
        malformed = 200 <= status < 300 and not parsed
        self._observe(endpoint, "malformed_body" if malformed else str(status), status, started)
        log.debug("%s → %d%s", what, status, " (malformed body)" if malformed else "")
        return Exchange(request=request, response=response, body=body, parsed=parsed)

    def _observe(self, endpoint: str, outcome: str, status: int | None, started: float) -> None:
        if self._observer is None:
            return
        attempt = Attempt(endpoint, outcome, status, max(0.0, self._clock.now() - started))
        try:
            self._observer(attempt)
        except Exception:
            log.exception("the HTTP observer failed on %s", attempt)


def _endpoint(path_or_url: str) -> str:
    return urlsplit(path_or_url).path or path_or_url


def _display_url(request: httpx.Request) -> str:
    shown = request.extensions.get(_DISPLAY_URL)
    if isinstance(shown, str):
        return shown
    return str(request.url.copy_with(query=None))


def _parse_json(response: httpx.Response) -> tuple[Any, bool]:
    content = response.content
    if not content.strip():
        return None, response.status_code in (204, 205) or not 200 <= response.status_code < 300
    try:
        return orjson.loads(content), True
    except ValueError:
        return None, False
