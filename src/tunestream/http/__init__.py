"""A generic REST client: auth, one shared rate budget, retries, pagination. No Kafka, no API.

clock.py        the one place time is read and slept (injectable)
fields.py       the checked field types the config models share
models.py       pydantic config models embedded in source specs
actions.py      response_actions: conditions on a response and what a match means
registry.py     named kinds (auth, paginators): config model + class, the spec's one list
auth.py         the Auth interface, CredentialStore; none, bearer, api_key, basic
oauth.py        oauth2_client_credentials, oauth2_refresh_token (a rotated refresh token kept
                in the CredentialStore)
ratelimit.py    paced rate + concurrency cap + AIMD + app-wide pauses (Retry-After, and
                rate-limit header fields saying the budget is used up)
retry.py        what is retried, the backoff, the error a failure ends in
paginators.py   single, offset, next_url, cursor, page_number, link_header, header_cursor
jsonpath.py     dotted JSON paths (records location, next/total/cursor), JMESPath conditions
exchange.py     one attempt (Exchange), observer hook (Attempt, Observer)
interpret.py    what a response means: a value, a retry or an error
client.py       RestClient: get_json and paginate (conditional first page, 304 Not Modified)
testing.py      run code in virtual time (no real sleeping in tests)

Importing any module of the package imports auth, oauth and paginators below, which register
the built-in kinds: a spec is never validated against a registry still empty.
"""

from __future__ import annotations

from tunestream.http.auth import Auth, CredentialStore, build_auth
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
from tunestream.http.oauth import OAuth2ClientCredentials, OAuth2RefreshToken
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
    "CredentialStore",
    "LoopClock",
    "OAuth2ClientCredentials",
    "OAuth2RefreshToken",
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
