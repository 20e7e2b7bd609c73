"""Running the ``github`` spec against the stand-in: a config of fresh topics, the command, and
what Kafka holds afterwards checked against the stand-in's truth."""

from __future__ import annotations

import os
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.github import REPOSITORIES
from tests.support.kafka import read_topic
from tunestream.config import KafkaSettings
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream_emulator.github import GithubHandle

__all__ = ["GithubRun", "Kept"]

RECORD_TOPICS = ["issues", "issue_comments", "pull_requests", "releases", "events"]


@dataclass
class Kept:
    """One topic's records: (key, version) pairs in order, and the values by key (the last)."""

    pairs: list[tuple[str, str]]
    values: dict[str, dict[str, Any]]

    def doubled(self) -> list[tuple[str, str]]:
        """(key, version) pairs written more than once."""
        return [pair for pair, n in Counter(self.pairs).items() if n > 1]


class GithubRun:
    """``tunestream produce`` of the github spec on the stand-in, into topics of its own."""

    def __init__(
        self, handle: GithubHandle, kafka: KafkaSettings, folder: Path, **source: Any
    ) -> None:
        self.handle = handle
        self.bootstrap = kafka.bootstrap
        suffix = uuid.uuid4().hex[:8]
        compact = {"cleanup_policy": "compact"}
        self.topics: dict[str, dict[str, Any]] = {
            key: {"name": f"gh.{key}.{suffix}", "partitions": 2} for key in RECORD_TOPICS
        }
        for key in ("source_state", "source_plan"):
            self.topics[key] = {"name": f"gh.{key}.{suffix}", **compact}
        self.topics["dead_letter"] = {"name": f"gh.dead_letter.{suffix}"}
        self.kafka = KafkaSettings.model_validate(
            {"bootstrap_servers": self.bootstrap, "topics": self.topics}
        )
        TopicAdmin(admin_client(self.kafka)).create([self.kafka.topics[k] for k in self.topics])
        values: dict[str, Any] = {
            "spec": "github",
            "transactional_id": f"gh-{suffix}",
            "variables": {"repos": REPOSITORIES},
            "rate_limit": {"requests_per_second": 60, "max_concurrency": 4},
            "commit_max_records": 25,
        }
        values.update(source)
        self.config = folder / "tunestream.yaml"
        self.config.write_text(
            yaml.safe_dump(
                {
                    "data_dir": str(folder / "data"),
                    "kafka": {"bootstrap_servers": self.bootstrap, "topics": self.topics},
                    "source": values,
                    "producer": {"metrics_port": None},
                }
            )
        )
        self.env = {
            **os.environ,
            "GITHUB_API_URL": handle.api_url,
            "GITHUB_TOKEN": handle.settings.tokens[0].token,
        }

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tunestream", "-c", str(self.config), *args]

    def kept(self, key: str, version: str = "updated_at") -> Kept:
        pairs, values = [], {}
        for message in read_topic(self.bootstrap, self.topics[key]["name"]):
            value = message.value
            pairs.append((message.key, str(value.get(version))))
            values[message.key] = value
        return Kept(pairs, values)

    def truth(self) -> dict[str, list[dict[str, Any]]]:
        """The stand-in's issues, comments and releases of every repository, and its events."""
        out: dict[str, list[dict[str, Any]]] = {
            "issues": [],
            "issue_comments": [],
            "releases": [],
            "events": [],
        }
        for repo in self.handle.truth()["repositories"].values():
            out["issues"] += repo["issues"]
            out["issue_comments"] += [c for cs in repo["comments"].values() for c in cs]
            out["releases"] += repo["releases"]
            out["events"] += repo["events"]
        return out
