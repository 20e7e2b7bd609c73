"""``tunestream state show | reset`` on a real source state: read back readably, rewound through
the source's transactional path, refused while the source's producer runs."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.github_source import GithubRun
from tunestream.config import KafkaSettings
from tunestream_emulator.github import GithubHandle, LimitSettings

pytestmark = pytest.mark.integration

UNLIMITED = LimitSettings(rate_limit_per_hour=1_000_000, max_concurrent=None, max_per_minute=None)


def tunestream(run: GithubRun, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        run.command(*args), env=run.env, capture_output=True, text=True, timeout=300
    )


def test_show_then_rewind_and_replay_then_refuse_while_running(
    kafka_settings: KafkaSettings,
    start_github: Callable[..., GithubHandle],
    tmp_path: Path,
) -> None:
    handle = start_github(limits=UNLIMITED, latency_ms=20)
    run = GithubRun(handle, kafka_settings, tmp_path, rate_limit={"requests_per_second": 200})
    assert tunestream(run, "produce", "--once").returncode == 0
    truth = run.truth()
    newest = max(i["updated_at"] for i in truth["issues"] if "/alpha/" in i["url"])

    shown = tunestream(run, "state", "show")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "source github"
    assert any(
        line.startswith("  issues [repo=octo-org/alpha]: read ") and f"since {newest}" in line
        for line in lines
    ), shown.stdout
    assert any(
        line.startswith("  releases [repo=octo-org/alpha]:") and "ETag" in line for line in lines
    ), shown.stdout

    # a rewind without --replay fetches again and writes only what is missing: nothing
    issues = len(run.kept("issues").pairs)
    reset = tunestream(run, "state", "reset", "github", "--resource", "issues")
    assert reset.returncode == 0, reset.stderr
    assert tunestream(run, "produce", "--once").returncode == 0
    assert len(run.kept("issues").pairs) == issues

    # --replay forgets what was written: every issue is written again, once
    reset = tunestream(
        run,
        "state",
        "reset",
        "github",
        "--resource",
        "issues",
        "--cursor",
        "2000-01-01T00:00:00Z",
        "--replay",
    )
    assert reset.returncode == 0, reset.stderr
    assert tunestream(run, "produce", "--once").returncode == 0
    pairs = run.kept("issues").pairs
    assert len(pairs) == 2 * issues
    assert set(Counter(pairs).values()) == {2}  # the same versions, each twice

    # while the source's producer runs here, a reset refuses and changes nothing
    producer = subprocess.Popen(
        run.command("produce"), env=run.env, stderr=subprocess.PIPE, text=True
    )
    try:
        # started: its lock file names it (the lock is taken before the pid is written)
        lock = run.config.parent / "data" / "locks" / "github.lock"
        while not (lock.exists() and lock.read_text().strip() == str(producer.pid)):
            assert producer.poll() is None, producer.communicate()[1][-3000:]
            time.sleep(0.1)
        refused = tunestream(run, "state", "reset", "github")
        assert refused.returncode != 0
        assert refused.stderr.startswith(
            "tunestream: error: cannot reset source github: the "
            "producer of source github is running"
        )
        assert len(refused.stderr.splitlines()) == 1
    finally:
        producer.terminate()
        producer.wait(timeout=60)
