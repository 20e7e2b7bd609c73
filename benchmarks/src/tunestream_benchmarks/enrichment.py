"""``tunestream bench enrichment``: how many new tracks a day ReccoBeats, Deezer and MusicBrainz
keep up with under their limits.

The Spotify emulator (its own process, its release clock paused) releases a day of about
``tracks`` new tracks; one cycle of the ``spotify`` spec (development credentials, mode ``full``)
writes them to a fresh ``tracks`` topic: the catalog's own track ids and ISRCs, which the
emulator's ReccoBeats, Deezer and MusicBrainz stand-ins know (a share of them each). Each variant
below is then one ``tunestream produce --once`` of an enrichment source in its own process, on
topics and a consumer group of its own, reading that topic with the spec's request budget,
against the stand-ins with their limits on (their defaults):

- **shipped** — the spec as shipped: ReccoBeats 40 Spotify ids a request at 5 a second, Deezer
  one ISRC a request at 8 a second, MusicBrainz one search for 25 ISRCs at 0.9 a second;
- **baseline** — a copy with ``batch.max: 1`` (ReccoBeats, MusicBrainz: for MusicBrainz the
  one-ISRC search), reading the first ``baseline_tracks`` tracks of the topic (its root's
  ``max_records``: one request a track at 0.9 a second would take long for the whole topic; its
  measures are per track). Deezer has no batch endpoint: its shipped variant is its baseline;
- **sampled** — Deezer with ``DEEZER_SAMPLE``: only the ISRCs whose hash falls under the share.

Per variant: requests and the answers refused by the limit (429, Deezer's error code 4, 503) from
the stand-ins' counts (``/_admin/requests/enrich`` before and after), the tracks read (the
topic's records before the position the source's consumer group committed), the records written
(``read_committed``) and the cycle's duration as the producer logs it. Tracks a second are tracks
read ÷ that duration, a day x 86,400: a source keeps up with a volume where that is at least it.

The APIs' facts the specs rely on: ReccoBeats answers up to 40 ids a request
(https://reccobeats.com/docs/apis/get-audio-features) and publishes no rate (the stand-in's 30 a
second is its choice); Deezer allows 50 requests per 5 s (https://developers.deezer.com/api,
"Quota"); MusicBrainz one a second (https://musicbrainz.org/doc/MusicBrainz_API/Rate_Limiting)
and a search of ISRCs joined by ``OR`` (https://musicbrainz.org/doc/MusicBrainz_API/Search).
"""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import yaml

from tunestream.config import KafkaSettings, Settings
from tunestream.kafka.broker import LocalBroker
from tunestream.spec.loader import load_spec
from tunestream.spec.models import TopicResource
from tunestream_benchmarks.capacity import retention_days
from tunestream_benchmarks.conditional import cycle_seconds
from tunestream_benchmarks.emulated import Emulator, spotify_environ, start_emulator
from tunestream_benchmarks.isolated import IsolatedSource, TopicRecords
from tunestream_emulator.enrich.deezer import QUOTA_SECONDS

__all__ = [
    "VARIANTS",
    "EnrichmentOptions",
    "EnrichmentResult",
    "Run",
    "baseline_spec",
    "run",
    "stand_in_counts",
]

VARIANTS = (
    ("reccobeats", "baseline"),
    ("reccobeats", "shipped"),
    ("deezer", "shipped"),
    ("deezer", "sampled"),
    ("musicbrainz", "baseline"),
    ("musicbrainz", "shipped"),
)
_MODES = {"reccobeats": "features", "deezer": "by-isrc", "musicbrainz": "recordings"}
"""The lookups of the tracks topic alone (Deezer's ``full`` lists its editorial releases too)."""
_COUNTS = {  # in /_admin/requests/enrich: answers by status, refusals by the limit
    "reccobeats": ("statuses", "rate_limited"),
    "deezer": ("answers", "quota_exceeded"),
    "musicbrainz": ("statuses", "rate_limited"),
}
_CLIENT = ("bench-development", "bench-secret")
_CONTACT = "tunestream-bench@example.org"
_FILL_RATE = {"requests_per_second": 200, "max_concurrency": 8}
"""The spotify source's budget while it fills the topic: the emulator's own limit is off."""
_DAY_S = 86_400


@dataclass(frozen=True)
class EnrichmentOptions:
    tracks: int = 1_000
    """New tracks of the emulator's day: about as many reach the tracks topic."""
    baseline_tracks: int = 150
    """Tracks the one-id-a-request baselines read (their root's ``max_records``)."""
    deezer_sample: float = 0.6

    @property
    def command(self) -> str:
        return (
            f"tunestream bench enrichment --tracks {self.tracks} "
            f"--baseline-tracks {self.baseline_tracks} --deezer-sample {self.deezer_sample:g}"
        )


@dataclass(frozen=True)
class Run:
    """One ``produce --once`` of an enrichment source over the tracks topic."""

    source: str
    variant: str
    tracks: int
    """Tracks read: the topic's records before the position its consumer group committed."""
    requests: int
    refused: int
    """Answers refused by the stand-in's limit."""
    written: int
    cycle_s: float

    @property
    def per_track(self) -> float:
        return self.requests / self.tracks

    @property
    def tracks_per_s(self) -> float:
        return self.tracks / self.cycle_s

    @property
    def per_day(self) -> float:
        return self.tracks_per_s * _DAY_S

    def keeps_up(self, tracks_per_day: float) -> bool:
        return self.per_day >= tracks_per_day


@dataclass(frozen=True)
class EnrichmentResult:
    tracks: int
    """Tracks in the topic."""
    runs: list[Run]
    budgets: dict[str, float]
    """Each spec's requests a second."""
    max_records: int
    """Of the shipped specs' topic roots: what a cycle reads at most."""
    retention_days: float
    """Of the tracks topic."""

    def run(self, source: str, variant: str) -> Run:
        return next(r for r in self.runs if (r.source, r.variant) == (source, variant))


# -- the pure parts ------------------------------------------------------------------------------


def baseline_spec(shipped: Mapping[str, Any], tracks: int) -> dict[str, Any]:
    """The spec (as parsed YAML) asking for one id a request, its topic roots reading at most
    ``tracks`` records."""
    baseline = copy.deepcopy(dict(shipped))
    for resource in baseline["resources"].values():
        if "batch" in resource:
            resource["batch"]["max"] = 1
        if resource["kind"] == "topic":
            resource["max_records"] = tracks
    return baseline


def stand_in_counts(
    source: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[int, int]:
    """Requests and refusals of ``source``'s stand-in between two ``/_admin/requests/enrich``."""
    answers, refusals = _COUNTS[source]
    requests = sum(after[source][answers].values()) - sum(before[source][answers].values())
    return requests, after[source][refusals] - before[source][refusals]


# -- the runs ------------------------------------------------------------------------------------


class _Bench:
    """The emulator, and the tracks topic the spotify source fills from it."""

    def __init__(
        self, kafka: KafkaSettings, emulator: Emulator, folder: Path, options: EnrichmentOptions
    ) -> None:
        self.kafka = kafka
        self.emulator = emulator
        self.folder = folder
        self.options = options
        self.environ = {
            **spotify_environ(emulator, _CLIENT),
            "RECCOBEATS_API_URL": f"{emulator.base}/reccobeats/v1",
            "DEEZER_API_URL": f"{emulator.base}/deezer",
            "MUSICBRAINZ_API_URL": f"{emulator.base}/musicbrainz/ws/2",
            "MUSICBRAINZ_CONTACT": _CONTACT,
            "DEEZER_SAMPLE": "1",  # every ISRC, whatever the environment says
        }
        self.timeout_s = 300 + 3 * options.tracks  # past a request a track at 0.9 a second
        source = {"mode": "full", "rate_limit": _FILL_RATE}
        self.spotify = IsolatedSource("spotify", "spotify", kafka, folder, self.environ, source)
        self.topic = self.spotify.created["spotify.tracks"]
        self.tracks = TopicRecords(kafka, {self.topic.name: "tracks"})
        self.total = 0

    def fill(self) -> int:
        """One cycle of the spotify source over the emulator's day; the tracks it wrote."""
        self.spotify.produce(self.timeout_s)
        self.total = self.tracks.since(dict.fromkeys(self.tracks.ends(), 0))["tracks"]
        return self.total

    def variant(self, source: str, variant: str) -> Run:
        """One ``produce --once`` of ``source`` as ``variant``, from the start of the topic."""
        spec = source
        if variant == "baseline":
            shipped = resources.files("tunestream.sources") / f"{source}.yaml"
            path = self.folder / f"{source}-one-id-a-request.yaml"
            one_id = baseline_spec(
                yaml.safe_load(shipped.read_text()), self.options.baseline_tracks
            )
            path.write_text(yaml.safe_dump(one_id))
            spec = str(path)
        environ = dict(self.environ)
        if variant == "sampled":
            environ["DEEZER_SAMPLE"] = f"{self.options.deezer_sample:g}"
        enricher = IsolatedSource(
            f"{source}-{variant}",
            spec,
            self.kafka,
            self.folder,
            environ,
            {"mode": _MODES[source]},
            {"tracks": self.topic},  # the key the specs' topic roots read: Spotify's tracks
        )
        try:
            time.sleep(QUOTA_SECONDS)  # the stand-ins' longest window: each variant meets it empty
            before = self.emulator.admin("requests/enrich")
            ends = enricher.records.ends()
            log = enricher.produce(self.timeout_s)
            after = self.emulator.admin("requests/enrich")
            unread = self.tracks.since(enricher.committed(self.topic.name))["tracks"]
            written = sum(enricher.records.since(ends).values())
        finally:
            enricher.close()
        requests, refused = stand_in_counts(source, before, after)
        return Run(
            source, variant, self.total - unread, requests, refused, written, cycle_seconds(log)
        )

    def close(self) -> None:
        self.tracks.close()
        self.spotify.close()


def measure(
    kafka: KafkaSettings, options: EnrichmentOptions, say: Callable[[str], None]
) -> EnrichmentResult:
    """Fill a tracks topic from the emulator, then run every variant over it."""
    development = {"client_id": _CLIENT[0], "client_secret": _CLIENT[1], "profile": "development"}
    with tempfile.TemporaryDirectory(prefix="tunestream-bench-") as tmp:
        emulator = start_emulator(
            Path(tmp),
            tracks_per_day=options.tracks,
            history_days=1,
            rate_limit_per_30s=None,
            clients=[development],
        )
        try:
            httpx.post(f"{emulator.base}/_admin/clock", json={"paused": True}).raise_for_status()
            bench = _Bench(kafka, emulator, Path(tmp), options)
            try:
                say(f"enrichment: the spotify source reads a day of ~{options.tracks:,} tracks …")
                tracks = bench.fill()
                runs = []
                for source, variant in VARIANTS:
                    say(f"enrichment: {source}, {variant} over {tracks:,} tracks …")
                    runs.append(bench.variant(source, variant))
            finally:
                bench.close()
        finally:
            emulator.stop()
    specs = {name: load_spec(name, environ=bench.environ) for name in _MODES}
    roots = [
        r for s in specs.values() for r in s.resources.values() if isinstance(r, TopicResource)
    ]
    return EnrichmentResult(
        tracks,
        runs,
        {name: spec.client.rate_limit.requests_per_second for name, spec in specs.items()},
        min(r.max_records for r in roots),
        retention_days(kafka.topics["tracks"]),
    )


def run(
    settings: Settings, options: EnrichmentOptions, say: Callable[[str], None] = print
) -> EnrichmentResult:
    """Measure on the configured cluster (the local broker, started if needed)."""
    kafka = settings.kafka
    broker = LocalBroker(kafka.local, settings.data_dir) if kafka.uses_local_broker else None
    started_broker = broker.start() if broker is not None else False
    try:
        return measure(kafka, options, say)
    finally:
        if broker is not None and started_broker:
            broker.stop()
