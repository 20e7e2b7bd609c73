"""Background processes: what `down` relies on to leave nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.net import free_port
from tunestream.config import Settings
from tunestream.errors import ComponentError
from tunestream.pids import alive
from tunestream.system import System
from tunestream.system.components import EMULATOR_MODULE, Component, HttpReady
from tunestream.system.process import DetachedProcess, session_members
from tunestream.system.supervision import read_record
from tunestream.system.supervisor import Supervisor

pytestmark = pytest.mark.integration

SPAWNS_OWN_GROUP = (
    "import subprocess, time; subprocess.Popen(['sleep', '300'], process_group=0); time.sleep(300)"
)
IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
)
# Its main thread ends first; the process's exit status comes only when its last thread ends
# with exit code 7, 1.5 s later (as a JVM's or a threaded Python's just after SIGKILL).
MAIN_THREAD_ENDS_FIRST = (
    "import ctypes, os, threading, time; "
    "threading.Thread(target=lambda: (time.sleep(1.5), os._exit(7))).start(); "
    "ctypes.CDLL(None).pthread_exit(None)"
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


class OneComponent:
    """What the supervisor uses of a System: one component, a real process running ``code``."""

    def __init__(self, home: Path, code: str) -> None:
        self.home = home
        self.code = code
        self.components = [Component("worker", ("worker",), None)]

    def broker(self) -> None:
        return None

    def process(self, name: str) -> DetachedProcess:
        return DetachedProcess(name, self.home)

    def start(self, component: Component, echo: Any) -> None:
        self.process(component.name).start([sys.executable, "-c", self.code], os.environ)


def supervised(home: Path, code: str) -> tuple[Supervisor, int]:
    """A supervisor of one component it started (its child); the component's pid."""
    system = OneComponent(home, code)
    system.start(system.components[0], print)
    record = system.process("worker").running()
    assert record is not None
    return Supervisor(system, print), record.pid  # type: ignore[arg-type]


def await_end(pid: int) -> None:
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.05)


def last_exit_after_a_tick(home: Path, watching: Supervisor, pid: int) -> str | None:
    await_end(pid)
    watching.tick()
    record = read_record(home, "worker")
    assert record is not None and record.state == "restarting", record
    return record.last_exit


def test_the_exit_of_a_process_whose_main_thread_ended_first_is_waited_for(
    tmp_path: Path,
) -> None:
    watching, pid = supervised(tmp_path, MAIN_THREAD_ENDS_FIRST)
    assert last_exit_after_a_tick(tmp_path, watching, pid) == "exit code 7"
    assert not session_members(pid)


def test_a_process_killed_while_another_starts_keeps_its_exit_status(tmp_path: Path) -> None:
    watching, pid = supervised(tmp_path, "import time; time.sleep(300)")
    os.kill(pid, signal.SIGKILL)
    await_end(pid)
    # Starting any subprocess reaps the processes of every dropped Popen object that ended.
    subprocess.run(["true"], check=True)
    assert last_exit_after_a_tick(tmp_path, watching, pid) == "killed by SIGKILL"
