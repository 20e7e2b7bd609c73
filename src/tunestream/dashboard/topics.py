"""The configured topics (and the sources' others) as the cluster has them, the Spark job's lag,
and album covers.

Sizes are offsets: each partition's last stable offset (what a ``read_committed`` reader can
reach) minus its earliest, which counts records plus the transaction markers between them. Bytes
come from the local broker's log files (a remote cluster does not say). The Spark job's lag is
those last stable offsets minus its checkpoint's (:mod:`.checkpoint`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import Consumer, IsolationLevel, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from tunestream.config import Settings
from tunestream.dashboard.checkpoint import Progress
from tunestream.kafka.client import ClientLog, admin_client, client_config

__all__ = ["PartitionOffsets", "TopicView"]

_TIMEOUT_S = 5.0
_COVER_TAIL = 300
"""Records read back from the end of each albums partition to find covers."""


@dataclass(frozen=True)
class PartitionOffsets:
    earliest: int
    stable: int
    """The last stable offset: the end for a read_committed reader."""


class TopicView:
    """Read-only questions to the cluster about the configured topics."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._admin: AdminClient = admin_client(settings.kafka)
        kafka = settings.kafka
        self._log_dir = (
            settings.data_dir.absolute() / "kafka" / "data" if kafka.uses_local_broker else None
        )

    def offsets(self, topics: Iterable[str]) -> dict[str, dict[int, PartitionOffsets]]:
        """Earliest and last stable offset of every partition of the topics that exist."""
        metadata = self._admin.list_topics(timeout=_TIMEOUT_S)
        partitions = [
            TopicPartition(name, p)
            for name in topics
            if name in metadata.topics and not metadata.topics[name].error
            for p in metadata.topics[name].partitions
        ]
        if not partitions:
            return {}
        found: dict[str, dict[int, PartitionOffsets]] = {}
        earliest = self._list(partitions, OffsetSpec.earliest())  # type: ignore[no-untyped-call]
        stable = self._list(partitions, OffsetSpec.latest())  # type: ignore[no-untyped-call]
        for tp in partitions:
            found.setdefault(tp.topic, {})[tp.partition] = PartitionOffsets(
                earliest[(tp.topic, tp.partition)], stable[(tp.topic, tp.partition)]
            )
        return found

    def _list(
        self, partitions: list[TopicPartition], spec: OffsetSpec
    ) -> dict[tuple[str, int], int]:
        futures = self._admin.list_offsets(
            dict.fromkeys(partitions, spec),
            isolation_level=IsolationLevel.READ_COMMITTED,
            request_timeout=_TIMEOUT_S,
        )
        return {(tp.topic, tp.partition): f.result().offset for tp, f in futures.items()}

    def bytes_on_disk(self, topic: str) -> int | None:
        """The size of the topic's log segments on the local broker; None for a remote cluster."""
        if self._log_dir is None or not self._log_dir.is_dir():
            return None
        return sum(
            segment.stat().st_size
            for folder in self._log_dir.glob(f"{topic}-*")
            if folder.name.rsplit("-", 1)[-1].isdigit() and folder.name.rsplit("-", 1)[0] == topic
            for segment in folder.glob("*.log")
        )

    def sizes(self, progress: Progress | None, written: Iterable[str] = ()) -> list[dict[str, Any]]:
        """A row per configured topic, then per other topic of ``written`` (those the producer
        writes, as its metrics say: sources' topics ``kafka.topics`` does not name, key None):
        partitions, offsets, bytes and the Spark job's lag."""
        named: list[tuple[str | None, str]] = [
            (key, topic.name) for key, topic in self._settings.kafka.topics.items()
        ]
        others = sorted(set(written) - {name for _, name in named})
        named += [(None, name) for name in others]
        offsets = self.offsets(name for _, name in named)
        rows: list[dict[str, Any]] = []
        for key, name in named:
            parts = offsets.get(name)
            if parts is None:
                rows.append({"key": key, "topic": name, "exists": False})
                continue
            consumed = progress.offsets.get(name) if progress is not None else None
            lag = None
            if consumed is not None:
                lag = sum(max(0, o.stable - consumed.get(p, o.earliest)) for p, o in parts.items())
            rows.append(
                {
                    "key": key,
                    "topic": name,
                    "exists": True,
                    "partitions": len(parts),
                    "records": sum(o.stable - o.earliest for o in parts.values()),
                    "bytes": self.bytes_on_disk(name),
                    "spark_lag": lag,
                }
            )
        return rows

    def covers(self, album_ids: set[str]) -> dict[str, str]:
        """Cover image URLs of those of ``album_ids`` among the newest records of the albums
        topic (a medium-sized image: 300 px where the API gives one)."""
        name = self._settings.kafka.topics["albums"].name
        parts = self.offsets([name]).get(name, {})
        if not album_ids or not parts:
            return {}
        consumer = Consumer(
            {
                **client_config(self._settings.kafka),
                "group.id": f"tunestream-dashboard-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
            },
            logger=ClientLog(),
        )
        remaining = {p for p, o in parts.items() if o.stable > o.earliest}
        consumer.assign(
            [
                TopicPartition(name, p, max(parts[p].earliest, parts[p].stable - _COVER_TAIL))
                for p in remaining
            ]
        )
        found: dict[str, str] = {}
        try:
            while remaining:
                message = consumer.poll(_TIMEOUT_S)
                if message is None:
                    break
                if message.error() is not None:
                    remaining.discard(message.partition() or 0)
                    continue
                if (message.offset() or 0) + 1 >= parts[message.partition() or 0].stable:
                    remaining.discard(message.partition() or 0)
                key = (message.key() or b"").decode(errors="replace")
                if key in album_ids:
                    url = _cover_url(message.value())
                    if url is not None:
                        found[key] = url
        finally:
            consumer.close()
        return found


def _cover_url(value: bytes | None) -> str | None:
    try:
        album = orjson.loads(value or b"null")
    except orjson.JSONDecodeError:
        return None
    images = album.get("images") if isinstance(album, dict) else None
    if not isinstance(images, list) or not images:
        return None
    sized = [i for i in images if isinstance(i, dict) and isinstance(i.get("url"), str)]
    if not sized:
        return None
    medium = min(sized, key=lambda i: abs((i.get("width") or 300) - 300))
    url: str = medium["url"]
    return url
