"""One SparkSession for every Spark test (starting one costs ~15 s), topics per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from tunestream.config import KafkaSettings, Settings, SparkSettings
from tunestream.kafka.client import admin_client
from tunestream.kafka.topics import TopicAdmin
from tunestream.spark.session import build_session

TEST_SPARK = {
    "master": "local[2]",
    "shuffle_partitions": 1,
    "driver_memory": "1g",
    "conf": {"spark.ui.enabled": "false"},
}
_prefix = itertools.count()


def job_settings(kafka: KafkaSettings, data_dir: Path, **spark: object) -> Settings:
    """Settings for one test: its own topics on the session broker, its own data dir."""
    prefix = f"t{next(_prefix)}x{data_dir.name[-6:]}"
    topics = {key: {"name": f"{prefix}.{topic.name}"} for key, topic in kafka.topics.items()}
    kafka = KafkaSettings.model_validate({"bootstrap_servers": kafka.bootstrap, "topics": topics})
    TopicAdmin(admin_client(kafka)).create(list(kafka.topics.values()))
    values: dict[str, object] = {**TEST_SPARK, **spark}
    return Settings(data_dir=data_dir, kafka=kafka, spark=SparkSettings.model_validate(values))


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("spark-session"),
        spark=SparkSettings.model_validate(TEST_SPARK),
    )
    session = build_session(settings)
    try:
        yield session
    finally:
        session.stop()
