"""kill -9 of the producer at random moments, then a restart: nothing lost, nothing twice."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.integration.producer.conftest import MARKETS
from tests.integration.producer.support import (
    keys_once,
    new_releases_truth,
    producer_settings,
    read_topic,
)
from tunestream.config import KafkaSettings
from tunestream_emulator import EmulatorHandle

pytestmark = pytest.mark.integration


def test_kill_9_at_random_points_then_restart_loses_and_repeats_nothing(
    kafka_settings: KafkaSettings,
    start_emulator: Callable[..., EmulatorHandle],
    tmp_path: Path,
) -> None:
    emulator = start_emulator()
    settings = producer_settings(kafka_settings.bootstrap)
    truth = new_releases_truth(emulator, MARKETS)
    config = tmp_path / "tunestream.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(tmp_path / "data"),
                "kafka": settings.kafka.model_dump(
                    mode="json", include={"bootstrap_servers", "topics"}
                ),
                "source": {
                    **settings.source.model_dump(mode="json", include={"transactional_id"}),
                    "variables": {"markets": MARKETS},
                    "metrics_port": None,
                    "commit_max_records": 50,
                    "rate_limit": {"requests_per_second": 400, "max_concurrency": 8},
                },
            }
        )
    )
    client = emulator.client("extended")
    env = {
        **os.environ,
        "SPOTIFY_API_URL": emulator.api_url,
        "SPOTIFY_ACCOUNTS_URL": emulator.base_url,
        "SPOTIFY_CLIENT_ID": client.client_id,
        "SPOTIFY_CLIENT_SECRET": client.client_secret,
    }
    command = [sys.executable, "-m", "tunestream", "-c", str(config), "produce", "--once"]
    rng = random.Random(4242)
    kills = 0
    for _ in range(6):
        process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(2.0, 9.0))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr[-2000:]
    assert kills >= 3, "the producer finished before the kills could test anything"

    topic = {key: t.name for key, t in settings.kafka.topics.items()}
    bootstrap = kafka_settings.bootstrap
    assert keys_once(read_topic(bootstrap, topic["albums"])) == truth.albums
    assert keys_once(read_topic(bootstrap, topic["tracks"])) == truth.tracks
    assert keys_once(read_topic(bootstrap, topic["audio_features"])) == truth.tracks
    assert keys_once(read_topic(bootstrap, topic["audio_analysis"])) == truth.tracks
    assert keys_once(read_topic(bootstrap, topic["artists"])) == truth.artists
