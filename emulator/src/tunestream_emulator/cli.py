"""``tunestream-emulator``: serve the Spotify emulator (with the ReccoBeats, Deezer and
MusicBrainz stand-ins), or with ``github`` the GitHub stand-in (see docs/EMULATOR.md).

Flags map one to one onto :class:`EmulatorSettings` (``tunestream-emulator [flags]``) or
:class:`GithubSettings` (``tunestream-emulator github [flags]``); ``--settings FILE`` reads a YAML
file of the same fields first, flags override it. An :class:`EmulatorError` is one line on stderr
and its exit code.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from pydantic import BaseModel, ValidationError

from tunestream_emulator.errors import EmulatorError
from tunestream_emulator.github import GithubSettings, serve_github
from tunestream_emulator.server import serve
from tunestream_emulator.settings import EmulatorSettings

__all__ = [
    "app",
    "emulator",
    "github",
    "github_settings_from_flags",
    "main",
    "settings_from_flags",
]

_M = TypeVar("_M", bound=BaseModel)

CLIENTS_VARIABLE = "TUNESTREAM_EMULATOR_CLIENTS"
"""``--client`` values from the environment (a process's environment is its user's alone)."""


def _fields(flag: str, spec: str, names: tuple[str, ...], least: int) -> dict[str, str]:
    """``A:B[:C]`` of a flag as ``{names[0]: A, …}``; the first ``least`` are required."""
    parts = spec.split(":")
    if not least <= len(parts) <= len(names) or not all(parts):
        form = ":".join(n.upper() for n in names[:least])
        form += "".join(f"[:{n.upper()}]" for n in names[least:])
        raise EmulatorError(f"{flag} {spec!r}: expected {form}")
    return dict(zip(names, parts, strict=False))


def _merged(file: Path | None, flags: dict[str, Any], nested: str) -> dict[str, Any]:
    """A settings file's mapping with the flags that were given (None: not given) on top;
    ``<nested>.<field>`` flags go into the ``nested`` mapping."""
    values: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = yaml.safe_load(file.read_text()) or {}
        except (OSError, yaml.YAMLError) as error:
            raise EmulatorError(f"--settings {file}: {error}") from None
        if not isinstance(loaded, dict):
            raise EmulatorError(f"--settings {file}: expected a mapping of emulator settings")
        values.update(loaded)
    inner = dict(values.get(nested) or {})
    for key, value in flags.items():
        if value is None:
            continue
        if key.startswith(f"{nested}."):
            inner[key.removeprefix(f"{nested}.")] = value
        else:
            values[key] = value
    if inner:
        values[nested] = inner
    return values


def _validated(model: type[_M], values: dict[str, Any]) -> _M:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise EmulatorError(f"emulator setting {key}: {first['msg']}") from None


def settings_from_flags(file: Path | None, flags: dict[str, Any]) -> EmulatorSettings:
    """Merge a settings file and the flags that were given (None: not given)."""
    values = _merged(file, flags, "faults")
    if values.get("rate_limit_per_30s") == 0:
        values["rate_limit_per_30s"] = None
    return _validated(EmulatorSettings, values)


def emulator(
    context: typer.Context,
    settings_file: Annotated[
        Path | None,
        typer.Option(
            "--settings", help="YAML file of emulator settings (flags override it).", dir_okay=False
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: 127.0.0.1).")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to bind (0: any free) (default: 8765).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Catalog seed (default: 1).")] = None,
    tracks_per_day: Annotated[
        float | None, typer.Option(help="Release rate (default: 100000).")
    ] = None,
    history_days: Annotated[
        float | None, typer.Option(help="Backlog before the start (default: 14).")
    ] = None,
    clock_start: Annotated[
        datetime | None,
        typer.Option(
            help="Release clock at start, UTC (default: now).",
            formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"],
        ),
    ] = None,
    speed: Annotated[
        float | None, typer.Option(help="Release-clock seconds per real second (default: 1).")
    ] = None,
    markets: Annotated[
        str | None, typer.Option(help="Comma-separated markets (default: 46 markets).")
    ] = None,
    artists: Annotated[int | None, typer.Option(help="Artist pool size (default: 200000).")] = None,
    new_releases_size: Annotated[
        int | None, typer.Option(help="Editorial selection per market (default: ~120).")
    ] = None,
    client: Annotated[
        list[str] | None,
        typer.Option(
            help="ID:SECRET[:PROFILE] (extended|development), repeatable, or space-separated in "
            "the environment, off the command line that any local user can read "
            "(default: two demo apps).",
            envvar=CLIENTS_VARIABLE,
        ),
    ] = None,
    token_lifetime: Annotated[
        int | None, typer.Option(help="Token lifetime in seconds (default: 3600).")
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(help="Requests per client per rolling 30 s; 0: unlimited (default: 3000)."),
    ] = None,
    dev_quota: Annotated[
        int | None, typer.Option(help="Development-app requests per quota period (default: off).")
    ] = None,
    dev_quota_period: Annotated[
        int | None, typer.Option(help="Quota period in seconds (default: 86400).")
    ] = None,
    error_rate: Annotated[
        float | None, typer.Option(help="Share of /v1 requests answered 5xx (default: 0).")
    ] = None,
    error_statuses: Annotated[
        str | None, typer.Option(help="Comma-separated 5xx to draw from (default: 500,502,503).")
    ] = None,
    reset_rate: Annotated[
        float | None, typer.Option(help="Share of connections reset (default: 0).")
    ] = None,
    timeout_rate: Annotated[
        float | None, typer.Option(help="Share of requests that hang (default: 0).")
    ] = None,
    truncate_rate: Annotated[
        float | None, typer.Option(help="Share of bodies cut short (default: 0).")
    ] = None,
    malformed_rate: Annotated[
        float | None, typer.Option(help="Share of 200s with broken JSON (default: 0).")
    ] = None,
    latency_ms: Annotated[
        float | None, typer.Option(help="Latency added to every /v1 request (default: 0).")
    ] = None,
    timeout_s: Annotated[
        float | None, typer.Option(help="How long a 'timeout' fault hangs (default: 30).")
    ] = None,
    fault_script: Annotated[
        str | None,
        typer.Option(help="Comma-separated faults for the next requests, e.g. 503,ok,reset."),
    ] = None,
    fault_seed: Annotated[
        int | None, typer.Option(help="Seed of the fault draws (default: 0).")
    ] = None,
    public_base_url: Annotated[
        str | None, typer.Option(help="Base URL written into links (default: the bound address).")
    ] = None,
    reccobeats_share: Annotated[
        float | None, typer.Option(help="Share of the tracks ReccoBeats knows (default: 0.9).")
    ] = None,
    reccobeats_rate: Annotated[
        int | None,
        typer.Option(help="ReccoBeats requests per address per second; 0: off (default: 30)."),
    ] = None,
    deezer_share: Annotated[
        float | None, typer.Option(help="Share of the ISRCs Deezer knows (default: 0.95).")
    ] = None,
    deezer_bpm_share: Annotated[
        float | None, typer.Option(help="Share of Deezer's tracks with a bpm (default: 0.7).")
    ] = None,
    deezer_quota: Annotated[
        int | None,
        typer.Option(help="Deezer requests per address per 5 s; 0: off (default: 50)."),
    ] = None,
    musicbrainz_share: Annotated[
        float | None, typer.Option(help="Share of the ISRCs MusicBrainz knows (default: 0.8).")
    ] = None,
    musicbrainz_rate: Annotated[
        int | None,
        typer.Option(help="MusicBrainz requests per address per second; 0: off (default: 1)."),
    ] = None,
    long_tail_share: Annotated[
        float | None,
        typer.Option(help="Share of the tracks 20 min to 3 h long (default: 0.005)."),
    ] = None,
) -> None:
    """Serve a local stand-in for api.spotify.com and accounts.spotify.com, and for the parts of
    ReccoBeats, Deezer and MusicBrainz that enrich its tracks, until interrupted (``github``: the
    GitHub stand-in instead)."""
    if context.invoked_subcommand is not None:
        return

    def listed(text: str | None) -> list[str] | None:
        return None if text is None else [part.strip() for part in text.split(",") if part.strip()]

    settings = settings_from_flags(
        settings_file,
        {
            "host": host,
            "port": port,
            "seed": seed,
            "tracks_per_day": tracks_per_day,
            "history_days": history_days,
            "clock_start": clock_start,
            "speed": speed,
            "markets": listed(markets),
            "artists": artists,
            "new_releases_size": new_releases_size,
            "clients": [
                _fields("--client", c, ("client_id", "client_secret", "profile"), 2) for c in client
            ]
            if client
            else None,
            "token_lifetime_s": token_lifetime,
            "rate_limit_per_30s": rate_limit,
            "dev_quota": dev_quota,
            "dev_quota_period_s": dev_quota_period,
            "faults.error_rate": error_rate,
            "faults.error_statuses": listed(error_statuses),
            "faults.reset_rate": reset_rate,
            "faults.timeout_rate": timeout_rate,
            "faults.truncate_rate": truncate_rate,
            "faults.malformed_rate": malformed_rate,
            "faults.latency_ms": latency_ms,
            "faults.timeout_s": timeout_s,
            "faults.script": listed(fault_script),
            "faults.seed": fault_seed,
            "public_base_url": public_base_url,
            "reccobeats_share": reccobeats_share,
            "reccobeats_rate": reccobeats_rate,
            "deezer_share": deezer_share,
            "deezer_bpm_share": deezer_bpm_share,
            "deezer_quota": deezer_quota,
            "musicbrainz_share": musicbrainz_share,
            "musicbrainz_rate": musicbrainz_rate,
            "long_tail_share": long_tail_share,
        },
    )

    def announce(base: str) -> None:
        typer.echo(
            f"Spotify emulator on {base} (token {base}/api/token, API {base}/v1, "
            f"admin {base}/_admin; ReccoBeats {base}/reccobeats/v1, Deezer {base}/deezer, "
            f"MusicBrainz {base}/musicbrainz/ws/2); {settings.tracks_per_day:g} tracks/day at "
            f"speed {settings.speed:g}; Ctrl-C stops it",
            err=True,
        )

    serve(settings, announce)


def github_settings_from_flags(file: Path | None, flags: dict[str, Any]) -> GithubSettings:
    """Merge a settings file and the flags of ``github`` that were given (None: not given);
    0 turns a secondary limit off."""
    values = _merged(file, flags, "limits")
    limits = values.get("limits", {})
    for key in ("max_concurrent", "max_per_minute"):
        if limits.get(key) == 0:
            limits[key] = None
    return _validated(GithubSettings, values)


def github(
    settings_file: Annotated[
        Path | None,
        typer.Option(
            "--settings", help="YAML file of GitHub settings (flags override it).", dir_okay=False
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (0: any free) (default: 8766).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Ground-truth seed (default: 1).")] = None,
    repository: Annotated[
        list[str] | None,
        typer.Option(help="OWNER/REPO, repeatable (default: octo-org/alpha, octo-org/beta)."),
    ] = None,
    clock_start: Annotated[
        datetime | None,
        typer.Option(
            help="Clock at start, UTC (default: now).", formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]
        ),
    ] = None,
    speed: Annotated[
        float | None, typer.Option(help="Clock seconds per real second (default: 1).")
    ] = None,
    history_days: Annotated[
        float | None, typer.Option(help="Activity generated before the start (default: 30).")
    ] = None,
    actions_per_hour: Annotated[
        float | None, typer.Option(help="Generated actions per repository per hour (default: 2).")
    ] = None,
    token: Annotated[
        list[str] | None,
        typer.Option(help="TOKEN:LOGIN personal access token, repeatable (default: one demo)."),
    ] = None,
    app_credentials: Annotated[
        list[str] | None,
        typer.Option(
            "--app", help="CLIENT_ID:SECRET[:LOGIN] of an app, repeatable (default: one demo)."
        ),
    ] = None,
    refresh_token: Annotated[
        list[str] | None,
        typer.Option(help="A refresh token of the first app valid at start, repeatable."),
    ] = None,
    rate_limit: Annotated[
        int | None, typer.Option(help="Requests per user per hour (default: 5000).")
    ] = None,
    unauthenticated_rate_limit: Annotated[
        int | None,
        typer.Option(help="Requests per address per hour without a token (default: 60)."),
    ] = None,
    max_concurrent: Annotated[
        int | None, typer.Option(help="Requests in flight per user; 0: off (default: 100).")
    ] = None,
    max_per_minute: Annotated[
        int | None, typer.Option(help="Requests per user per minute; 0: off (default: 900).")
    ] = None,
    limited_status: Annotated[
        int | None, typer.Option(help="Status of rate-limited answers, 403 or 429 (default: 403).")
    ] = None,
    access_token_lifetime: Annotated[
        int | None, typer.Option(help="User access token lifetime in seconds (default: 28800).")
    ] = None,
    refresh_token_lifetime: Annotated[
        int | None, typer.Option(help="Refresh token lifetime in seconds (default: 15897600).")
    ] = None,
    latency_ms: Annotated[
        float | None, typer.Option(help="Latency added to every API request (default: 0).")
    ] = None,
    public_base_url: Annotated[
        str | None, typer.Option(help="Base URL written into links (default: the bound address).")
    ] = None,
) -> None:
    """Serve a local stand-in for api.github.com (issues, pull requests, releases, events) and
    its token endpoint until interrupted."""
    settings = github_settings_from_flags(
        settings_file,
        {
            "port": port,
            "seed": seed,
            "repositories": repository,
            "clock_start": clock_start,
            "speed": speed,
            "history_days": history_days,
            "actions_per_hour": actions_per_hour,
            "tokens": [_fields("--token", t, ("token", "login"), 2) for t in token]
            if token
            else None,
            "apps": [
                _fields("--app", a, ("client_id", "client_secret", "login"), 2)
                for a in app_credentials
            ]
            if app_credentials
            else None,
            "refresh_tokens": refresh_token,
            "limits.rate_limit_per_hour": rate_limit,
            "limits.unauthenticated_rate_limit_per_hour": unauthenticated_rate_limit,
            "limits.max_concurrent": max_concurrent,
            "limits.max_per_minute": max_per_minute,
            "limits.limited_status": limited_status,
            "limits.access_token_lifetime_s": access_token_lifetime,
            "limits.refresh_token_lifetime_s": refresh_token_lifetime,
            "latency_ms": latency_ms,
            "public_base_url": public_base_url,
        },
    )

    def announce(base: str) -> None:
        typer.echo(
            f"GitHub stand-in on {base} (API {base}, token {base}/login/oauth/access_token, "
            f"admin {base}/_admin); {', '.join(settings.repositories)}; Ctrl-C stops it",
            err=True,
        )

    serve_github(settings, announce)


app = typer.Typer(name="tunestream-emulator", pretty_exceptions_enable=False, add_completion=False)
app.callback(invoke_without_command=True)(emulator)
app.command("github")(github)


def main() -> None:
    """Console-script entry point: an EmulatorError is one line on stderr and its exit code."""
    try:
        app(prog_name="tunestream-emulator")
    except EmulatorError as exc:
        typer.echo(f"tunestream-emulator: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("tunestream-emulator: interrupted", err=True)
        sys.exit(130)
