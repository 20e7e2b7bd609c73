"""Topic administration against the real broker."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tunestream.config import KafkaSettings, TopicSettings
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import Outcome, TopicAdmin

pytestmark = pytest.mark.integration


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


def test_create_applies_every_setting_and_is_idempotent(kafka_settings: KafkaSettings) -> None:
    admin = TopicAdmin(admin_client(kafka_settings))
    topic = TopicSettings(
        name=unique("t.settings"),
        partitions=3,
        retention_ms=3_600_000,
        cleanup_policy="compact",
        max_message_bytes=4 * 1024 * 1024,
        compression_type="zstd",
        configs={"min.compaction.lag.ms": "1000"},
    )
    [first] = admin.create([topic])
    assert first.outcome is Outcome.CREATED

    state = admin.describe([topic.name])[topic.name]
    assert state is not None
    assert state.partitions == 3
    assert state.replication_factor == 1
    assert state.overrides == {
        "retention.ms": "3600000",
        "cleanup.policy": "compact",
        "max.message.bytes": str(4 * 1024 * 1024),
        "compression.type": "zstd",
        "min.compaction.lag.ms": "1000",
    }

    [again] = admin.create([topic])
    assert again.outcome is Outcome.EXISTS
    assert again.differences == ()
    assert topic.name in admin.names()

    assert admin.delete([topic.name]) == [topic.name]
    assert admin.describe([topic.name])[topic.name] is None


def test_check_learns_each_topic_s_record_limit_from_the_broker(
    kafka_settings: KafkaSettings,
) -> None:
    admin = TopicAdmin(admin_client(kafka_settings))
    own, inherited = unique("t.limit"), unique("t.limit")
    admin.create([TopicSettings(name=own, max_message_bytes=2048), TopicSettings(name=inherited)])
    # configured otherwise than the broker has them: what the broker has counts
    checked = admin.check(
        [TopicSettings(name=own, max_message_bytes=4096), TopicSettings(name=inherited)]
    )
    # the local broker's message.max.bytes (17 MiB) is the default of a topic without its own
    assert checked.max_message_bytes == {own: 2048, inherited: 17 * 1024 * 1024}
    assert checked.differences == (f"{own}: max.message.bytes: want 4096, have 2048",)
    admin.delete([own, inherited])


def test_a_conflicting_setting_is_reported(kafka_settings: KafkaSettings) -> None:
    admin = TopicAdmin(admin_client(kafka_settings))
    name = unique("t.conflict")
    admin.create([TopicSettings(name=name, partitions=2, retention_ms=60_000)])
    [outcome] = admin.create([TopicSettings(name=name, partitions=5, retention_ms=120_000)])
    assert outcome.outcome is Outcome.CONFLICT
    assert outcome.differences == (
        "partitions: want 5, have 2",
        "retention.ms: want 120000, have 60000",
    )


def test_cli_creates_configured_topics_and_fails_on_conflict(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    config = tmp_path / "tunestream.yaml"

    def write(partitions: int) -> None:
        config.write_text(
            f"kafka:\n  bootstrap_servers: {kafka_settings.bootstrap}\n  topics:\n"
            f"    albums: {{name: cli.albums.{suffix}, partitions: {partitions}}}\n"
            f"    tracks: {{name: cli.tracks.{suffix}}}\n"
        )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tunestream", "-c", str(config), "topics", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    write(partitions=2)
    created = cli("create", "albums", "tracks")
    assert created.returncode == 0, created.stderr
    assert f"cli.albums.{suffix}: created" in created.stdout

    described = cli("describe", "albums")
    assert described.returncode == 0, described.stderr
    assert f"cli.albums.{suffix}" in described.stdout
    assert "retention.ms=604800000" in described.stdout

    listed = cli("list")
    assert f"cli.tracks.{suffix}\t(config: tracks)" in listed.stdout

    write(partitions=6)
    conflict = cli("create", "albums", "tracks")
    assert conflict.returncode == 1
    assert f"cli.tracks.{suffix}: exists" in conflict.stdout
    [line] = conflict.stderr.strip().splitlines()
    assert "partitions: want 6, have 2" in line

    deleted = cli("delete", "albums", "tracks", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert TopicAdmin(admin_client(kafka_settings)).describe(
        [f"cli.albums.{suffix}", f"cli.tracks.{suffix}"]
    ) == {f"cli.albums.{suffix}": None, f"cli.tracks.{suffix}": None}
