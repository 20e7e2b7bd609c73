"""Running the spotify spec with a development client and the three specs that fill its gaps
(reccobeats, deezer, musicbrainz) against the emulator, into topics of their own; what Kafka
holds afterwards, and the emulator's truth for the same tracks."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

from tests.support.kafka import Message, read_topic
from tunestream.config import DEFAULT_TOPICS, KafkaSettings
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream.sources.enrichment import ENRICHMENTS
from tunestream_emulator import EmulatorHandle

__all__ = ["CONTACT", "ENRICHING", "EnrichRun"]

ENRICHING = ("reccobeats", "deezer", "musicbrainz")
CONTACT = "tunestream-tests@example.org"
"""The contact the musicbrainz source's User-Agent names."""


class EnrichRun:
    """``tunestream produce`` of the four sources on one emulator, into fresh topics."""

    def __init__(
        self,
        handle: EmulatorHandle,
        kafka: KafkaSettings,
        folder: Path,
        *,
        profile: str = "development",
        **sources: dict[str, Any],
    ) -> None:
        self.handle = handle
        self.bootstrap = kafka.bootstrap
        suffix = uuid.uuid4().hex[:8]
        self.topics: dict[str, dict[str, Any]] = {
            key: {**value, "name": f"{value['name']}.{suffix}"}
            for key, value in DEFAULT_TOPICS.items()
        }
        for e in ENRICHMENTS:  # the spec-scoped key names the spec's topic
            self.topics[f"{e.spec}.{e.topic}"] = {"name": f"{e.kafka_topic}.{suffix}"}
        self.topics["deezer.releases"] = {"name": f"deezer.releases.{suffix}"}
        self.kafka = KafkaSettings.model_validate(
            {"bootstrap_servers": self.bootstrap, "topics": self.topics}
        )
        TopicAdmin(admin_client(self.kafka)).create(list(self.kafka.topics.values()))
        fast = {"requests_per_second": 200, "max_concurrency": 8}
        entries = [
            {"spec": "spotify", "mode": "full", "rate_limit": fast, **sources.get("spotify", {})}
        ] + [{"spec": spec, **sources.get(spec, {})} for spec in ENRICHING]
        for entry in entries:
            entry.setdefault("transactional_id", f"{entry['spec']}-{suffix}")
            entry.setdefault("commit_max_records", 20)
        self.config = folder / "tunestream.yaml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "data_dir": str(folder / "data"),
                    "kafka": {"bootstrap_servers": self.bootstrap, "topics": self.topics},
                    "sources": entries,
                    "producer": {"metrics_port": None},
                }
            )
        )
        client = handle.client(profile)  # type: ignore[arg-type]
        self.env = {
            **os.environ,
            "SPOTIFY_API_URL": handle.api_url,
            "SPOTIFY_ACCOUNTS_URL": handle.base_url,
            "SPOTIFY_CLIENT_ID": client.client_id,
            "SPOTIFY_CLIENT_SECRET": client.client_secret,
            "RECCOBEATS_API_URL": handle.reccobeats_url,
            "DEEZER_API_URL": handle.deezer_url,
            "MUSICBRAINZ_API_URL": handle.musicbrainz_url,
            "MUSICBRAINZ_CONTACT": CONTACT,
        }
        self.group_ids = {entry["spec"]: entry["transactional_id"] for entry in entries}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tunestream", "-c", str(self.config), *args]

    def produce(self, *sources: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """One cycle of each of ``sources``, in one process."""
        picked = [arg for source in sources for arg in ("--source", source)]
        return subprocess.run(
            self.command("produce", "--once", *picked),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def read(self, key: str) -> list[Message]:
        """The committed records of the topic of ``kafka.topics`` key ``key``."""
        return read_topic(self.bootstrap, self.topics[key]["name"])

    def tracks(self) -> dict[str, str | None]:
        """The Spotify tracks written: track id → ISRC."""
        return {m.key: m.value.get("external_ids", {}).get("isrc") for m in self.read("tracks")}
