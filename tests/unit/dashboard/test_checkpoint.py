"""The Spark job's position, read from a Structured Streaming checkpoint as Spark writes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunestream.dashboard.checkpoint import read_progress

pytestmark = pytest.mark.unit

METADATA = {"batchWatermarkMs": 0, "batchTimestampMs": 1_795_520_897_728, "conf": {}}


def write_batch(query: Path, batch: int, offsets: dict[str, dict[str, int]], done: bool) -> None:
    (query / "offsets").mkdir(parents=True, exist_ok=True)
    (query / "commits").mkdir(parents=True, exist_ok=True)
    lines = ["v1", json.dumps(METADATA), json.dumps(offsets)]
    (query / "offsets" / str(batch)).write_text("\n".join(lines))
    (query / "offsets" / f".{batch}.crc").write_bytes(b"\0")
    if done:
        (query / "commits" / str(batch)).write_text('v1\n{"nextBatchWatermarkMs":0}')


def test_the_newest_committed_batch_counts_not_the_one_in_flight(tmp_path: Path) -> None:
    write_batch(tmp_path, 0, {"spotify.albums": {"0": 5, "1": 7}}, done=True)
    write_batch(
        tmp_path, 1, {"spotify.albums": {"0": 9, "1": 7}, "spotify.tracks": {"0": 3}}, done=True
    )
    write_batch(tmp_path, 2, {"spotify.albums": {"0": 99, "1": 99}}, done=False)

    progress = read_progress(tmp_path)

    assert progress is not None
    assert progress.batch == 1
    assert progress.offsets == {"spotify.albums": {0: 9, 1: 7}, "spotify.tracks": {0: 3}}


def test_before_the_first_commit_there_is_no_progress(tmp_path: Path) -> None:
    assert read_progress(tmp_path / "missing") is None
    write_batch(tmp_path, 0, {"spotify.albums": {"0": 5}}, done=False)
    assert read_progress(tmp_path) is None
