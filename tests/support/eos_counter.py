"""A minimal source for the exactly-once test: writes the numbers 0..N-1, resuming from state.

Run as ``python -m tests.support.eos_counter BOOTSTRAP TOPIC STATE_TOPIC N``. It writes as the
producer does — a :class:`~tunestream.runtime.committer.Committer` on a
:class:`~tunestream.sink.transactional.SinkPair`, so one unit commits while the next is open —
each unit a few numbers plus the state saying where the count stands; a line ``committed`` after
each commit lets a test kill it at a chosen point of its progress.
"""

from __future__ import annotations

import asyncio
import sys

from tunestream.records import Record
from tunestream.runtime.committer import Committer
from tunestream.sink.transactional import SinkPair
from tunestream.state.store import KafkaStateStore
from tunestream.state.work import WorkState

UNIT = 7
PREFIX = "counter/"


async def count(committer: Committer, state: WorkState, topic: str, total: int) -> int:
    cursor = state.cursor("count", "all")
    position = int(cursor["next"]) if cursor else 0
    while position < total:
        end = min(position + UNIT, total)
        committer.add(
            [Record(topic, str(n).encode(), str(n).encode()) for n in range(position, end)]
        )
        state.set_cursor("count", "all", {"next": end})
        position = end
        await committer.maybe_flush()  # due after every add: a unit of UNIT numbers
    await committer.flush()
    return position


def main(bootstrap: str, topic: str, state_topic: str, total: int) -> None:
    base = {"bootstrap.servers": bootstrap}
    sinks = SinkPair(base, f"eos-counter-{topic}")
    sinks.start()  # fences a killed predecessor and aborts what it left open, in both ids
    state = WorkState(KafkaStateStore(base, state_topic, PREFIX).load())
    committer = Committer(
        sinks.sinks,
        state,
        state_topic=state_topic,
        prefix=PREFIX,
        max_records=UNIT,
        on_commit=lambda counts: print("committed", flush=True),
    )
    position = asyncio.run(count(committer, state, topic, total))
    sinks.close()
    print(f"done at {position}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
