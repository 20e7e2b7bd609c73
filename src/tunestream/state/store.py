"""Source state: small JSON documents by key, read at start-up, written with the records.

The Kafka store reads the whole compacted state topic (``read_committed``) once at start-up;
afterwards the runtime keeps the state in memory and every change goes out as a record in the
same transaction as the records it describes. Keys carry the source's name as a prefix, so
several sources can share one state topic.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from confluent_kafka import Consumer, KafkaException, TopicPartition

from tunestream.errors import SinkError
from tunestream.kafka.client import ClientConfig, ClientLog, committed_reader
from tunestream.records import Record

__all__ = ["KafkaStateStore", "state_records"]


def state_records(topic: str, prefix: str, changes: Mapping[str, bytes | None]) -> list[Record]:
    """The records that write ``changes`` (None deletes a key) to the state topic."""
    return [Record(topic, f"{prefix}{key}".encode(), value) for key, value in changes.items()]


class KafkaStateStore:
    """Reads a compacted topic from the beginning to its last stable offset."""

    def __init__(
        self, config: ClientConfig, topic: str, prefix: str, *, timeout_s: float = 60.0
    ) -> None:
        self._config = config
        self.topic = topic
        self.prefix = prefix
        self._timeout = timeout_s

    def load(self) -> dict[str, bytes]:
        group = f"tunestream-state-{uuid.uuid4().hex}"
        consumer = Consumer(committed_reader(self._config, group), logger=ClientLog())
        try:
            return self._read_all(consumer)
        except KafkaException as exc:
            raise SinkError(f"reading state topic {self.topic} failed: {exc.args[0]}") from exc
        finally:
            consumer.close()

    def _read_all(self, consumer: Consumer) -> dict[str, bytes]:
        metadata = consumer.list_topics(self.topic, timeout=self._timeout)
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None:
            raise SinkError(
                f"state topic {self.topic} does not exist; "
                "create it with `tunestream topics create`"
            )
        partitions = [TopicPartition(self.topic, p, 0) for p in topic.partitions]
        consumer.assign(partitions)
        pending = {p.partition for p in partitions}
        state: dict[str, bytes] = {}
        while pending:
            message = consumer.poll(self._timeout)
            if message is None:
                raise SinkError(f"reading state topic {self.topic} timed out")
            error = message.error()
            if error is not None:
                if error.code() == error._PARTITION_EOF:
                    pending.discard(message.partition())
                    continue
                raise KafkaException(error)
            raw_key = message.key()
            if raw_key is None:
                continue
            key = raw_key.decode()
            if not key.startswith(self.prefix):
                continue
            value = message.value()
            if value is None:
                state.pop(key[len(self.prefix) :], None)
            else:
                state[key[len(self.prefix) :]] = value
        return state
