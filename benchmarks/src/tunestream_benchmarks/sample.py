"""A day of releases as the producer writes it: the records of one full-discovery cycle.

The Spotify emulator (its own process) releases a small day; one cycle of the ``spotify`` spec in
``full`` mode fetches all of it with the extended credentials, and the records it would commit are
kept instead of written (keys, values and headers exactly as produced). The development
credentials' plan is found out against the same emulator, as ``tunestream produce --plan`` does.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from tunestream.config import DEFAULT_TOPICS, Settings, SourceSettings
from tunestream.http.client import RestClient
from tunestream.records import Record
from tunestream.runtime.committer import Committer, MemoryWriter
from tunestream.runtime.cycle import CycleRunner
from tunestream.runtime.plan import Plan
from tunestream.runtime.service import STATE_TOPIC, Producer
from tunestream.sources.spotify import ENTITIES
from tunestream.spec.loader import load_spec
from tunestream.spec.models import SourceSpec
from tunestream.state.work import WorkState
from tunestream_benchmarks.common import BenchError, free_port, spawn

__all__ = ["ENTITY_TOPICS", "MODE", "Sample", "record_bytes", "take_sample"]

MODE = "full"
"""Every release of the day: what capacity is about (new-releases is an editorial selection)."""
ENTITY_TOPICS = tuple(e.topic for e in ENTITIES)
_EXTENDED = ("bench-extended", "bench-secret", "extended")
_DEVELOPMENT = ("bench-development", "bench-secret", "development")


def record_bytes(record: Record) -> int:
    """What a record carries: key, value and headers."""
    headers = sum(len(name) + len(value) for name, value in record.headers)
    return len(record.key) + len(record.value or b"") + headers


@dataclass(frozen=True)
class Sample:
    """The records of one day's cycle (topic = the ``kafka.topics`` key) and both plans."""

    spec: SourceSpec
    records: list[Record]
    tracks: int
    plans: dict[str, Plan]
    """``extended`` and ``development``: how each resource is fetched with those credentials."""

    def count(self, topic: str) -> int:
        return sum(1 for r in self.records if r.topic == topic)

    def mean_bytes(self) -> dict[str, float]:
        return {
            topic: statistics.mean(record_bytes(r) for r in self.records if r.topic == topic)
            for topic in ENTITY_TOPICS
        }

    def per_track(self) -> dict[str, float]:
        """Records per new track, per topic."""
        counts = Counter(r.topic for r in self.records)
        return {topic: counts[topic] / self.tracks for topic in ENTITY_TOPICS}


def take_sample(tracks_per_day: int) -> Sample:
    """Start the emulator with a day of ``tracks_per_day``, run one cycle, stop it."""
    port = free_port()
    emulator = spawn(
        [
            sys.executable, "-m", "tunestream_emulator", "--port", str(port),
            "--tracks-per-day", str(tracks_per_day), "--history-days", "1", "--seed", "3",
            "--clock-start", "2026-11-20T12:00:00", "--rate-limit", "0",
            "--client", ":".join(_EXTENDED), "--client", ":".join(_DEVELOPMENT),
        ],
        port,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while httpx.get(f"{base}/_admin/health").json()["warming_up"]:
            if time.monotonic() > deadline:
                raise BenchError("the emulator's search index was not built within 120 s")
            time.sleep(0.2)
        extended = _spec(base, _EXTENDED)
        records = asyncio.run(_cycle(_unthrottled(extended)))
        development = asyncio.run(_detect(_unthrottled(_spec(base, _DEVELOPMENT))))
        tracks = httpx.get(f"{base}/_admin/truth").json()["new"]["tracks"]
    finally:
        emulator.terminate()
        emulator.wait(10)
    entity = [r for r in records if r.topic in ENTITY_TOPICS]
    if not any(r.topic == "tracks" for r in entity):
        raise BenchError("the sample cycle emitted no tracks")
    initial = Plan.initial(extended, MODE, frozenset())
    return Sample(extended, entity, tracks, {"extended": initial, "development": development})


def _spec(base: str, client: tuple[str, str, str]) -> SourceSpec:
    environ = {
        "SPOTIFY_API_URL": f"{base}/v1",
        "SPOTIFY_ACCOUNTS_URL": base,
        "SPOTIFY_CLIENT_ID": client[0],
        "SPOTIFY_CLIENT_SECRET": client[1],
    }
    return load_spec("spotify", environ=environ)


def _unthrottled(spec: SourceSpec) -> SourceSpec:
    """The spec with a request budget the emulator (no rate limit here) can take."""
    budget = spec.client.rate_limit.model_copy(update={"requests_per_second": 5000.0})
    return spec.model_copy(update={"client": spec.client.model_copy(update={"rate_limit": budget})})


async def _cycle(spec: SourceSpec) -> list[Record]:
    """One cycle whose units are kept in memory instead of written to Kafka."""
    kept: list[Record] = []
    state = WorkState()
    committer = Committer(
        MemoryWriter.pair(kept.extend), state, state_topic=STATE_TOPIC, prefix="sample/"
    )
    plan = Plan.initial(spec, MODE, frozenset())
    topics = {key: key for key in DEFAULT_TOPICS}
    async with RestClient.from_config(spec.client) as client:
        runner = CycleRunner(
            spec,
            client,
            state,
            committer,
            plan,
            topics,
            concurrency=spec.client.rate_limit.max_concurrency,
        )
        report = await runner.run(MODE)
    if not report.completed:
        raise BenchError(f"the sample cycle did not complete: {report.interrupted}")
    return kept


async def _detect(spec: SourceSpec) -> Plan:
    settings = Settings(sources=[SourceSettings.model_validate({"mode": MODE})])
    return await Producer(settings, spec=spec).detect_plan()
