"""A generic REST client: auth, one shared rate budget, retries, pagination. No Kafka, no API.

clock.py        the one place time is read and slept (injectable)
models.py       pydantic config models embedded in source specs
registry.py     named kinds (auth, paginators): config model + class, the spec's one list
auth.py         none, bearer, api_key, oauth2_client_credentials
ratelimit.py    paced rate + concurrency cap + AIMD + app-wide Retry-After pauses
retry.py        what is retried, the backoff, the error a failure ends in
paginators.py   single, offset, next_url, cursor, page_number
jsonpath.py     dotted JSON paths (records location, next/total/cursor)
exchange.py     one attempt (Exchange), observer hook (Attempt, Observer)
client.py       RestClient: get_json and paginate
testing.py      run code in virtual time (no real sleeping in tests)

Importing any module of the package imports auth and paginators below, which register the
built-in kinds: a spec is never validated against a registry still empty.
"""

from __future__ import annotations

from tunestream.http.auth import Auth, build_auth
from tunestream.http.client import Page, RestClient
from tunestream.http.clock import Clock, LoopClock
from tunestream.http.exchange import Attempt, Observer
from tunestream.http.models import (
    AUTH_KINDS,
    PAGINATOR_KINDS,
    AuthConfig,
    PaginatorConfig,
    RateLimitConfig,
    RestClientConfig,
    RetryConfig,
)
from tunestream.http.paginators import PageRequest, Paginator, build_paginator
from tunestream.http.ratelimit import RateLimiter
from tunestream.http.retry import RetryPolicy

__all__ = [
    "AUTH_KINDS",
    "PAGINATOR_KINDS",
    "Attempt",
    "Auth",
    "AuthConfig",
    "Clock",
    "LoopClock",
    "Observer",
    "Page",
    "PageRequest",
    "Paginator",
    "PaginatorConfig",
    "RateLimitConfig",
    "RateLimiter",
    "RestClient",
    "RestClientConfig",
    "RetryConfig",
    "RetryPolicy",
    "build_auth",
    "build_paginator",
]
