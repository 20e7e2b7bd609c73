"""A transactional, idempotent Kafka producer: a unit of records is written whole or not at all.

Records and the source state that says they were written go into the same transaction, so after
a crash at any moment the state read back on restart describes exactly the records that are
visible to ``read_committed`` consumers (Kafka Connect's exactly-once source model).

A :class:`TransactionalSink` is one producer with one ``transactional.id``: ``begin``, any number
of ``produce`` calls, then ``commit`` (or ``abort``); ``write`` does all three for one unit. The
runtime uses a :class:`SinkPair` — two producers with two ids (``<id>`` and ``<id>.1``) that take
turns, so that one unit's commit (the tail of its batches, the acks, the transaction markers)
overlaps with the next unit being produced into the other (see
:class:`~tunestream.runtime.committer.Committer`). Starting the pair registers both ids, which
fences any older process holding either and aborts whatever transaction it left open.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from functools import partial

from confluent_kafka import KafkaError as RdKafkaError
from confluent_kafka import KafkaException, Producer, TopicPartition

from tunestream.errors import ProducerFenced, SinkError, TransactionAborted
from tunestream.kafka.client import ClientConfig, ClientLog
from tunestream.records import Record

__all__ = ["MAX_MESSAGE_BYTES", "SinkPair", "TransactionalSink", "pair_ids", "producer_config"]

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
"""The largest record the producer sends (by the size rule of :mod:`tunestream.runtime.wire`:
uncompressed, with its batch's framing; a larger one is a dead letter); topics holding large
documents allow as much, and librdkafka's ``message.max.bytes`` is set above it."""

_FENCED = {RdKafkaError._FENCED, RdKafkaError.INVALID_PRODUCER_EPOCH, RdKafkaError.PRODUCER_FENCED}


def producer_config(base: ClientConfig, transactional_id: str) -> ClientConfig:
    """Producer settings for exactly-once writes of JSON documents, some over 1 MB."""
    return {
        **base,
        "transactional.id": transactional_id,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": "zstd",
        # librdkafka's default: a unit's first batches leave soon after its records arrive, so
        # they travel while the previous unit commits (longer lingers measured slower)
        "linger.ms": 5,
        "batch.size": 1024 * 1024,
        "message.max.bytes": MAX_MESSAGE_BYTES + 64 * 1024,
        "transaction.timeout.ms": 120_000,
        # a topic that is not there is an error, not one the broker makes with its defaults
        "allow.auto.create.topics": False,
    }


class TransactionalSink:
    """Writes units of records, each in one Kafka transaction.

    ``start`` must come first: it registers the transactional id, which fences any older producer
    with the same id and aborts the transaction that producer left open, and loads the metadata
    of the topics the sink will write (so the first unit does not wait for it).
    """

    def __init__(self, config: ClientConfig, *, timeout_s: float = 60.0) -> None:
        # No delivery callback: a record that fails makes the transaction abortable, and the
        # client logs which topic and partition refused what, and why (kept by ClientLog for
        # the error). A callback would cost an allocation per record and a turn of the GIL per
        # delivery on the thread that commits: time on the write path that plain producers save.
        self._log = ClientLog()
        self._producer = Producer(dict(config), logger=self._log)
        self._timeout = timeout_s
        self._offsets: tuple[Sequence[TopicPartition], object] | None = None

    def start(self, topics: Iterable[str] = ()) -> None:
        self._call(
            "registering the transactional producer",
            lambda: self._producer.init_transactions(self._timeout),
        )
        for topic in topics:
            self._call(f"reading the metadata of topic {topic}", partial(self._metadata, topic))

    def begin(self) -> None:
        """Open a transaction: a local step, no round trip to the broker."""
        self._log.clear()
        self._call("beginning a transaction", self._producer.begin_transaction)

    def produce(self, records: Iterable[Record]) -> int:
        """Queue the records in the open transaction (the producer's threads send them); return
        how many."""
        producer = self._producer
        produce = producer.produce  # the loop runs per record: no lookups, no frames
        count = 0
        for record in records:
            while True:
                try:
                    produce(
                        record.topic,
                        record.value,
                        record.key,
                        headers=list(record.headers),
                        timestamp=record.timestamp_ms or 0,  # 0: now
                    )
                    break
                except BufferError:  # the local queue is full: let deliveries drain it
                    producer.poll(0.1)
                except KafkaException as exc:
                    raise self._produce_failed(record, exc) from exc
            count += 1
        return count

    def send_offsets(self, positions: Sequence[TopicPartition], group: object) -> None:
        """Commit consumer group ``group``'s ``positions`` with the open transaction: sent when
        it commits (a round trip to the group's coordinator, off the event loop)."""
        self._offsets = (positions, group)

    def commit(self) -> None:
        """Commit the open transaction (and the offsets given to it): waits for every record in
        it to be acknowledged. If it fails, the transaction is aborted (a fenced producer has
        nothing left to abort)."""
        offsets, self._offsets = self._offsets, None
        if offsets is not None:
            positions, group = offsets
            try:
                self._producer.send_offsets_to_transaction(list(positions), group, self._timeout)
            except KafkaException as exc:
                failure = self._translate("sending the input offsets", exc)
                if not isinstance(failure, TransactionAborted | ProducerFenced):
                    self.abort()
                raise failure from exc
        while True:
            try:
                self._producer.commit_transaction(self._timeout)
                return
            except KafkaException as exc:
                error = exc.args[0]
                if error.retriable() and not error.txn_requires_abort():
                    log.info("committing the transaction: %s; retrying", error.str())
                    continue
                failure = self._translate("committing the transaction", exc)
                if not isinstance(failure, TransactionAborted | ProducerFenced):
                    self.abort()
                raise failure from exc

    def abort(self) -> None:
        """Abort the open transaction, if any; a failure to abort is logged, not raised."""
        self._offsets = None
        try:
            self._producer.abort_transaction(self._timeout)
        except KafkaException as exc:
            log.warning("aborting the transaction failed: %s", exc.args[0])

    def write(
        self,
        records: Iterable[Record],
        offsets: tuple[Sequence[TopicPartition], object] | None = None,
    ) -> int:
        """Write the records in one transaction, with a consumer group's ``offsets`` (positions,
        group metadata) if given; return how many. All or nothing."""
        self.begin()
        try:
            count = self.produce(records)
        except TransactionAborted:  # aborted already
            raise
        except BaseException:
            self.abort()
            raise
        if offsets is not None:
            self.send_offsets(*offsets)
        self.commit()
        return count

    def close(self) -> None:
        self._producer.flush(self._timeout)

    # -- steps -------------------------------------------------------------------------------

    def _metadata(self, topic: str) -> None:
        self._producer.list_topics(topic, timeout=self._timeout)

    def _produce_failed(self, record: Record, exc: KafkaException) -> SinkError:
        error = exc.args[0]
        if error.code() == RdKafkaError.MSG_SIZE_TOO_LARGE:
            return SinkError(
                f"record {record.key!r} for {record.topic} is "
                f"{len(record.value or b'')} bytes, over the producer's limit"
            )
        return self._translate("producing a record", exc)

    def _call(self, what: str, operation: Callable[[], object]) -> None:
        try:
            operation()
        except KafkaException as exc:
            raise self._translate(what, exc) from exc

    def _translate(self, what: str, exc: KafkaException) -> SinkError:
        error: RdKafkaError = exc.args[0]
        fenced = error.code() in _FENCED
        aborted = not fenced and error.txn_requires_abort()
        if aborted:
            self.abort()
        # the client's log lines queued so far (aborting served most): the cause among them
        with contextlib.suppress(KafkaException):  # a fenced producer raises its fatal error
            self._producer.poll(0)
        detail = error.str()
        cause = self._log.first_error
        if cause is not None and detail not in cause:
            detail = f"{detail}; {cause}"
        if fenced:
            return ProducerFenced(
                f"{what}: another producer with this transactional.id took over ({detail})"
            )
        if aborted:
            return TransactionAborted(f"{what}: the transaction was aborted ({detail})")
        return SinkError(f"{what} failed: {detail}")


def pair_ids(transactional_id: str) -> tuple[str, str]:
    """The two transactional ids of a :class:`SinkPair`: ``<id>`` and ``<id>.1``."""
    return transactional_id, f"{transactional_id}.1"


class SinkPair:
    """Two transactional producers that take turns with units (``<id>`` and ``<id>.1``), so one
    unit's commit runs while the next is produced. ``start`` registers both ids: a restart fences
    an older process that held either and aborts whatever it left open in either."""

    def __init__(
        self, base: ClientConfig, transactional_id: str, *, timeout_s: float = 60.0
    ) -> None:
        first, second = (
            TransactionalSink(producer_config(base, id_), timeout_s=timeout_s)
            for id_ in pair_ids(transactional_id)
        )
        self.sinks: tuple[TransactionalSink, TransactionalSink] = (first, second)

    def start(self, topics: Iterable[str] = ()) -> None:
        """Register both ids; load the metadata of ``topics`` (those the units will write)."""
        topics = list(topics)
        for sink in self.sinks:
            sink.start(topics)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
