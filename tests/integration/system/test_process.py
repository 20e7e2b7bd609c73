"""Background processes: what `down` relies on to leave nothing behind."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.support.net import free_port
from tunestream.config import Settings
from tunestream.errors import ComponentError
from tunestream.system import System
from tunestream.system.components import EMULATOR_MODULE, Component, HttpReady
from tunestream.system.process import DetachedProcess, alive, session_members

pytestmark = pytest.mark.integration

SPAWNS_OWN_GROUP = (
    "import subprocess, time; subprocess.Popen(['sleep', '300'], process_group=0); time.sleep(300)"
)
IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
)


def wait_members(sid: int, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while len(members := session_members(sid)) < count:
        assert time.monotonic() < deadline, f"session {sid}: {members}"
        time.sleep(0.05)
    return members


def test_stop_reaches_children_in_other_process_groups(tmp_path: Path) -> None:
    process = DetachedProcess("family", tmp_path)
    # The child moves to a process group of its own, as PySpark's daemon does.
    record, _ = process.start([sys.executable, "-c", SPAWNS_OWN_GROUP], os.environ)
    members = wait_members(record.pid, 2)
    groups = {os.getpgid(pid) for pid in members}
    assert len(groups) == 2
    assert process.stop(signal.SIGTERM, 5.0)
    assert session_members(record.pid) == []
    assert not any(alive(pid) for pid in members)
    assert not process.pid_file.exists()
    assert not process.stop(signal.SIGTERM, 5.0)


def test_a_process_that_ignores_the_signal_is_killed_after_the_grace(tmp_path: Path) -> None:
    process = DetachedProcess("stubborn", tmp_path)
    record, _ = process.start([sys.executable, "-c", IGNORES_SIGTERM], os.environ)
    time.sleep(0.5)  # let it install its handler
    started = time.monotonic()
    assert process.stop(signal.SIGTERM, 1.5)
    assert time.monotonic() - started >= 1.5
    assert not alive(record.pid)


def test_a_pid_file_of_another_process_is_not_ours(tmp_path: Path) -> None:
    process = DetachedProcess("reused", tmp_path)
    record, _ = process.start(["sleep", "300"], os.environ)
    assert process.running() == record
    # The same pid, started at another time: the kernel gave our pid to someone else.
    process.pid_file.write_text(process.pid_file.read_text().replace(str(record.started), "1"))
    assert process.running() is None
    assert not process.stop(signal.SIGTERM, 1.0)
    assert alive(record.pid)
    os.kill(record.pid, signal.SIGKILL)
    while alive(record.pid):
        time.sleep(0.05)


def test_a_component_that_fails_to_start_is_one_error_with_its_log(tmp_path: Path) -> None:
    system = System(Settings(data_dir=tmp_path))
    port = free_port()
    broken = Component(
        "emulator",
        ("--port", str(port), "--speed", "-1"),
        HttpReady(f"http://127.0.0.1:{port}/_admin/health"),
        port=port,
        port_key="system.emulator.port",
        module=EMULATOR_MODULE,
    )
    with pytest.raises(ComponentError) as raised:
        system.start(broken, lambda line: None)
    message = str(raised.value)
    first, *tail = message.splitlines()
    assert first.startswith("emulator exited during start-up; its log is ")
    assert any("speed" in line for line in tail), message
    assert DetachedProcess("emulator", tmp_path / "system").running() is None


def test_a_taken_port_is_named_with_its_setting(tmp_path: Path) -> None:
    import socket

    system = System(Settings(data_dir=tmp_path))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        component = Component(
            "dashboard", ("dashboard",), None, port=port, port_key="dashboard.port"
        )
        with pytest.raises(ComponentError, match=f"port {port} .* dashboard.port"):
            system.start(component, lambda line: None)
