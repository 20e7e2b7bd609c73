"""Config models of the REST client: auth, rate limit, retry, paginators, the client itself.

They are embedded in declarative YAML source specs, so every model is frozen, forbids unknown
keys, and names its fields for the person writing the YAML. Auth and paginator kinds are chosen
by ``type`` among the kinds registered in :data:`AUTH_KINDS` and :data:`PAGINATOR_KINDS` (config
model and implementation together): a wrong ``type`` is reported with the registered values.

Auth kinds: ``none``, ``bearer``, ``api_key``, ``basic``, ``oauth2_client_credentials`` and
``oauth2_refresh_token``. Paginator kinds: ``single``, ``offset``, ``next_url``, ``cursor``,
``page_number``, ``link_header`` and ``header_cursor``.

    base_url: https://api.spotify.com/v1
    auth:
      type: oauth2_client_credentials
      token_url: https://accounts.spotify.com/api/token
      client_id: abc
      client_secret: xyz            # SecretStr: never logged, never in an error message
      provider: Spotify             # named in error messages
    rate_limit: {requests_per_second: 5, max_concurrency: 4, retry_after_ceiling_s: 60}
    retry: {attempts: 5, backoff_base_s: 0.5, backoff_max_s: 30}
    timeout_s: 10
    response_actions:               # what a response means, before the built-in handling
      - {status_code: 429, content: QUOTA_EXCEEDED, action: quota_exceeded}
      - {status_code: 200, body: "error.code == `4`", action: quota_exceeded}   # JMESPath
      - {status_code: [404, 410], action: missing}

A paginator is chosen per endpoint, e.g. ``{type: offset, limit: 50, max_offset: 1000}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    PlainValidator,
    SecretStr,
    SerializeAsAny,
    model_validator,
)

from tunestream.errors import ConfigError
from tunestream.http.actions import ResponseAction
from tunestream.http.fields import (
    ConfigModel,
    HeaderName,
    HttpUrlStr,
    JsonPath,
    NonEmpty,
    ParamName,
    PositiveFloat,
    Secret,
)
from tunestream.http.jsonpath import lookup
from tunestream.http.registry import Registry

if TYPE_CHECKING:
    from tunestream.http.auth import Auth
    from tunestream.http.paginators import Paginator

__all__ = [
    "AUTH_KINDS",
    "PAGINATOR_KINDS",
    "ApiKeyAuthConfig",
    "AuthConfig",
    "AuthConfigBase",
    "BasicAuthConfig",
    "BearerAuthConfig",
    "CursorPaginatorConfig",
    "HeaderCursorPaginatorConfig",
    "JsonPath",
    "LinkHeaderPaginatorConfig",
    "NextUrlPaginatorConfig",
    "NoAuthConfig",
    "OAuth2ClientCredentialsConfig",
    "OAuth2ConfigBase",
    "OAuth2RefreshTokenConfig",
    "OffsetPaginatorConfig",
    "PageNumberPaginatorConfig",
    "PaginatorConfig",
    "PaginatorConfigBase",
    "RateLimitConfig",
    "ResponseAction",
    "RestClientConfig",
    "RetryConfig",
    "SinglePagePaginatorConfig",
]


# ---------------------------------------------------------------------------------------- auth


class AuthConfigBase(ConfigModel):
    """Base of every auth kind; ``type`` names the kind in the auth registry."""

    type: str


class NoAuthConfig(AuthConfigBase):
    """No credentials (public APIs such as Deezer, MusicBrainz)."""

    type: Literal["none"] = "none"


class BearerAuthConfig(AuthConfigBase):
    """A static token sent as ``Authorization: Bearer <token>``."""

    type: Literal["bearer"] = "bearer"
    token: SecretStr


class ApiKeyAuthConfig(AuthConfigBase):
    """A static key sent in a header or a query parameter named ``name``."""

    type: Literal["api_key"] = "api_key"
    name: ParamName = "X-API-Key"
    value: SecretStr
    location: Literal["header", "query"] = "header"


def _user_id(value: str) -> str:
    if ":" in value:
        raise ValueError("a Basic auth username cannot contain ':' (RFC 7617)")
    return value


class BasicAuthConfig(AuthConfigBase):
    """HTTP Basic (RFC 7617): ``Authorization: Basic base64(username:password)``."""

    type: Literal["basic"] = "basic"
    username: Annotated[str, Field(min_length=1), AfterValidator(_user_id)]
    password: Secret


class OAuth2ConfigBase(AuthConfigBase):
    """What the OAuth 2 kinds share: the token endpoint, the client, and the token's caching."""

    token_url: HttpUrlStr
    client_id: NonEmpty
    scope: str | None = None
    client_auth: Literal["basic", "body"] = "basic"
    """How the client authenticates at the token endpoint (RFC 6749 §2.3.1): ``basic``, an
    HTTP Basic header of client_id and client_secret; ``body``, both as form fields."""
    refresh_skew_s: Annotated[float, Field(ge=0)] = 60.0
    """Fetch a new token this long before the current one expires."""
    default_expires_in_s: PositiveFloat = 3600.0
    """Lifetime assumed when the token response carries no ``expires_in``."""
    provider: str | None = None
    """Who is named in error messages ("Spotify rejected …"); the token URL's host if unset."""


class OAuth2ClientCredentialsConfig(OAuth2ConfigBase):
    """OAuth 2 client-credentials grant (RFC 6749 §4.4)."""

    type: Literal["oauth2_client_credentials"] = "oauth2_client_credentials"
    client_secret: SecretStr
    audience: NonEmpty | None = None
    """Sent as ``audience`` in the token request when set: the API the token is for, which
    Auth0 asks for (https://auth0.com/docs/tokens/get-access-tokens)."""


class OAuth2RefreshTokenConfig(OAuth2ConfigBase):
    """OAuth 2 refresh-token grant (RFC 6749 §6): access tokens from a long-lived refresh token.

    ``refresh_token`` is the *initial* one: a server that rotates it answers each refresh with a
    new one, which is used from then on (and kept in the credential store, if the client has one).
    Without ``client_secret`` the client is a public one: ``client_id`` goes in the form.
    """

    type: Literal["oauth2_refresh_token"] = "oauth2_refresh_token"
    client_secret: Secret | None = None
    refresh_token: Secret


AUTH_KINDS: Registry[AuthConfigBase, Auth] = Registry("auth")
"""Auth kinds by name; ``tunestream.http.auth`` registers the built-in ones."""

AuthConfig = Annotated[SerializeAsAny[AuthConfigBase], PlainValidator(AUTH_KINDS.validate)]
"""Any registered auth kind, chosen by ``type``."""


# ------------------------------------------------------------------------ rate limit and retry


class RateLimitConfig(ConfigModel):
    """One shared budget per API app: a paced request rate, AIMD-adapted, and a concurrency cap."""

    requests_per_second: PositiveFloat = 5.0
    """Target (and maximum) rate; the limiter never goes faster."""
    max_concurrency: Annotated[int, Field(ge=1)] = 4
    retry_after_ceiling_s: Annotated[float, Field(ge=0)] = 60.0
    """Longest Retry-After that is waited out; a longer one raises RateLimited instead."""
    min_requests_per_second: PositiveFloat = 0.1
    """Floor of the multiplicative decrease."""
    decrease_factor: Annotated[float, Field(gt=0, lt=1)] = 0.5
    """On a 429 the rate is multiplied by this."""
    increase_step: Annotated[float, Field(ge=0)] = 0.1
    """On each success the rate grows by this many requests/s, up to requests_per_second."""
    window_s: PositiveFloat | None = None
    """The API's rate window (Spotify: a rolling 30 s), if known. A 429 then teaches the budget
    — what was sent in the last window, per second — and the rate settles just below it,
    probing above only slowly, instead of halving and climbing back past it each time."""

    @model_validator(mode="after")
    def _floor_below_target(self) -> RateLimitConfig:
        if self.min_requests_per_second > self.requests_per_second:
            raise ValueError("min_requests_per_second must not exceed requests_per_second")
        return self


class RetryConfig(ConfigModel):
    """Retries of transient failures: capped exponential backoff with full jitter."""

    attempts: Annotated[int, Field(ge=1)] = 5
    """Attempts in all, the first included (1 = no retry)."""
    backoff_base_s: PositiveFloat = 0.5
    backoff_max_s: PositiveFloat = 30.0
    retry_statuses: frozenset[int] = frozenset({500, 502, 503, 504})


# ---------------------------------------------------------------------------------- paginators


class PaginatorConfigBase(ConfigModel):
    """Base of every paginator kind; ``type`` names the kind in the paginator registry.

    The runtime asks a config, never reads a kind's fields: a kind that reports a total or
    chooses its page size overrides :meth:`total`, :attr:`page_size` and :meth:`with_page_size`.
    """

    type: str

    def total(self, body: Any) -> int | None:
        """The number of records the API reports for the whole walk, read from a page's body;
        None when this kind knows no such number or the body does not give it."""
        return None

    @property
    def page_size(self) -> int | None:
        """Records asked for a page; None when this kind does not choose it."""
        return None

    def with_page_size(self, size: int) -> Self:
        """A copy asking ``size`` records a page; a ConfigError for a kind without page size."""
        raise ConfigError(f"paginator type {self.type!r} has no page size to change to {size}")


class SinglePagePaginatorConfig(PaginatorConfigBase):
    """No paging: one request."""

    type: Literal["single"] = "single"


class OffsetPaginatorConfig(PaginatorConfigBase):
    """``offset``/``limit`` parameters. Stops on a null ``next``, a short page, ``total`` reached
    or an offset beyond ``max_offset`` (Spotify search: 1000). A path absent from the body is not
    used as a stop signal."""

    type: Literal["offset"] = "offset"
    limit: Annotated[int, Field(ge=1)] = 50
    limit_param: ParamName = "limit"
    offset_param: ParamName = "offset"
    start_offset: Annotated[int, Field(ge=0)] = 0
    max_offset: Annotated[int, Field(ge=0)] | None = None
    """The largest offset ever requested."""
    total_path: JsonPath | None = "total"
    next_path: JsonPath | None = "next"

    @model_validator(mode="after")
    def _start_within_cap(self) -> OffsetPaginatorConfig:
        if self.max_offset is not None and self.start_offset > self.max_offset:
            raise ValueError("start_offset must not exceed max_offset")
        return self

    def total(self, body: Any) -> int | None:
        if self.total_path is None:
            return None
        value = lookup(body, self.total_path)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def page_size(self) -> int:
        return self.limit

    def with_page_size(self, size: int) -> Self:
        return self.model_validate({**dict(self), "limit": size})


class NextUrlPaginatorConfig(PaginatorConfigBase):
    """The body carries the (absolute or relative) URL of the next page at ``next_path`` (which
    may be nested: ``links.next.href``); null or absent stops."""

    type: Literal["next_url"] = "next_url"
    next_path: JsonPath = "next"


class CursorPaginatorConfig(PaginatorConfigBase):
    """The body carries a cursor that is sent back as a parameter; null, "" or absent stops."""

    type: Literal["cursor"] = "cursor"
    cursor_path: JsonPath = "cursors.after"
    cursor_param: ParamName = "after"


class LinkHeaderPaginatorConfig(PaginatorConfigBase):
    """The ``Link`` response header (RFC 8288, https://www.rfc-editor.org/rfc/rfc8288) names
    the next page: the target of the link whose ``rel`` includes ``next`` (GitHub's paging,
    https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api). That
    URL carries its own query; a response without such a link is the last page."""

    type: Literal["link_header"] = "link_header"


class HeaderCursorPaginatorConfig(PaginatorConfigBase):
    """A response header carries a cursor that is sent back as a parameter; a response without
    the header, or with it empty, is the last page."""

    type: Literal["header_cursor"] = "header_cursor"
    cursor_header: HeaderName
    cursor_param: ParamName = "cursor"


class PageNumberPaginatorConfig(PaginatorConfigBase):
    """A page-number parameter. Stops on an empty page, or when ``total_pages`` is reached."""

    type: Literal["page_number"] = "page_number"
    page_param: ParamName = "page"
    start_page: Annotated[int, Field(ge=0)] = 1
    total_pages_path: JsonPath | None = None
    max_pages: Annotated[int, Field(ge=1)] | None = None


PAGINATOR_KINDS: Registry[PaginatorConfigBase, Paginator] = Registry("paginator")
"""Paginator kinds by name; ``tunestream.http.paginators`` registers the built-in ones."""

PaginatorConfig = Annotated[
    SerializeAsAny[PaginatorConfigBase], PlainValidator(PAGINATOR_KINDS.validate)
]
"""Any registered paginator kind, chosen by ``type``."""


# -------------------------------------------------------------------------------------- client


class RestClientConfig(ConfigModel):
    """Everything a :class:`~tunestream.http.client.RestClient` needs for one API app."""

    base_url: HttpUrlStr
    auth: AuthConfig = NoAuthConfig()
    rate_limit: RateLimitConfig = RateLimitConfig()
    retry: RetryConfig = RetryConfig()
    timeout_s: PositiveFloat = 10.0
    headers: dict[str, str] = Field(default_factory=dict)
    """Sent with every request (e.g. the User-Agent MusicBrainz requires)."""
    response_actions: tuple[ResponseAction, ...] = ()
    """Responses that mean something their status alone does not say, checked in order."""
