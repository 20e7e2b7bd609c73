"""`tunestream down` leaves no process behind, and a second `up` brings everything back.

Runs after the other system tests (it restarts the shared system)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.support.system import UP_TIMEOUT_S, SystemUnderTest, kill_and_await_restart

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def live_processes() -> dict[int, tuple[int, int, str]]:
    """pid → (process group, session, state) of every process."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            found[int(entry.name)] = (int(fields[2]), int(fields[3]), fields[0])
    return found


def left_behind(leaders: set[int]) -> list[int]:
    """Processes still alive whose pid, process group or session is one of ``leaders``."""
    return [
        pid
        for pid, (group, session, state) in live_processes().items()
        if state not in ("Z", "X") and ({pid, group, session} & leaders)
    ]


def test_down_leaves_nothing_and_a_second_up_works(system: SystemUnderTest) -> None:
    pids = system.pids()
    assert set(pids) == {"kafka", "emulator", "producer", "spark", "dashboard", "supervisor"}
    leaders = set(pids.values())
    # The Spark job is more than one process: its JVM (and any Python worker) must go too.
    spark = pids["spark"]
    assert len([p for p, (_, sid, _) in live_processes().items() if sid == spark]) >= 2

    tables = system.api("tables")["state"]
    done = system.run("down")
    assert done.returncode == 0, done.stderr
    for name in ("supervisor", "dashboard", "spark", "producer", "emulator", "kafka"):
        assert f"{name}: stopped" in done.stderr, done.stderr
    assert left_behind(leaders) == []
    assert not list((system.data_dir / "system").glob("*.pid"))
    status = system.run("status", timeout_s=60)
    assert status.returncode == 3
    assert "running" not in status.stdout

    again = system.run("down")
    assert again.returncode == 0 and "spark: not running" in again.stderr

    # `make run` again: up in the foreground, then Ctrl-C.
    foreground = system.start("up", "--foreground")
    new_pids: dict[str, int] = {}
    try:
        deadline = time.monotonic() + UP_TIMEOUT_S
        while foreground.poll() is None and system.url_of_dashboard() is None:
            assert time.monotonic() < deadline, "the second up did not finish"
            time.sleep(1.0)
        assert foreground.poll() is None, foreground.communicate()[1]
        assert system.run("status", timeout_s=60).returncode == 0
        kill_and_await_restart(system, "producer")  # supervised in the foreground too
        new_pids = system.pids()
        assert not set(new_pids.values()) & leaders
        # What the tables held is there at once (run alone, the first batch may not be done).
        assert system.api("tables")["state"] in ({"ok"} if tables == "ok" else {"ok", "waiting"})
    finally:
        foreground.send_signal(signal.SIGINT)
        _, stderr = foreground.communicate(timeout=UP_TIMEOUT_S)
    assert foreground.returncode == 0, stderr
    assert "kafka: stopped" in stderr
    assert left_behind(set(new_pids.values())) == []
