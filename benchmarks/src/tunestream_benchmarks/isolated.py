"""A source run as ``tunestream produce --once`` in a process of its own, on topics of its own,
and its records counted (:class:`TopicRecords`).

Its records topics, state, plan and dead-letter topics are created for it (fresh names), a records
topic under its spec-scoped key (``<spec>.<key>``: no other spec writes it, a Spotify key of
another spec included); topics it reads (a ``kind: topic`` root's) are given by key. Its consumer
group is its transactional id, fresh too, so what it read is its own. The cycle's log comes back
as the producer wrote it (JSON lines); its records are counted by a ``read_committed`` consumer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, KafkaError, TopicPartition

from tunestream.config import KafkaSettings, TopicSettings
from tunestream.kafka.client import admin_client, client_config
from tunestream.kafka.topics import TopicAdmin
from tunestream.runtime.service import spec_topics
from tunestream.spec.loader import load_spec
from tunestream_benchmarks.common import BenchError

__all__ = ["IsolatedSource", "TopicRecords"]


class TopicRecords:
    """Records in some topics, counted by a ``read_committed`` consumer."""

    def __init__(self, kafka: KafkaSettings, topics: dict[str, str]) -> None:
        self.topics = topics
        """Topic name → its key."""
        self.consumer = Consumer(
            {
                **client_config(kafka),
                "group.id": f"bench-records-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "isolation.level": "read_committed",
            }
        )

    def ends(self) -> dict[tuple[str, int], int]:
        """The end of every partition."""
        ends = {}
        for topic in self.topics:
            metadata = self.consumer.list_topics(topic, timeout=30).topics[topic]
            for partition in metadata.partitions:
                _, high = self.consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=30
                )
                ends[(topic, partition)] = high
        return ends

    def since(self, start: dict[tuple[str, int], int]) -> dict[str, int]:
        """Records by topic key written after ``start`` (``ends()`` before)."""
        now = self.ends()
        open_ = {tp for tp, end in now.items() if end > start[tp]}
        counts = dict.fromkeys(self.topics.values(), 0)
        if not open_:
            return counts
        self.consumer.assign([TopicPartition(t, p, start[(t, p)]) for t, p in open_])
        deadline = time.monotonic() + 60
        while open_:
            if time.monotonic() > deadline:
                raise BenchError(f"records of {sorted(open_)} not read back within 60 s")
            message = self.consumer.poll(1.0)
            if message is None:
                continue
            error = message.error()
            topic, partition = message.topic(), message.partition()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                open_.discard((str(topic), int(partition or 0)))
            elif error is not None:
                raise BenchError(f"reading {topic}: {error.str()}")
            else:
                counts[self.topics[str(topic)]] += 1
        self.consumer.unassign()
        return counts

    def close(self) -> None:
        self.consumer.close()


class IsolatedSource:
    """A source's configuration on topics of its own, run as ``produce --once`` in a process."""

    def __init__(
        self,
        label: str,
        spec: str,
        kafka: KafkaSettings,
        folder: Path,
        environ: Mapping[str, str],
        source: Mapping[str, Any],
        inputs: Mapping[str, TopicSettings] | None = None,
    ) -> None:
        self.label = label
        loaded = load_spec(spec, environ=environ)
        emitted = {topic for r in loaded.resources if (topic := loaded.emits(r))}
        suffix = uuid.uuid4().hex[:8]
        self.created = {  # a records topic under its spec-scoped key: this spec's alone
            f"{loaded.name}.{key}" if key in emitted else key: topic.model_copy(
                update={"name": f"bench.{label}.{key}.{suffix}"}
            )
            for key, topic in spec_topics(loaded, kafka).items()
        }
        given = {**self.created, **(inputs or {})}
        topics = {key: t.model_dump() for key, t in given.items()}
        self.kafka = KafkaSettings.model_validate(
            {**kafka.model_dump(exclude={"topics"}), "topics": topics}
        )
        TopicAdmin(admin_client(self.kafka)).create(list(self.created.values()))
        self.records = TopicRecords(
            self.kafka, {self.created[f"{loaded.name}.{key}"].name: key for key in emitted}
        )
        self.group = f"bench-{label}-{suffix}"
        self.config = folder / f"{label}.yaml"
        kafka_values = self.kafka.model_dump(mode="json", exclude_none=True)
        self.config.write_text(
            yaml.safe_dump(
                {
                    "data_dir": str(folder / label),
                    "kafka": {**kafka_values, "bootstrap_servers": kafka.bootstrap},
                    "source": {"spec": spec, "transactional_id": self.group, **source},
                    "producer": {"metrics_port": None},
                }
            )
        )
        self.env = {**os.environ, **environ}

    def produce(self, timeout_s: float) -> str:
        """One cycle; the producer's log."""
        tunestream = [sys.executable, "-m", "tunestream", "-c", str(self.config)]
        done = subprocess.run(
            [*tunestream, "--log-format", "json", "produce", "--once"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if done.returncode != 0:
            raise BenchError(
                f"{self.label}: produce --once exited {done.returncode}: {done.stderr[-500:]}"
            )
        return done.stderr

    def committed(self, topic: str) -> dict[tuple[str, int], int]:
        """Where the source's consumer group committed its reading of ``topic`` (0: nowhere)."""
        consumer = Consumer({**client_config(self.kafka), "group.id": self.group})
        try:
            partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
            wanted = [TopicPartition(topic, p) for p in partitions]
            positions = consumer.committed(wanted, timeout=30)
        finally:
            consumer.close()
        return {(topic, p.partition): max(p.offset, 0) for p in positions}

    def close(self) -> None:
        self.records.close()
        TopicAdmin(admin_client(self.kafka)).delete([t.name for t in self.created.values()])
