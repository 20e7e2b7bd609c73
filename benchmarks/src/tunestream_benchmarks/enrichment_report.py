"""The section ``tunestream bench enrichment`` writes: per source, what each variant asked and how
many tracks a second it read under the stand-in's limit; the batched specs ÷ their one-id
baselines; requests an hour; and where a source cannot keep up with 100,000 or 1,000,000 new
tracks a day, how its backlog grows (arrival - capacity a day) until tracks leave the topic
unread (read in arrival order, the oldest unread track is ``D x (1 - c/a)`` old after D days).
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime

from tunestream.sources.settings import default_sources
from tunestream_benchmarks.capacity import CAPACITY_DAYS
from tunestream_benchmarks.common import cpu_model
from tunestream_benchmarks.enrichment import EnrichmentOptions, EnrichmentResult, Run
from tunestream_benchmarks.plots import table
from tunestream_emulator.enrich.deezer import QUOTA_SECONDS
from tunestream_emulator.settings import EmulatorSettings

__all__ = ["expires_after_days", "report"]

_DEFAULTS = EmulatorSettings()
_SOURCES = {  # name, the stand-in's limit (its default) and how it refuses past it
    "reccobeats": ("ReccoBeats", f"{_DEFAULTS.reccobeats_rate} requests a second, then 429"),
    "deezer": (
        "Deezer",
        f"{_DEFAULTS.deezer_quota} requests per {QUOTA_SECONDS:g} s, then error code 4",
    ),
    "musicbrainz": ("MusicBrainz", f"{_DEFAULTS.musicbrainz_rate} request a second, then 503"),
}
_SCHEDULE = {source.spec: (source.interval_s, source.jitter_s) for source in default_sources()}
"""Of the default configuration's sources: a cycle starts interval ± jitter after the last."""
_HOURS = 24


def expires_after_days(arrival: float, capacity: float, retention: float) -> float:
    """Days until tracks leave a topic of ``retention`` days unread, arriving at ``arrival`` a
    day and read at ``capacity`` a day (less) in arrival order."""
    return retention * arrival / (arrival - capacity)


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _label(run: Run, options: EnrichmentOptions) -> str:
    if run.variant == "sampled":
        return f"sampled (`DEEZER_SAMPLE={options.deezer_sample:g}`)"
    return "baseline (`batch.max: 1`)" if run.variant == "baseline" else "shipped"


def _source_table(result: EnrichmentResult, source: str, options: EnrichmentOptions) -> str:
    rows = [
        [
            _label(run, options),
            f"{run.tracks:,}",
            f"{run.requests:,}",
            f"{run.per_track:.3f}",
            f"{run.refused:,}",
            f"{run.written:,}",
            f"{run.cycle_s:.1f}",
            f"{run.tracks_per_s:,.2f}",
            f"{run.per_day:,.0f}",
            *(_yes(run.keeps_up(volume)) for volume in CAPACITY_DAYS),
        ]
        for run in result.runs
        if run.source == source
    ]
    header = ["variant", "tracks read", "requests", "requests/track", "refused", "written"]
    keeps_up = [f"keeps up at {volume:,}/day" for volume in CAPACITY_DAYS]
    return table([*header, "cycle s", "tracks/s", "tracks a day", *keeps_up], rows)


def _ratios_table(result: EnrichmentResult) -> str:
    rows = []
    for source in dict.fromkeys(run.source for run in result.runs if run.variant == "baseline"):
        shipped, base = result.run(source, "shipped"), result.run(source, "baseline")
        rows.append(
            [
                _SOURCES[source][0],
                f"{shipped.per_track / base.per_track:.3f}",
                f"{shipped.tracks_per_s / base.tracks_per_s:.1f}",
            ]
        )
    return table(["shipped ÷ baseline", "requests/track", "tracks/s"], rows)


def _hourly_table(result: EnrichmentResult, options: EnrichmentOptions) -> str:
    rows = [
        [
            f"{_SOURCES[run.source][0]}, {_label(run, options)}",
            f"{result.budgets[run.source] * 3600:,.0f}",
            *(f"{run.per_track * volume / _HOURS:,.0f}" for volume in CAPACITY_DAYS),
        ]
        for run in result.runs
    ]
    needed = [f"needed at {volume:,}/day" for volume in CAPACITY_DAYS]
    return table(["source, variant", "budget an hour", *needed], rows)


def _backlog_table(result: EnrichmentResult, options: EnrichmentOptions) -> str:
    rows = [
        [
            f"{_SOURCES[run.source][0]}, {_label(run, options)}",
            f"{volume:,}",
            f"{run.per_day:,.0f}",
            f"{volume - run.per_day:,.0f}",
            f"{expires_after_days(volume, run.per_day, result.retention_days):.0f}",
        ]
        for volume in CAPACITY_DAYS
        for run in result.runs
        if not run.keeps_up(volume)
    ]
    if not rows:
        return "Every variant keeps up at both volumes."
    header = ["source, variant", "tracks a day", "capacity a day", "backlog grows a day"]
    return table([*header, "tracks expire unread after (days)"], rows)


def _sampled(result: EnrichmentResult, options: EnrichmentOptions) -> str:
    sampled, shipped = result.run("deezer", "sampled"), result.run("deezer", "shipped")
    looked_up = sampled.requests - sampled.refused
    top = max(CAPACITY_DAYS)
    return f"""Deezer's spec has a way out where one ISRC a request cannot keep up: `DEEZER_SAMPLE`
looks up only the ISRCs whose hash falls under the share (the same ones every run, so a track
never looked up is not asked for later either). With `DEEZER_SAMPLE={options.deezer_sample:g}`
it looked up {looked_up:,} of the {sampled.tracks:,} tracks it read
({looked_up / sampled.tracks:.0%}; {sampled.written:,} found, against {shipped.written:,} when
all were looked up) at {sampled.tracks_per_s:,.2f} tracks read a second, {sampled.per_day:,.0f} a
day: it keeps up at {top:,} a day: {_yes(sampled.keeps_up(top))}."""


def _lag(result: EnrichmentResult) -> str:
    shipped = [run for run in result.runs if run.variant == "shipped"]
    interval, jitter = max(_SCHEDULE[run.source] for run in shipped)
    slowest = max(shipped, key=lambda run: run.cycle_s)
    low = min(CAPACITY_DAYS)
    cycles = ", ".join(
        f"{_SOURCES[run.source][0]} {run.tracks:,} tracks in {run.cycle_s:.1f} s" for run in shipped
    )
    return f"""End-to-end lag: in the default configuration each of the three starts a cycle
{interval:g} s (± {jitter:g} s of jitter) after its last one started, and reads the tracks written
since: a track waits at most {interval + jitter:g} s for a cycle, then that cycle's duration. At
{low:,} tracks a day an interval brings {low * interval / 86_400:.0f} tracks, and the topic's
{result.tracks:,} are {result.tracks * 1_440 / low:.0f} minutes of arrivals; the shipped cycles
above read {cycles}. A cycle of an interval's tracks is shorter, so at that volume a track's
enrichments reach Kafka within {interval + jitter:g} s plus less than {slowest.cycle_s:.0f} s (the
slowest cycle, {_SOURCES[slowest.source][0]}'s)."""


def report(result: EnrichmentResult, options: EnrichmentOptions) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = "\n\n".join(
        f"### {title}: {result.budgets[source]:g} requests a second against {limit}\n\n"
        + _source_table(result, source, options)
        for source, (title, limit) in _SOURCES.items()
    )
    return f"""## Enrichment capacity

Command: `{options.command}`

Run {now} on {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, against
the Spotify emulator (its own process, its release clock paused) with its ReccoBeats, Deezer and
MusicBrainz stand-ins at their default limits (ReccoBeats publishes none: its 30 a second is the
stand-in's choice), and the configured Kafka cluster. One cycle of
the `spotify` spec (development credentials, mode `full`) wrote {result.tracks:,} tracks of the
emulator's day to a fresh `tracks` topic: the catalog's own ids and ISRCs. Each row is then one
`tunestream produce --once` of an enrichment source in its own process, with topics and a
consumer group of its own, reading that topic with the spec's request budget:

- **shipped**: the spec as shipped: ReccoBeats 40 Spotify ids a request, Deezer one ISRC a
  request (Deezer has no batch endpoint: this is its baseline too), MusicBrainz one search for
  25 ISRCs;
- **baseline**: a copy with `batch.max: 1`, one id a request (for MusicBrainz the one-ISRC
  search), reading the first {options.baseline_tracks:,} tracks of the topic (its root's
  `max_records`): its measures are per track;
- **sampled**: Deezer with `DEEZER_SAMPLE={options.deezer_sample:g}`.

Requests and refused answers are the stand-in's counts; tracks read are the topic's records
before the position the source's consumer group committed; written are the enrichments the cycle
committed (the stand-ins know a share of the tracks); "cycle s" is the cycle as the producer
logs it, and tracks/s = tracks read ÷ cycle s, a day x 86,400. A cycle's fixed cost (opening the
topic, the last commit) is in it: the batched rates are lower bounds. One run of each.

{sections}

{_ratios_table(result)}

Requests an hour, needed (requests/track x the tracks of an hour) against the spec's budget:

{_hourly_table(result, options)}

Where a source cannot keep up, nothing is dropped at first: a cycle reads at most
`max_records` ({result.max_records:,}) tracks of the topic and, while some are left, the next
starts at once instead of after its interval, so the source runs back to back at its budget and
the rest waits in the topic: its consumer group's lag grows by arrival - capacity a day. The
`tracks` topic keeps {result.retention_days:g} days; read in arrival order, tracks start to
leave it unread after retention x arrival ÷ (arrival - capacity) days:

{_backlog_table(result, options)}

{_sampled(result, options)}

{_lag(result)}
"""
