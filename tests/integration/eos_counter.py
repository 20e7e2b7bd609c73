"""A minimal source for the exactly-once test: writes the numbers 0..N-1, resuming from state.

Run as ``python -m tests.integration.eos_counter BOOTSTRAP TOPIC STATE_TOPIC N``. Each unit is a
few numbers plus the state record saying where the count stands, in one transaction; a line
``at N`` after each commit lets a test kill it at a chosen point of its progress.
"""

from __future__ import annotations

import sys

from tunestream.records import Record
from tunestream.sink.transactional import TransactionalSink, producer_config
from tunestream.state.store import KafkaStateStore, state_records

UNIT = 7
PREFIX = "counter/"


def main(bootstrap: str, topic: str, state_topic: str, total: int) -> None:
    base = {"bootstrap.servers": bootstrap}
    sink = TransactionalSink(producer_config(base, f"eos-counter-{topic}"))
    sink.start()  # fences a killed predecessor and aborts what it left open
    state = KafkaStateStore(base, state_topic, PREFIX).load()
    position = int(state.get("next", b"0"))
    while position < total:
        end = min(position + UNIT, total)
        records = [Record(topic, str(n).encode(), str(n).encode()) for n in range(position, end)]
        records += state_records(state_topic, PREFIX, {"next": str(end).encode()})
        sink.write(records)
        position = end
        print(f"at {position}", flush=True)
    sink.close()
    print(f"done at {position}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
