"""``tunestream bench spark``: the job's throughput against a no-op read, and its latency.

1. Write a synthetic catalog (albums, their tracks, audio features, analyses, artists; the
   producer's record contract) into fresh topics, in transactions.
2. Throughput, same run, same topics, all ``availableNow``: rounds of Spark reading the topics
   into the ``noop`` sink and of the job's stage 1 (Kafka → ``records``), each from a fresh
   checkpoint, after an unmeasured one of each (so that no measured run pays for warming up).
   The ratio is stage 1's records/s over the no-op read's, the median of the rounds', as Spark
   measures a query's batches (rows ÷ execution time; the query's start, which is mostly
   building the plan in Python, is once per run of the job, not per record); the wall-clock ratio
   is reported beside it. Then the whole job once: stage 1, then stage 2 (``records`` → the
   entity and derived tables), timed by the clock.
3. Latency: the job keeps running (stage 1 triggered every second, stage 2 at its configured
   interval) while records arrive at a steady rate; for each record, the time from its Kafka
   timestamp to the commit that added its row to ``records`` (from the file sink's log), and
   to the end of the stage-2 batch that merged it into the tables. p50 and p99.
The bench topics are deleted afterwards; tables and checkpoints live in a temporary folder.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from confluent_kafka import Producer
from pyspark.sql import SparkSession
from pyspark.sql.streaming.query import StreamingQuery

from tunestream.config import KafkaSettings, Settings
from tunestream.kafka.client import admin_client, client_config
from tunestream.kafka.topics import TopicAdmin
from tunestream.spark.ingest import RECORDS
from tunestream.spark.job import TOPIC_KEYS, Job, start_job
from tunestream.spark.session import build_session, kafka_options
from tunestream.tables.commits import commit_latencies

__all__ = [
    "BenchResult",
    "JobRun",
    "QueryRun",
    "bench_topics",
    "job_settings",
    "noop_read",
    "produce",
    "run_bench",
    "run_once",
    "synthetic_records",
]

Message = tuple[str, str, bytes, list[tuple[str, str | bytes | None]]]
"""(topics key, record key, value, headers)."""


@dataclass(frozen=True)
class BenchResult:
    records: int
    megabytes: float
    noop_records_per_s: float
    records_records_per_s: float
    """Stage 1: Kafka → ``records``."""
    ratio: float
    """Stage 1 ÷ the no-op read: the median of the rounds' ratios (each round's pair ran back to
    back, so what else the CPUs did touches both alike)."""
    round_ratios: list[float]
    """Each round's stage 1 ÷ no-op."""
    wall_ratio: float
    """The same from wall-clock seconds, each query's start included."""
    tables_records_per_s: float
    """Stage 2: ``records`` → the entity and derived tables."""
    job_records_per_s: float
    """Both stages, one after the other."""
    live_records: int
    latency_p50_s: float | None
    latency_p99_s: float | None
    """From the Kafka timestamp to the row in ``records``."""
    tables_latency_p50_s: float | None
    tables_latency_p99_s: float | None
    """From the Kafka timestamp to the stage-2 batch that merged the record into the tables."""
    tables_trigger_s: float
    master: str
    load_average: float
    """The machine's 1-minute load average when the run began (other work on the same CPUs)."""


def _headers(entity: str, market: str) -> list[tuple[str, str | bytes | None]]:
    return [
        ("tunestream.source", b"spotify"),
        ("tunestream.market", market.encode()),
        ("tunestream.fetched_at", datetime.now(UTC).isoformat().encode()),
        ("tunestream.cycle", b"bench"),
        ("tunestream.schema", f"spotify.{entity}.v1".encode()),
    ]


def _analysis(rng: random.Random) -> dict[str, Any]:
    def intervals(n: int, **extra: float) -> list[dict[str, float]]:
        return [{"start": i * 0.5, "duration": 0.5, "confidence": 0.5, **extra} for i in range(n)]

    return {
        "meta": {"analyzer_version": "4.0.0", "status_code": 0, "timestamp": 1700000000},
        "track": {
            "duration": 200.0,
            "tempo": rng.uniform(60, 180),
            "key": rng.randrange(12),
            "mode": rng.randrange(2),
            "time_signature": 4,
            "loudness": -8.0,
        },
        "bars": intervals(100),
        "beats": intervals(400),
        "sections": [
            {"start": i * 20.0, "duration": 20.0, "key": rng.randrange(12), "mode": 1.0}
            for i in range(10)
        ],
        "segments": [
            {
                "start": i * 0.25,
                "duration": 0.25,
                "loudness_max": -10.0,
                "pitches": [round(rng.random(), 3) for _ in range(12)],
                "timbre": [round(rng.uniform(-50, 50), 3) for _ in range(12)],
            }
            for i in range(400)
        ],
        "tatums": intervals(800),
    }


def synthetic_records(
    albums: int,
    tracks_per_album: int,
    seed: int = 7,
    prefix: str = "",
    *,
    artists_per_album: float = 0.5,
    analyses: bool = True,
    distinct_analyses: int | None = None,
) -> Iterator[Message]:
    """A catalog in the producer's record contract (five entities, the headers).

    ``analyses``: an audio analysis per track, or none. ``distinct_analyses``: build only that
    many and reuse them in turn (None: one per track). Building one takes Python milliseconds;
    what the job spends on it follows its bytes, and an analysis holds no id (its key is the
    track's), so reused documents cost the job what distinct ones do.
    """
    rng = random.Random(seed)
    markets = ["SE", "DE", "US", "GB", "JP"]
    artist_count = max(1, int(albums * artists_per_album))
    pool = [json.dumps(_analysis(rng)).encode() for _ in range(distinct_analyses or 0)]
    for a in range(artist_count):
        artist_id = f"{prefix}ar{a}"
        artist = {"id": artist_id, "name": f"Artist {a}", "genres": [f"g{a % 7}"], "type": "artist"}
        yield "artists", artist_id, json.dumps(artist).encode(), _headers("artist", "SE")
    for n in range(albums):
        album_id, market = f"{prefix}al{n}", markets[n % len(markets)]
        artists = [
            {"id": f"{prefix}ar{rng.randrange(artist_count)}", "name": "x", "type": "artist"}
        ]
        album = {
            "id": album_id,
            "name": f"Album {n}",
            "album_type": rng.choice(["album", "single", "compilation"]),
            "total_tracks": tracks_per_album,
            "release_date": "2026-11-20",
            "release_date_precision": "day",
            "artists": artists,
            "type": "album",
        }
        yield "albums", album_id, json.dumps(album).encode(), _headers("album", market)
        for t in range(tracks_per_album):
            track_id = f"{album_id}t{t}"
            track = {
                "id": track_id,
                "name": f"Track {t}",
                "album": {"id": album_id, "name": album["name"], "album_type": album["album_type"]},
                "artists": artists,
                "duration_ms": 180_000 + t,
                "explicit": rng.random() < 0.3,
                "external_ids": {"isrc": f"XX{n:06d}{t:03d}"},
                "track_number": t + 1,
                "type": "track",
            }
            yield "tracks", track_id, json.dumps(track).encode(), _headers("track", market)
            features = {
                "id": track_id,
                "danceability": rng.random(),
                "energy": rng.random(),
                "valence": rng.random(),
                "tempo": rng.uniform(60, 180),
                "key": rng.randrange(12),
                "mode": rng.randrange(2),
                "type": "audio_features",
            }
            yield (
                "audio_features",
                track_id,
                json.dumps(features).encode(),
                _headers("audio_features", market),
            )
            if not analyses:
                continue
            analysis = (
                pool[(n * tracks_per_album + t) % len(pool)]
                if pool
                else json.dumps(_analysis(rng)).encode()
            )
            yield "audio_analysis", track_id, analysis, _headers("audio_analysis", market)


def _producer(kafka: KafkaSettings) -> Producer:
    producer = Producer(
        {
            **client_config(kafka),
            "transactional.id": f"tunestream-spark-bench-{time.time_ns()}",
            "compression.type": "zstd",
            "message.max.bytes": 16 * 1024 * 1024,
            "linger.ms": 5,
        }
    )
    producer.init_transactions(30)
    return producer


def produce(
    kafka: KafkaSettings,
    messages: Iterator[Message],
    txn_size: int = 500,
    producer: Producer | None = None,
) -> tuple[int, int]:
    """Write the messages in transactions of ``txn_size``; (records, value bytes)."""
    producer = producer or _producer(kafka)
    count = size = 0
    producer.begin_transaction()
    for topic_key, key, value, headers in messages:
        topic = kafka.topics[topic_key].name
        producer.produce(topic, key=key.encode(), value=value, headers=headers)
        count += 1
        size += len(value)
        if count % txn_size == 0:
            producer.commit_transaction(60)
            producer.begin_transaction()
    producer.commit_transaction(60)
    return count, size


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def run_bench(
    settings: Settings,
    *,
    albums: int = 200,
    tracks_per_album: int = 5,
    live_seconds: float = 30,
    rounds: int = 5,
) -> BenchResult:
    """Run the three phases against ``settings.kafka`` with ``settings.spark.master``."""
    load_average = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="tunestream-spark-bench-"))
    with bench_topics(settings, f"bench{int(time.time())}") as kafka:
        records, size = produce(kafka, synthetic_records(albums, tracks_per_album))
        run_settings = job_settings(settings, kafka, work)
        spark = build_session(run_settings)
        # A first, unmeasured pass of each warms what the measured runs use: the JVM's compiled
        # code, the Kafka consumers, the page cache, the writers.
        noop_read(spark, kafka, work / "warm-up")
        _stage1(spark, job_settings(settings, kafka, work / "warm-up"))
        # Then rounds of one and the other, each from a fresh checkpoint: the medians are what
        # the other work on shared CPUs leaves of both.
        noop, stage1 = [], []
        for n in range(rounds):
            noop.append(noop_read(spark, kafka, work / f"noop{n}"))
            stage1.append(_stage1(spark, job_settings(settings, kafka, work / f"stage1-{n}")))
        job = Job.from_settings(run_settings)
        records_s, job_s = run_once(spark, run_settings, job)

        tables_latencies: list[float] = []
        live_job = Job(
            job.lake, job.topic_entities, job.features_timeout_s, latencies=tables_latencies
        )
        streams = start_job(spark, run_settings, job=live_job)
        live_since = time.time()
        live = _produce_live(kafka, live_seconds)
        deadline = time.monotonic() + 120 + live_seconds
        while len(tables_latencies) < live and time.monotonic() < deadline:
            time.sleep(0.5)
        streams.stop()
        spark.stop()
        latencies = commit_latencies(Path(job.lake.path(RECORDS)), "kafka_ts", live_since)

    def percentile(values: list[float], q: float) -> float | None:
        return round(_percentile(values, q), 2) if values else None

    pairs = list(zip(noop, stage1, strict=True))
    round_ratios = [s.rate / n.rate for n, s in pairs]
    return BenchResult(
        records=records,
        megabytes=round(size / 1e6, 1),
        noop_records_per_s=round(statistics.median(r.rate for r in noop), 1),
        records_records_per_s=round(statistics.median(r.rate for r in stage1), 1),
        ratio=round(statistics.median(round_ratios), 3),
        round_ratios=[round(r, 2) for r in round_ratios],
        wall_ratio=round(statistics.median(n.wall_s / s.wall_s for n, s in pairs), 3),
        tables_records_per_s=round(records / (job_s - records_s), 1),
        job_records_per_s=round(records / job_s, 1),
        live_records=len(latencies),
        latency_p50_s=percentile(latencies, 0.5),
        latency_p99_s=percentile(latencies, 0.99),
        tables_latency_p50_s=percentile(tables_latencies, 0.5),
        tables_latency_p99_s=percentile(tables_latencies, 0.99),
        tables_trigger_s=settings.spark.tables_trigger_interval_s,
        master=settings.spark.master,
        load_average=round(load_average, 1),
    )


@contextmanager
def bench_topics(settings: Settings, prefix: str) -> Iterator[KafkaSettings]:
    """The job's topics, created afresh under ``prefix``: the Kafka settings naming them. They
    are deleted afterwards."""
    topics = {k: {"name": f"{prefix}.{t.name}"} for k, t in settings.kafka.topics.items()}
    kafka = KafkaSettings.model_validate(
        {**settings.kafka.model_dump(exclude={"topics"}), "topics": topics}
    )
    admin = TopicAdmin(admin_client(kafka))
    created = [kafka.topics[k] for k in TOPIC_KEYS]
    admin.create(created)
    try:
        yield kafka
    finally:
        admin.delete([t.name for t in created])


def job_settings(settings: Settings, kafka: KafkaSettings, folder: Path) -> Settings:
    """``settings`` reading ``kafka``'s topics, with the tables and checkpoints in ``folder``."""
    return Settings.model_validate(
        {
            **settings.model_dump(exclude={"kafka", "spark"}),
            "data_dir": folder,
            "kafka": kafka.model_dump(),
            "spark": {
                **settings.spark.model_dump(exclude={"tables_dir", "checkpoint_dir"}),
                "trigger_interval_s": 1.0,
            },
        }
    )


class JobRun(NamedTuple):
    """Seconds from the job's start to stage 1's end and to stage 2's."""

    stage1_s: float
    job_s: float


def run_once(spark: SparkSession, settings: Settings, job: Job | None = None) -> JobRun:
    """The whole job as ``tunestream spark run --once`` runs it (stage 1 until caught up, then
    stage 2), into its tables, created first (not timed)."""
    job = job or Job.from_settings(settings)
    job.create_tables(spark)
    started = time.perf_counter()
    streams = start_job(spark, settings, available_now=True, job=job)
    streams.queries[0].awaitTermination()
    stage1_s = time.perf_counter() - started
    streams.await_termination()
    return JobRun(stage1_s, time.perf_counter() - started)


class QueryRun(NamedTuple):
    """One measured query: its wall-clock seconds from start to end, and its records/s as Spark
    reports its batches (rows read ÷ the batches' execution time: not the query's start)."""

    wall_s: float
    rate: float


def _rate(query: StreamingQuery) -> float:
    batches = [p for p in query.recentProgress if p.numInputRows]
    rows = sum(p.numInputRows for p in batches)
    return rows / (sum(p.durationMs["triggerExecution"] for p in batches) / 1000)


def noop_read(spark: SparkSession, kafka: KafkaSettings, checkpoint: Path) -> QueryRun:
    """Spark reading the topics into the ``noop`` sink: what any job pays to read them."""
    started = time.perf_counter()
    query = (
        spark.readStream.format("kafka")
        .options(**kafka_options(kafka))
        .option("subscribe", ",".join(kafka.topics[k].name for k in TOPIC_KEYS))
        .option("startingOffsets", "earliest")
        .option("includeHeaders", "true")
        .load()
        .writeStream.format("noop")
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return QueryRun(time.perf_counter() - started, _rate(query))


def _stage1(spark: SparkSession, settings: Settings) -> QueryRun:
    """Stage 1 alone, into empty tables (created first, not timed)."""
    Job.from_settings(settings).create_tables(spark)
    started = time.perf_counter()
    streams = start_job(spark, settings, available_now=True)
    query = streams.queries[0]
    query.awaitTermination()
    wall_s = time.perf_counter() - started
    streams.stop()
    return QueryRun(wall_s, _rate(query))


def _produce_live(kafka: KafkaSettings, seconds: float) -> int:
    """Albums with their tracks, one small transaction every 200 ms; the record count."""
    producer = _producer(kafka)
    total = 0
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        messages = (
            m for m in synthetic_records(1, 2, seed=n, prefix=f"live{n}") if m[0] != "artists"
        )
        count, _ = produce(kafka, messages, producer=producer)
        total += count
        n += 1
        time.sleep(0.2)
    return total


def report(result: BenchResult, command: str) -> str:
    """The markdown section of docs/BENCHMARKS.md."""

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} s"

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""## Spark job: throughput and latency

Command: `{command}`

Run {now} on {os.cpu_count()} CPUs (load average {result.load_average:g} when it began: other
work shared them), Spark master `{result.master}`. The same topics
({result.records:,} records, {result.megabytes:,.1f} MB) read into a no-op sink and through the
job's stage 1 (Kafka → `records` through Spark's Parquet file sink, one append a batch), in
{len(result.round_ratios)} alternating rounds after an unmeasured one of each, every query from a
fresh checkpoint; records/s is Spark's own measure of a query's batches (rows read ÷ the batches'
execution time), the median of the rounds, and the ratio the median of the rounds' ratios. Then the
whole job once: stage 1, then stage 2
(`records` → the entity and derived tables, keyed MERGEs), timed by the clock.
Then {result.live_records:,} records produced at a steady rate while both stages run (stage 1
triggered every second, stage 2 every {result.tables_trigger_s:g} s), each timed from its Kafka
timestamp to the commit that added its row to `records` (read from the file sink's log), and to
the end of the stage-2 batch that merged it into the tables.

| measure | value | target |
|---|---:|---:|
| no-op read, records/s | {result.noop_records_per_s:,.1f} | |
| stage 1 (Kafka → records), records/s | {result.records_records_per_s:,.1f} | |
| stage 1 ÷ no-op | {result.ratio:.2f} | ≥ 0.5 |
| stage 1 ÷ no-op, each round | {", ".join(f"{r:.2f}" for r in result.round_ratios)} | |
| stage 1 ÷ no-op by the clock (each query's start included) | {result.wall_ratio:.2f} | |
| stage 2 (records → tables), records/s | {result.tables_records_per_s:,.1f} | |
| whole job (both stages in turn), records/s | {result.job_records_per_s:,.1f} | |
| whole job ÷ no-op | {result.job_records_per_s / result.noop_records_per_s:.2f} | |
| latency to `records`, p50 | {seconds(result.latency_p50_s)} | ≤ 5 s |
| latency to `records`, p99 | {seconds(result.latency_p99_s)} | |
| latency to the tables, p50 | {seconds(result.tables_latency_p50_s)} | |
| latency to the tables, p99 | {seconds(result.tables_latency_p99_s)} | |
"""
