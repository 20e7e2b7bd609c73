"""What the producer tests share: settings, spec and config for a run against the emulator."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml

from tunestream.config import (
    DEFAULT_TOPICS,
    KafkaSettings,
    ProducerSettings,
    Settings,
    SourceSettings,
)
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream.sources.enrichment import ENRICHMENTS
from tunestream.spec.loader import load_spec
from tunestream.spec.models import SourceSpec
from tunestream_emulator import EmulatorHandle

__all__ = ["emulator_environ", "emulator_spec", "producer_settings", "unthrottled", "write_config"]


def producer_settings(bootstrap: str, *, create_topics: bool = True, **source: Any) -> Settings:
    """Settings with a fresh set of topics (created here unless ``create_topics`` is false) and
    a fresh transactional id."""
    suffix = uuid.uuid4().hex[:8]
    topics = {
        key: {**value, "name": f"{value['name']}.{suffix}"} for key, value in DEFAULT_TOPICS.items()
    }
    kafka = KafkaSettings.model_validate({"bootstrap_servers": bootstrap, "topics": topics})
    if create_topics:
        TopicAdmin(admin_client(kafka)).create(list(kafka.topics.values()))
    # the enrichments' topics too (not created: no source of theirs runs on these settings)
    enriching = {f"{e.spec}.{e.topic}": {"name": f"{e.kafka_topic}.{suffix}"} for e in ENRICHMENTS}
    kafka = KafkaSettings.model_validate(
        {"bootstrap_servers": bootstrap, "topics": {**topics, **enriching}}
    )
    values: dict[str, Any] = {"transactional_id": f"test-{suffix}"}
    values.update(source)
    return Settings(
        kafka=kafka,
        sources=[SourceSettings.model_validate(values)],
        producer=ProducerSettings(metrics_port=None),
    )


def emulator_environ(handle: EmulatorHandle, profile: str = "extended") -> dict[str, str]:
    """The environment the Spotify spec reads: the emulator's URLs and a client of a profile."""
    client = handle.client(profile)  # type: ignore[arg-type]
    return {
        "SPOTIFY_API_URL": handle.api_url,
        "SPOTIFY_ACCOUNTS_URL": handle.base_url,
        "SPOTIFY_CLIENT_ID": client.client_id,
        "SPOTIFY_CLIENT_SECRET": client.client_secret,
    }


def emulator_spec(
    handle: EmulatorHandle, profile: str = "extended", name: str = "spotify", **variables: Any
) -> SourceSpec:
    return load_spec(name, variables=variables, environ=emulator_environ(handle, profile))


def write_config(path: Path, settings: Settings, **source: Any) -> Path:
    """A config file for ``tunestream produce`` run as a user runs it: the settings' cluster,
    topics and transactional id, plus ``source`` keys."""
    data = {
        "data_dir": str(path.parent / "data"),
        "kafka": settings.kafka.model_dump(mode="json", include={"bootstrap_servers", "topics"}),
        "source": {"transactional_id": settings.sources[0].transactional_id, **source},
    }
    path.write_text(yaml.safe_dump(data))
    return path


def unthrottled(spec: SourceSpec, concurrency: int = 8) -> SourceSpec:
    """The spec with a budget the emulator never refuses: tests measure work, not waiting."""
    rate = spec.client.rate_limit.model_copy(
        update={"requests_per_second": 10_000.0, "max_concurrency": concurrency}
    )
    client = spec.client.model_copy(update={"rate_limit": rate})
    return spec.model_copy(update={"client": client})
