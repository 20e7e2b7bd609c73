"""The three sources that fill a development Spotify app's gaps, fed from its tracks topic,
against the emulator's stand-ins: every enrichment once (kills at random moments included), as
the stand-ins' truth has it; Deezer's 200-with-error quota answer; MusicBrainz's one request a
second and its User-Agent."""

from __future__ import annotations

import itertools
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Consumer, TopicPartition

from tests.support.enrich_source import CONTACT, ENRICHING, EnrichRun
from tests.support.kills import kill_rounds, seeded_random
from tests.support.truth import assert_finished_cleanly
from tunestream.config import KafkaSettings
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration

FEATURES = (
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "key",
    "liveness",
    "loudness",
    "mode",
    "speechiness",
    "tempo",
    "valence",
)


def small_catalog(
    start_emulator: Callable[..., EmulatorHandle], **overrides: Any
) -> EmulatorHandle:
    handle = start_emulator("producer", tracks_per_day=40, history_days=1, artists=200, **overrides)
    handle.clock(paused=True)
    return handle


def spotify_cycle(run: EnrichRun) -> dict[str, str | None]:
    done = run.produce("spotify")
    assert done.returncode == 0, done.stderr[-3000:]
    tracks = run.tracks()
    assert 10 <= len(tracks) <= 150, len(tracks)
    return tracks


def once_each(run: EnrichRun, key: str) -> dict[str, dict[str, Any]]:
    """The records of a topic by key, asserting none is written twice and each says where it
    came from."""
    messages = run.read(key)
    doubled = [k for k, n in Counter(m.key for m in messages).items() if n > 1]
    assert doubled == [], f"{key}: written twice: {doubled[:5]}"
    spec = key.split(".")[0]
    for m in messages:
        assert m.headers["tunestream.source"] == spec
        assert m.headers["tunestream.input"] == run.topics["tracks"]["name"]
        assert m.headers["tunestream.schema"] == f"{key}.v1"
    return {m.key: m.value for m in messages}


def assert_as_the_truth(run: EnrichRun, tracks: dict[str, str | None]) -> None:
    """Each enrichment topic holds, once, exactly what the stand-ins know of the tracks."""
    emulator = run.handle.emulator
    isrcs = {isrc for isrc in tracks.values() if isrc}
    features = once_each(run, "reccobeats.audio_features")
    known = {t: f for t in tracks if (f := emulator.reccobeats.features(t)) is not None}
    assert 0 < len(known) < len(tracks), "the stand-in should know most tracks, not all"
    assert sorted(features) == sorted(known)
    for track_id, record in features.items():
        assert record["href"].endswith(f"/track/{track_id}")
        assert {k: record[k] for k in FEATURES} == {k: known[track_id][k] for k in FEATURES}
    deezer = once_each(run, "deezer.tracks")
    on_deezer = {i: t for i in isrcs if (t := emulator.deezer.track(i)) is not None}
    assert sorted(deezer) == sorted(on_deezer)
    for isrc, record in deezer.items():
        want = on_deezer[isrc]
        assert (record["id"], record["bpm"], record["gain"]) == (
            want["id"],
            want["bpm"],
            want["gain"],
        )
    assert any(r["bpm"] == 0 for r in deezer.values()) and any(r["bpm"] for r in deezer.values())
    recordings = once_each(run, "musicbrainz.recordings")
    on_mb = {i: r for i in isrcs if (r := emulator.musicbrainz.recording(i)) is not None}
    assert sorted(recordings) == sorted(on_mb)
    for isrc, record in recordings.items():
        want = on_mb[isrc]
        assert record["id"] == want["id"]
        tags = sorted(t["name"] for t in record.get("tags") or [])
        assert tags == sorted(t["name"] for t in want.get("tags") or [])
    assert run.read("dead_letter") == []


def cli(run: EnrichRun, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(run.command(*args), env=run.env, capture_output=True, text=True)


def state_show(run: EnrichRun, source: str) -> str:
    shown = cli(run, "state", "show", source)
    assert shown.returncode == 0, shown.stderr[-3000:]
    return shown.stdout


def test_a_development_app_s_tracks_get_features_bpm_and_tags_once_as_the_truth_has_them(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    handle = small_catalog(start_emulator)
    run = EnrichRun(handle, kafka_settings, tmp_path)
    tracks = spotify_cycle(run)
    topic = run.topics["tracks"]["name"]
    assert f"spotify_tracks: topic {topic}, 0 offsets" not in state_show(run, "reccobeats")
    done = run.produce(*ENRICHING)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_as_the_truth(run, tracks)
    assert f"spotify_tracks: topic {topic}, 0 offsets not read yet" in state_show(run, "deezer")

    # MusicBrainz: every request named the application and its contact, none came within a
    # second of the one before, and none was refused; the ISRCs went 25 a search
    requests = handle.emulator.musicbrainz.requests()
    assert len(requests) == -(-len({i for i in tracks.values() if i}) // 25)
    assert {r.user_agent for r in requests} == {f"tunestream/0.1.0 ( {CONTACT} )"}
    gaps = [b.at - a.at for a, b in itertools.pairwise(requests)]
    assert min(gaps, default=1.0) >= 1.0, gaps
    assert {r.status for r in requests} == {200}

    # a second cycle reads nothing new and asks nothing
    before = len(requests)
    again = run.produce(*ENRICHING)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(handle.emulator.musicbrainz.requests()) == before
    assert_as_the_truth(run, tracks)


def ends(run: EnrichRun) -> dict[int, int]:
    """Per partition of the tracks topic, its end offset."""
    topic = run.topics["tracks"]["name"]
    consumer = Consumer({"bootstrap.servers": run.bootstrap, "group.id": "tests.ends"})
    try:
        partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p))[1] for p in partitions}
    finally:
        consumer.close()


def unread(run: EnrichRun, spec: str) -> dict[int, int]:
    """Per partition of the tracks topic, the offsets between its end and the position the
    consumer group of ``spec``'s source committed (transaction markers count as offsets)."""
    topic = run.topics["tracks"]["name"]
    consumer = Consumer({"bootstrap.servers": run.bootstrap, "group.id": run.group_ids[spec]})
    try:
        last = ends(run)
        offsets = consumer.committed([TopicPartition(topic, p) for p in last], timeout=30)
        return {p.partition: last[p.partition] - p.offset for p in offsets}
    finally:
        consumer.close()


@kill_rounds(lean=4, soak=6)
def test_kill_9_of_the_topic_fed_producers_at_random_moments_loses_and_doubles_nothing(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
    rounds: int,
) -> None:
    rng = seeded_random()
    handle = small_catalog(start_emulator)
    # Deezer's one request a track at 8 a second and MusicBrainz's one a second make a cycle
    # last many seconds: kills land in its reads, lookups and commits
    run = EnrichRun(handle, kafka_settings, tmp_path)
    spotify_cycle(run)
    kills = 0
    for attempt in range(rounds):
        process = subprocess.Popen(
            run.command("produce", "--once", *(a for s in ENRICHING for a in ("--source", s))),
            env=run.env,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 5.0))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
        if attempt == 2:  # new releases arrive while the enrichers are behind
            handle.advance(6 * 3600)
            spotify_cycle(run)
    assert kills >= 3, "the producers finished before the kills could test anything"
    done = run.produce(*ENRICHING)
    assert done.returncode == 0, done.stderr[-3000:]
    tracks = run.tracks()
    assert_as_the_truth(run, tracks)
    for spec in ENRICHING:  # each group has read every track, in its transactions
        assert set(unread(run, spec).values()) == {0}, spec
        assert_finished_cleanly(run.kafka, spec)


def test_deezer_s_quota_answer_stops_the_source_and_the_next_runs_resume_it(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    handle = small_catalog(start_emulator, deezer_quota=12)  # 12 requests per 5 s
    run = EnrichRun(handle, kafka_settings, tmp_path, deezer={"mode": "by-isrc"})
    tracks = spotify_cycle(run)
    isrcs = {i for i in tracks.values() if i}
    assert len(isrcs) > 24, "too few tracks to run into the quota"
    stopped = run.produce("deezer")
    assert stopped.returncode == 3, stopped.stderr[-3000:]
    assert "quota" in stopped.stderr
    assert handle.emulator.deezer.quota_exceeded >= 1
    for _ in range(10):
        time.sleep(5)  # the quota's window
        done = run.produce("deezer")
        if done.returncode == 0:
            break
        assert done.returncode == 3, done.stderr[-3000:]
    else:
        pytest.fail("the deezer source never completed its cycle")
    deezer = once_each(run, "deezer.tracks")
    on_deezer = {i for i in isrcs if handle.emulator.deezer.track(i) is not None}
    assert sorted(deezer) == sorted(on_deezer)
    assert run.read("dead_letter") == []


def test_a_reset_reads_the_tracks_topic_again_from_the_start_or_from_a_time(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    handle = small_catalog(start_emulator)
    run = EnrichRun(handle, kafka_settings, tmp_path)
    earlier = spotify_cycle(run)
    time.sleep(0.05)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    handle.advance(6 * 3600)  # new releases, written after `between`
    tracks = spotify_cycle(run)
    later = set(tracks) - set(earlier)
    done = run.produce("reccobeats")
    assert done.returncode == 0, done.stderr[-3000:]
    stand_in = handle.emulator.reccobeats
    known = {t for t in tracks if stand_in.features(t) is not None}
    assert later & known and set(earlier) & known, "both cycles should bring tracks it knows"
    assert sorted(once_each(run, "reccobeats.audio_features")) == sorted(known)

    def reset(*args: str) -> str:
        done = cli(run, "state", "reset", "reccobeats", *args)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def written() -> Counter[str]:
        return Counter(m.key for m in run.read("reccobeats.audio_features"))

    # from the start, remembering: every track is read again, none asked for or written again
    asked = stand_in.statuses.total()
    topic = run.topics["tracks"]["name"]
    said = reset()
    assert f"spotify_tracks: topic {topic} is read from the start next" in said
    assert unread(run, "reccobeats") == ends(run)  # the topic is new: it starts at offset 0
    held = state_show(run, "reccobeats")
    offsets = sum(ends(run).values())
    assert f"spotify_tracks: topic {topic}, {offsets:,} offsets not read yet" in held, held
    done = run.produce("reccobeats")
    assert done.returncode == 0, done.stderr[-3000:]
    assert stand_in.statuses.total() == asked
    assert written() == Counter(dict.fromkeys(known, 1))
    assert set(unread(run, "reccobeats").values()) == {0}

    # from a time, forgetting what was emitted: the tracks written since are asked for again
    said = reset("--cursor", between, "--replay")
    assert f"is read from {between} on next" in said
    done = run.produce("reccobeats")
    assert done.returncode == 0, done.stderr[-3000:]
    assert written() == Counter({t: 2 if t in later else 1 for t in known})
    assert set(unread(run, "reccobeats").values()) == {0}

    # from a time after every track: nothing to read again
    reset()
    reset("--cursor", datetime.now(UTC).isoformat())
    assert set(unread(run, "reccobeats").values()) == {0}

    # an input topic that is not there: one line naming it and saying what to do
    config = yaml.safe_load(run.config.read_text())
    config["kafka"]["topics"]["tracks"]["name"] = absent = f"absent.{topic}"
    run.config.write_text(yaml.safe_dump(config))
    for args in (("show",), ("reset",)):
        failed = cli(run, "state", *args, "reccobeats")
        assert failed.returncode == 1, failed.stderr[-3000:]
        assert failed.stderr.splitlines() == [
            f"tunestream: error: input topic {absent} does not exist: the source that writes it "
            "creates it (`tunestream topics create`), or name another in the spec's topic:"
        ]

    refused = cli(run, "state", "reset", "reccobeats", "--cursor", "yesterday")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "tunestream: error: --cursor 'yesterday': a topic root reads from a time: give one in "
        "ISO 8601 (2026-12-01T00:00:00Z)"
    ]
