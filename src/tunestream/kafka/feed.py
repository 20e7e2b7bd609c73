"""A topic another source writes, read as a source's input: consume, fetch, produce, once.

A :class:`TopicFeed` reads one topic for one cycle on behalf of a consumer group (the reading
source's transactional id): it starts at the group's committed offsets, reads only committed
records (``isolation.level=read_committed``: nothing an aborted or open transaction holds), and
tells the caller how far each partition has been read. The group's offsets are never committed
here: the caller sends them with the transaction that holds the work the records gave
(``send_offsets_to_transaction``, :mod:`tunestream.sink.transactional`), so that the position
and what was made of the records move together or not at all (KIP-98; Kafka Streams' exactly-once
model). A feed is opened per cycle: its end is where each partition's end was when it got there
(``enable.partition.eof``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition
from confluent_kafka import KafkaError as RdKafkaError

from tunestream.errors import SinkError
from tunestream.kafka.client import ClientConfig, ClientLog, committed_reader

__all__ = ["Polled", "TopicFeed", "behind", "rewound"]

log = logging.getLogger(__name__)

_IDLE_END_S = 30.0
"""A feed that gets neither a record nor an end of partition for this long is at its end (a
partition that a transaction left open holds ``read_committed`` readers until it ends)."""


@dataclass(frozen=True)
class Polled:
    """What one poll read: the records' keys and values, in order per partition, and the
    positions read to (the next offset of each partition read from)."""

    records: list[tuple[bytes | None, bytes | None]]
    positions: list[TopicPartition]
    at_end: bool
    """Every partition has been read to its end."""


class TopicFeed:
    """Reads a topic's committed records from where group ``group_id`` left off."""

    def __init__(
        self, config: ClientConfig, topic: str, group_id: str, *, timeout_s: float = 30.0
    ) -> None:
        self.topic = topic
        self._consumer = Consumer(committed_reader(config, group_id), logger=ClientLog())
        self._timeout = timeout_s
        self._partitions: set[int] = set()
        self._ended: set[int] = set()
        self._last_news = time.monotonic()

    def open(self) -> None:
        """Assign every partition of the topic at the group's committed offset (the beginning
        where it has none)."""
        try:
            wanted = _partitions(self._consumer, self.topic, self._timeout)
            committed = self._consumer.committed(wanted, timeout=self._timeout)
        except KafkaException as exc:
            raise SinkError(f"reading the offsets of {self.topic} failed: {exc.args[0]}") from exc
        for partition in committed:
            if partition.offset < 0:  # none committed yet
                partition.offset = OFFSET_BEGINNING
        self._consumer.assign(committed)
        self._partitions = {p.partition for p in committed}
        self._last_news = time.monotonic()

    def poll(self, limit: int, timeout_s: float = 1.0) -> Polled:
        """Up to ``limit`` records (blocks up to ``timeout_s`` for the first)."""
        try:
            messages = self._consumer.consume(limit, timeout_s)
        except KafkaException as exc:
            raise SinkError(f"reading topic {self.topic} failed: {exc.args[0]}") from exc
        records: list[tuple[bytes | None, bytes | None]] = []
        touched: set[int] = set()
        for message in messages:
            error = message.error()
            partition = message.partition()
            assert partition is not None
            touched.add(partition)
            if error is not None:
                if error.code() != RdKafkaError._PARTITION_EOF:
                    raise SinkError(f"reading topic {self.topic} failed: {error.str()}")
                self._ended.add(partition)
                continue
            self._ended.discard(partition)
            records.append((message.key(), message.value()))
        # the consumer's position: past the records returned, and at an end past the markers
        # of the transactions before it, so a group read to the end shows no lag
        positions = self._consumer.position([TopicPartition(self.topic, p) for p in touched])
        now = time.monotonic()
        if messages:
            self._last_news = now
        quiet = now - self._last_news
        idle = quiet >= _IDLE_END_S
        if idle and self._ended != self._partitions:
            log.info("topic %s: no news for %.0f s; read to here this cycle", self.topic, quiet)
        return Polled(
            records,
            [p for p in positions if p.offset >= 0],
            at_end=self._ended >= self._partitions or idle,
        )

    def group_metadata(self) -> object:
        """The consumer group's metadata, sent with the offsets in a transaction."""
        return self._consumer.consumer_group_metadata()

    def close(self) -> None:
        self._consumer.close()


def behind(config: ClientConfig, topic: str, group_id: str, timeout_s: float = 30.0) -> int:
    """How many offsets of ``topic`` group ``group_id`` has yet to read (records, and the markers
    of transactions between them): its end less the group's committed position, summed."""
    consumer = Consumer({**config, "group.id": group_id, "enable.auto.commit": False})
    try:
        wanted = _partitions(consumer, topic, timeout_s)
        total = 0
        for partition in consumer.committed(wanted, timeout=timeout_s):
            low, high = consumer.get_watermark_offsets(partition, timeout=timeout_s)
            total += high - (partition.offset if partition.offset >= 0 else low)
        return total
    except KafkaException as exc:
        raise SinkError(f"reading the offsets of {topic} failed: {exc.args[0]}") from exc
    finally:
        consumer.close()


def rewound(
    config: ClientConfig,
    topic: str,
    group_id: str,
    since_ms: int | None = None,
    timeout_s: float = 30.0,
) -> tuple[list[TopicPartition], object]:
    """Where group ``group_id`` reads ``topic`` from once rewound: each partition's first offset
    still held, or the first of a record written at or after ``since_ms`` (the partition's
    committed end where there is none); with the group's metadata, to commit them with a
    transaction (``send_offsets_to_transaction``), as the producer commits a feed's positions."""
    consumer = Consumer(committed_reader(config, group_id), logger=ClientLog())
    try:
        partitions = _partitions(consumer, topic, timeout_s)
        # read_committed: the high watermark is the last stable offset, past no open transaction
        marks = {p.partition: consumer.get_watermark_offsets(p, timeout_s) for p in partitions}
        if since_ms is None:
            positions = [TopicPartition(topic, p, low) for p, (low, _) in marks.items()]
        else:
            found = consumer.offsets_for_times(
                [TopicPartition(topic, p.partition, since_ms) for p in partitions], timeout_s
            )
            positions = [
                TopicPartition(
                    topic, f.partition, f.offset if f.offset >= 0 else marks[f.partition][1]
                )
                for f in found
            ]
        return positions, consumer.consumer_group_metadata()
    except KafkaException as exc:
        raise SinkError(f"reading the offsets of {topic} failed: {exc.args[0]}") from exc
    finally:
        consumer.close()


def _partitions(consumer: Consumer, topic: str, timeout_s: float) -> list[TopicPartition]:
    """Every partition of input topic ``topic``; its absence is an error that says what to do."""
    found = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
    if found is None or found.error is not None:
        raise SinkError(
            f"input topic {topic} does not exist: the source that writes it creates it "
            "(`tunestream topics create`), or name another in the spec's topic:"
        )
    return [TopicPartition(topic, p) for p in sorted(found.partitions)]
