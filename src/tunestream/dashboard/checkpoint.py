"""Where the Spark job stands in the topics, read from its streaming checkpoint.

The job keeps no consumer group: Structured Streaming records, per micro-batch ``N``, the Kafka
offsets the batch ends at in ``offsets/N`` and writes ``commits/N`` once the batch is done. The
offsets of the newest committed batch are what the job has consumed; the records after them, up
to each partition's last stable offset, are its lag. ``offsets/N`` is three or more lines:
``v1``, the batch metadata, then one JSON line per source — the Kafka source's is
``{"topic": {"partition": offset, …}, …}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Progress", "read_progress"]


@dataclass(frozen=True)
class Progress:
    batch: int
    """The newest committed micro-batch."""
    committed_at: float
    """When it was committed (Unix time of ``commits/<batch>``)."""
    offsets: dict[str, dict[int, int]]
    """Topic → partition → the next offset the job will read."""


def _batches(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())


def read_progress(query_dir: Path) -> Progress | None:
    """The newest committed batch of the query checkpointed in ``query_dir``; None before the
    first (or when the files are not what Structured Streaming writes)."""
    committed = _batches(query_dir / "commits")
    if not committed:
        return None
    batch = committed[-1]
    try:
        lines = (query_dir / "offsets" / str(batch)).read_text(encoding="utf-8").splitlines()
        committed_at = (query_dir / "commits" / str(batch)).stat().st_mtime
    except OSError:
        return None
    offsets: dict[str, dict[int, int]] = {}
    for line in lines[2:]:
        try:
            source = json.loads(line)
        except ValueError:
            continue
        if not isinstance(source, dict):
            continue
        for topic, partitions in source.items():
            if isinstance(partitions, dict):
                offsets[topic] = {int(p): int(o) for p, o in partitions.items()}
    return Progress(batch, committed_at, offsets)
