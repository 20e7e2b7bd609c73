"""The emulator's settings: one pydantic model that CLI flags, tests and the admin API fill in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "DEFAULT_MARKETS",
    "ClientSettings",
    "EmulatorSettings",
    "FaultKind",
    "FaultSettings",
    "Profile",
]

Profile = Literal["extended", "development"]

#: What one scripted fault step or one random draw can do to a Web API request.
FaultKind = Literal["ok", "500", "502", "503", "reset", "timeout", "truncate", "malformed"]

#: A realistic subset of Spotify's markets (ISO 3166-1 alpha-2).
DEFAULT_MARKETS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "NO", "DK", "FI", "PL", "PT", "IE", "AT", "CH",
    "BE", "CZ", "HU", "RO", "GR", "TR", "BR", "MX", "AR", "CL", "CO", "PE", "CA", "AU", "NZ", "JP",
    "KR", "IN", "ID", "PH", "SG", "MY", "TH", "VN", "ZA", "NG", "EG", "SA", "AE", "IL",
)  # fmt: skip


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ClientSettings(_Model):
    """A registered Spotify app: its credentials and what it may call."""

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)
    profile: Profile = "extended"
    batch_endpoints: bool | None = Field(
        default=None,
        description="new-releases and ?ids= endpoints; None: the profile's default "
        "(development apps created before 2026-02-11 still have them: set True)",
    )
    audio_features: bool | None = Field(
        default=None,
        description="audio-features and audio-analysis; None: the profile's default "
        "(extended apps without access from before 2024-11-27: set False)",
    )


def _all_errors() -> list[Literal[500, 502, 503]]:
    return [500, 502, 503]


class FaultSettings(_Model):
    """Faults injected into ``/v1`` requests: random rates, a script, added latency.

    Rates are probabilities per request, drawn in the order of the fields; ``script`` is
    consumed first, one step per request, before any random draw.
    """

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_statuses: list[Literal[500, 502, 503]] = Field(default_factory=_all_errors)
    reset_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    truncate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    malformed_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: float = Field(default=0.0, ge=0.0, description="added to every /v1 request")
    timeout_s: float = Field(default=30.0, gt=0.0, description="how long a 'timeout' fault hangs")
    script: list[FaultKind] = Field(default_factory=list)
    seed: int = 0


def _default_clients() -> list[ClientSettings]:
    return [
        ClientSettings(client_id="extended-client", client_secret="extended-secret"),
        ClientSettings(
            client_id="development-client",
            client_secret="development-secret",
            profile="development",
        ),
    ]


class EmulatorSettings(_Model):
    """Everything the emulator can be told; defaults model the real API of late 2026."""

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    seed: int = 1
    tracks_per_day: float = Field(default=100_000.0, gt=0.0)
    history_days: float = Field(
        default=14.0, ge=0.0, description="backlog released before the start"
    )
    clock_start: datetime = Field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0),
        description="the release clock's reading when the server starts",
    )
    speed: float = Field(default=1.0, gt=0.0, description="release-clock seconds per real second")
    markets: list[str] = Field(default_factory=lambda: list(DEFAULT_MARKETS), min_length=1)
    artists: int = Field(default=200_000, ge=10, description="size of the artist pool")
    entity_cache: int = Field(
        default=8192,
        ge=1,
        description="albums and artists kept built (each); a client re-reading the whole "
        "window (a discovery benchmark) is served faster with ~300,000",
    )
    search_order: Literal["relevance", "newest"] = Field(
        default="relevance",
        description="search results ranked like Spotify's (no date order) or newest first",
    )
    new_releases_size: int = Field(
        default=120, ge=1, description="editorial selection size per market"
    )
    clients: list[ClientSettings] = Field(default_factory=_default_clients, min_length=1)
    token_lifetime_s: int = Field(default=3600, ge=1)
    rate_limit_per_30s: int | None = Field(
        default=3000, ge=1, description="requests per client id per rolling 30 s; None: unlimited"
    )
    dev_quota: int | None = Field(
        default=None,
        ge=1,
        description="requests per quota period for development clients; None: off",
    )
    dev_quota_period_s: int = Field(default=86_400, ge=1)
    faults: FaultSettings = Field(default_factory=lambda: FaultSettings())
    reccobeats_share: float = Field(
        default=0.9, ge=0.0, le=1.0, description="share of the tracks ReccoBeats has features of"
    )
    reccobeats_rate: int = Field(
        default=30, ge=0, description="ReccoBeats requests per client address per second; 0: off"
    )
    deezer_share: float = Field(
        default=0.95, ge=0.0, le=1.0, description="share of the ISRCs Deezer knows"
    )
    deezer_bpm_share: float = Field(
        default=0.7, ge=0.0, le=1.0, description="share of Deezer's tracks with a bpm (else 0)"
    )
    deezer_quota: int = Field(
        default=50, ge=0, description="Deezer requests per client address per 5 s; 0: off"
    )
    musicbrainz_share: float = Field(
        default=0.8, ge=0.0, le=1.0, description="share of the ISRCs MusicBrainz knows"
    )
    musicbrainz_rate: int = Field(
        default=1, ge=0, description="MusicBrainz requests per client address per second; 0: off"
    )
    long_tail_share: float = Field(
        default=0.005,
        ge=0.0,
        le=1.0,
        description="share of the tracks in the long tail (DJ mixes, live sets, ambient): "
        "durations log-uniform over long_tail_minutes, their analyses up to ~20 MB",
    )
    long_tail_minutes: tuple[float, float] = Field(
        default=(20.0, 180.0), description="the long tail's shortest and longest duration"
    )
    public_base_url: str | None = Field(
        default=None,
        description="base URL written into href/next/previous; default: the bound address",
    )

    @field_validator("clock_start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

    @field_validator("long_tail_minutes")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 < value[0] <= value[1]:
            raise ValueError("long_tail_minutes: 0 < shortest <= longest")
        return value

    @field_validator("markets")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [m.upper() for m in value]

    @field_validator("clients")
    @classmethod
    def _unique(cls, value: list[ClientSettings]) -> list[ClientSettings]:
        ids = [c.client_id for c in value]
        if len(set(ids)) != len(ids):
            raise ValueError("client ids must be unique")
        return value
