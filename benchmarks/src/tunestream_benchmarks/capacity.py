"""Capacity for a number of new tracks a day: API requests, Kafka bytes and storage, headroom.

Everything scales from a measured day (:mod:`tunestream_benchmarks.sample`): records per track and
mean record size per topic as produced. Requests come from the spec and a plan: a lookup fetched
in batches costs ``ceil(items / batch.max)`` requests per hourly cycle, one fetched item by item
costs one per item, a closed one nothing; an embedded list (an album's tracks) costs its extra
pages. Discovery comes from ``bench discovery`` (``discovery.Measure``): a rolling cycle's
budget, and the first and complete passes scaled by their measured requests per album of the
window; without a measurement for the plan's credentials it is not counted. Storage is bytes a
day ÷ the zstd ratio measured on the broker's disk x the topic's retention x its replication
factor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tunestream.config import TopicSettings
from tunestream.http.jsonpath import lookup
from tunestream.runtime.plan import Access
from tunestream.spec.models import ListResource, LookupResource, PagesResource
from tunestream_benchmarks.discovery import Measure
from tunestream_benchmarks.plots import bars, table
from tunestream_benchmarks.sample import ENTITY_TOPICS, Sample

__all__ = [
    "CAPACITY_DAYS",
    "CYCLES_PER_DAY",
    "Measured",
    "Storage",
    "bytes_per_day",
    "plots",
    "report",
    "requests_per_hour",
    "retention_days",
    "storage",
]

CAPACITY_DAYS = (100_000, 1_000_000)
"""New tracks a day the capacity is worked out for: today's real load, and ten times it."""
CYCLES_PER_DAY = 24
"""The producer's default: a cycle an hour (``source.interval_s``)."""
_BROKER_DEFAULT_RETENTION_DAYS = 7.0  # log.retention.hours = 168


def requests_per_hour(
    sample: Sample,
    plan: str,
    tracks_per_day: float,
    discovery: Mapping[str, Measure] | None = None,
) -> dict[str, int]:
    """API requests of one hourly cycle per resource, for ``tracks_per_day`` new tracks; a
    search root's from the discovery measured for ``plan`` (missing where none was)."""
    spec, access = sample.spec, sample.plans[plan]
    scale = tracks_per_day / CYCLES_PER_DAY / sample.tracks
    out: dict[str, int] = {}
    for name in spec.order():
        resource = spec.resources[name]
        if not access.is_open(name):
            out[name] = 0
        elif isinstance(resource, ListResource):
            measure = (discovery or {}).get(plan)
            if name not in access.roots:
                out[name] = 0
            elif measure is not None:
                out[name] = measure.at(tracks_per_day)[3]  # a rolling cycle
        elif isinstance(resource, LookupResource):
            items = _emitted(sample, name) * scale
            batch = resource.batch
            if access.access[name] is Access.BATCH and batch is not None:
                out[name] = math.ceil(items / batch.max)
            else:
                out[name] = math.ceil(items)
        else:
            assert isinstance(resource, PagesResource), "the Spotify spec has no sublist"
            out[name] = math.ceil(_extra_pages(sample, resource) * scale)
    return out


def _emitted(sample: Sample, name: str) -> int:
    emit = sample.spec.emits(name)
    return sample.count(emit) if emit else 0


def _extra_pages(sample: Sample, resource: PagesResource) -> int:
    """Pages past the embedded first one, over the sample's parent records."""
    parent = sample.spec.resources[resource.from_]
    topic = parent.emit if isinstance(parent, LookupResource) else None
    pages = 0
    for record in sample.records:
        if record.topic != topic or record.value is None:
            continue
        embedded = lookup(orjson.loads(record.value), resource.embedded)
        if not isinstance(embedded, dict):
            continue
        first = len(embedded.get("items") or [])
        total = int(embedded.get("total") or 0)
        if total > first > 0:
            pages += math.ceil((total - first) / int(embedded.get("limit") or first))
    return pages


def bytes_per_day(sample: Sample, tracks_per_day: float) -> dict[str, float]:
    """Bytes (key + value + headers) a day per entity topic."""
    per_track, size = sample.per_track(), sample.mean_bytes()
    return {topic: per_track[topic] * tracks_per_day * size[topic] for topic in ENTITY_TOPICS}


def retention_days(topic: TopicSettings) -> float:
    """The topic's retention in days; inf when unbounded."""
    if topic.retention_ms is None:
        return _BROKER_DEFAULT_RETENTION_DAYS
    if topic.retention_ms < 0:
        return math.inf
    return topic.retention_ms / 86_400_000


@dataclass(frozen=True)
class Storage:
    topic: str
    bytes_per_day: float
    ratio: float
    days: float
    replication: int

    @property
    def stored_bytes(self) -> float:
        return self.bytes_per_day / self.ratio * self.days * self.replication


def storage(
    sample: Sample,
    tracks_per_day: float,
    topics: dict[str, TopicSettings],
    ratios: dict[str, float],
) -> list[Storage]:
    """Kafka storage per entity topic at its configured retention and replication."""
    daily = bytes_per_day(sample, tracks_per_day)
    return [
        Storage(
            topic,
            daily[topic],
            ratios[topic],
            retention_days(topics[topic]),
            topics[topic].replication_factor,
        )
        for topic in ENTITY_TOPICS
    ]


# -- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """Rates measured on this machine in the same run (None: not measured in this run)."""

    producer_records_per_s: float | None
    producer_megabytes_per_s: float | None
    discovery: Mapping[str, Measure] = field(default_factory=dict)
    """``bench discovery``'s last results by plan (credentials)."""


def _size(value: float) -> str:
    if math.isinf(value):
        return "unbounded"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= scale:
            return f"{value / scale:,.1f} {unit}"
    return f"{value:,.0f} B"


def _headroom(measured: float | None, needed: float) -> str:
    if measured is None:
        return "not measured in this run"
    ratio = measured / needed
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2f}x"


def report(
    sample: Sample,
    days: tuple[int, ...],
    topics: dict[str, TopicSettings],
    ratios: dict[str, float],
    measured: Measured,
    images: list[str],
    command: str,
) -> str:
    """The markdown section for each of ``days`` (new tracks a day)."""
    spec = sample.spec
    hourly_budget = spec.client.rate_limit.requests_per_second * 3600
    plans = list(sample.plans)
    request_rows = []
    for name in spec.order():
        cells = [name]
        for plan in plans:
            for tracks in days:
                hourly = requests_per_hour(sample, plan, tracks, measured.discovery)
                cells.append(f"{hourly[name]:,}" if name in hourly else "not measured")
        request_rows.append(cells)
    totals = ["**total an hour**"]
    shares = ["÷ the spec's starting budget"]
    for plan in plans:
        for tracks in days:
            total = sum(requests_per_hour(sample, plan, tracks, measured.discovery).values())
            totals.append(f"**{total:,}**")
            shares.append(f"{total / hourly_budget:.1%}")
    header = ["resource"] + [f"{plan}, {tracks:,}/day" for plan in plans for tracks in days]
    requests = table(header, [*request_rows, totals, shares])
    discovery = _discovery_table(measured.discovery, days)
    described = "\n".join(
        f"- {plan}: " + "; ".join(sample.plans[plan].describe(spec)) for plan in plans
    )

    per_track, mean = sample.per_track(), sample.mean_bytes()
    topic_rows = []
    for topic in ENTITY_TOPICS:
        settings = topics[topic]
        cells = [
            f"{topic} (`{settings.name}`)",
            f"{per_track[topic]:.3f}",
            f"{mean[topic]:,.0f}",
            f"{ratios[topic]:.2f}",
            f"{retention_days(settings):g} d x {settings.replication_factor}",
        ]
        for tracks in days:
            stored = storage(sample, tracks, topics, ratios)
            row = next(s for s in stored if s.topic == topic)
            cells += [_size(row.bytes_per_day), _size(row.stored_bytes)]
        topic_rows.append(cells)
    total_row = ["**all**", "", "", "", ""]
    for tracks in days:
        stored = storage(sample, tracks, topics, ratios)
        total_row += [
            f"**{_size(sum(s.bytes_per_day for s in stored))}**",
            f"**{_size(sum(s.stored_bytes for s in stored))}**",
        ]
    topic_header = ["topic", "records a track", "bytes a record", "zstd ratio", "retention"]
    for tracks in days:
        topic_header += [f"a day, {tracks:,}", f"stored, {tracks:,}"]
    bytes_table = table(topic_header, [*topic_rows, total_row])

    head_rows = []
    for tracks in days:
        records_s = sum(per_track.values()) * tracks / 86_400
        megabytes_s = sum(bytes_per_day(sample, tracks).values()) / 86_400 / 1e6
        head_rows.append(
            [
                f"{tracks:,}",
                f"{records_s:,.1f}",
                f"{megabytes_s:,.2f}",
                _headroom(measured.producer_records_per_s, records_s),
            ]
        )
    headroom = table(
        ["tracks a day", "records/s needed", "MB/s needed", "producer headroom"],
        head_rows,
    )
    producer = (
        "not measured in this run"
        if measured.producer_records_per_s is None or measured.producer_megabytes_per_s is None
        else f"{measured.producer_records_per_s:,.0f} records/s "
        f"({measured.producer_megabytes_per_s:,.1f} MB/s)"
    )
    return f"""## Capacity: 100,000 and 1,000,000 new tracks a day

Command: `{command}`

Scaled from one day measured against the emulator ({sample.tracks:,} new tracks, full discovery,
every record as the producer emits it). Requests: one cycle an hour ({CYCLES_PER_DAY} a day), each
fetching an hour of releases with the plan of each kind of credentials as found out against the
emulator (the spec's batch limits; the development plan steps down to single requests and skips
what is closed). The spec's starting budget is
{spec.client.rate_limit.requests_per_second:g} requests/s ({hourly_budget:,.0f} an hour).

{described}

Discovery (`new_albums`: search `tag:new`, the two-week window W, split past the 1,000-result
cap) does not scale with an hour of releases: a release can land on any page of any query
(search ranks by relevance), so every query is re-read. Measured by `bench discovery` at
the emulator's default volume, and scaled to the other by its requests per album of W: the first
pass (which builds the query tree), a complete pass over the kept tree, and the steady state —
rolling cycles of 0.4 x ceil(W / P) requests that read every part within N cycles.

{discovery}

{requests}

Bytes: key + value + headers as produced. The zstd ratio is measured on the broker: bytes written
÷ bytes of the topic's log segments, as the producer's exactly-once path batched them. Stored: a
day ÷ ratio x retention x replication factor, from the topic settings (`kafka.topics`).

{bytes_table}

Headroom on this machine (two shared cores): the producer's exactly-once write rate measured in
this run with the configured topics ({producer}). Needed: the daily average. The Spark job's
headroom is the rate at the batch size a day's backlog makes, read off its catch-up curve: see
the `spark-catchup` section (a small batch's rate is mostly the fixed cost of a batch, and
understates it by an order of magnitude).

{headroom}

{chr(10).join(images)}
"""


def _discovery_table(measures: Mapping[str, Measure], days: tuple[int, ...]) -> str:
    if not measures:
        return "Not measured yet: `tunestream bench discovery`."
    rows = []
    for plan, measure in measures.items():
        for tracks in days:
            window, first, complete, budget, cycles = measure.at(tracks)
            scaled = "measured" if tracks == measure.tracks_per_day else "scaled"
            rows.append(
                [
                    f"{plan} ({measure.page_size} a page)",
                    f"{tracks:,} ({scaled})",
                    f"{window:,}",
                    f"{first:,}",
                    f"{complete:,}",
                    f"{budget:,}",
                    str(cycles),
                ]
            )
    measured = "; ".join(sorted({m.measured for m in measures.values()}))
    header = ["credentials", "tracks a day", "W", "first pass", "complete pass", "a cycle", "N"]
    return f"{table(header, rows)}\n\nMeasured {measured}."


def plots(
    sample: Sample,
    days: tuple[int, ...],
    topics: dict[str, TopicSettings],
    ratios: dict[str, float],
    folder: Path,
    discovery: Mapping[str, Measure] | None = None,
) -> list[Path]:
    """Requests an hour per plan, and Kafka storage per topic, for each of ``days``."""
    labels = [f"{tracks:,} tracks/day" for tracks in days]
    requests = bars(
        folder / "capacity-requests.png",
        "API requests an hour",
        ("", "requests an hour"),
        labels,
        {
            plan: [
                sum(requests_per_hour(sample, plan, tracks, discovery).values()) for tracks in days
            ]
            for plan in sample.plans
        },
        log_y=True,
    )
    stored = {tracks: storage(sample, tracks, topics, ratios) for tracks in days}
    kafka = bars(
        folder / "capacity-storage.png",
        "Kafka storage at the configured retention",
        ("", "GB"),
        list(ENTITY_TOPICS),
        {
            label: [s.stored_bytes / 1e9 for s in stored[tracks]]
            for label, tracks in zip(labels, days, strict=True)
        },
        log_y=True,
    )
    return [requests, kafka]
