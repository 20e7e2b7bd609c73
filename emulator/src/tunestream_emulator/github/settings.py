"""The GitHub stand-in's settings: pydantic models that CLI flags, tests and the admin API fill in.

Defaults are GitHub's own where GitHub documents one (rate limits, token lifetimes); the ground
truth's sizes are small enough to build in milliseconds and large enough to need several pages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "AppSettings",
    "GithubSettings",
    "LimitSettings",
    "TokenSettings",
]

_REPOSITORY = re.compile(r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenSettings(_Model):
    """A personal access token and the user it authenticates (``Authorization: Bearer …``)."""

    token: str = Field(min_length=1)
    login: str = Field(min_length=1)


class AppSettings(_Model):
    """A GitHub App whose user access tokens expire: the client of the refresh endpoint."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    login: str = Field(
        default="octo-reader", min_length=1, description="the user its tokens act for"
    )


class LimitSettings(_Model):
    """Rate limits and token lifetimes; ``PUT /_admin/limits`` replaces them at run time.

    GitHub's values (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api):
    5,000 requests an hour per user, 60 an hour per address without a token, at most 100
    concurrent requests and 900 points a minute (a GET is one point). User access tokens of a
    GitHub App live eight hours, their refresh tokens six months
    (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
    """

    rate_limit_per_hour: int = Field(default=5000, ge=1, description="per user")
    unauthenticated_rate_limit_per_hour: int = Field(default=60, ge=1, description="per address")
    max_concurrent: int | None = Field(
        default=100, ge=1, description="requests in flight per user or address; None: off"
    )
    max_per_minute: int | None = Field(
        default=900, ge=1, description="requests per user or address per rolling minute; None: off"
    )
    limited_status: Literal[403, 429] = Field(
        default=403, description="the status of a rate-limited answer (GitHub sends 403 or 429)"
    )
    access_token_lifetime_s: int = Field(default=28_800, ge=1)
    refresh_token_lifetime_s: int = Field(default=15_897_600, ge=1)


def _default_tokens() -> list[TokenSettings]:
    return [TokenSettings(token="ghp_emulator0personal0access0token000000", login="octo-reader")]


def _default_apps() -> list[AppSettings]:
    return [AppSettings(client_id="Iv23emulatorclient01", client_secret="emulator-client-secret")]


class GithubSettings(_Model):
    """Everything the GitHub stand-in can be told."""

    port: int = Field(default=8766, ge=0, le=65535, description="on 127.0.0.1, always")
    seed: int = 1
    repositories: list[str] = Field(
        default_factory=lambda: ["octo-org/alpha", "octo-org/beta"], min_length=1
    )
    clock_start: datetime = Field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0),
        description="the clock's reading when the server starts",
    )
    speed: float = Field(default=1.0, gt=0.0, description="clock seconds per real second")
    history_days: float = Field(
        default=30.0, ge=0.0, description="activity generated before the start"
    )
    actions_per_hour: float = Field(
        default=2.0, gt=0.0, description="generated actions per repository per hour"
    )
    contributors: int = Field(default=12, ge=1, description="users who open, edit and comment")
    tokens: list[TokenSettings] = Field(default_factory=_default_tokens)
    apps: list[AppSettings] = Field(default_factory=_default_apps)
    refresh_tokens: list[str] = Field(
        default_factory=list,
        description="refresh tokens of the first app valid at start (more: POST "
        "/_admin/oauth/authorize)",
    )
    limits: LimitSettings = Field(default_factory=LimitSettings)
    latency_ms: float = Field(default=0.0, ge=0.0, description="added to every API request")
    public_base_url: str | None = Field(
        default=None, description="base URL written into links; default: the bound address"
    )

    @field_validator("clock_start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    @field_validator("repositories")
    @classmethod
    def _full_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not _REPOSITORY.fullmatch(name):
                raise ValueError(f"{name!r} is not OWNER/REPO")
        if len({name.lower() for name in value}) != len(value):
            raise ValueError("repositories must be unique")
        return value
