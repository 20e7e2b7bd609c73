"""Detached processes: each in a session of its own, with a pid file and a log.

A process is started with ``setsid`` (its pid is its session and process-group id), so a Ctrl-C
in the terminal that started it never reaches it, and stopping it can find everything it started:
every process of its session, including those that moved to a process group of their own (the
PySpark daemon does). The pid file records the process's start time as well, so a pid the kernel
has since given to an unrelated process is not mistaken for ours. Nothing here reaps a process
before it is stopped: how it ended is the supervisor's to read first (:mod:`tunestream.pids`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tunestream.errors import ComponentError
from tunestream.pids import alive, reap, spawn, start_ticks, stat_fields

__all__ = ["DetachedProcess", "ProcessRecord", "session_members"]

_LOG_ROTATE_BYTES = 20 * 1024 * 1024
_KILL_WAIT_S = 10.0


@dataclass(frozen=True)
class ProcessRecord:
    """What a pid file holds."""

    pid: int
    started: int
    """The process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    argv: list[str]


def session_members(sid: int) -> list[int]:
    """Every live process of session ``sid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = stat_fields(int(entry.name))
        if fields is not None and int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def _signal(pids: Sequence[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_until(done: float, check: Callable[[], bool]) -> bool:
    while time.monotonic() < done:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


class DetachedProcess:
    """One named background process: ``<home>/<name>.pid`` and ``<home>/<name>.log``."""

    def __init__(self, name: str, home: Path) -> None:
        self.name = name
        self.home = home
        self.pid_file = home / f"{name}.pid"
        self.log_file = home / f"{name}.log"

    def record(self) -> ProcessRecord | None:
        """The pid file's record, whether or not the process still runs."""
        try:
            return ProcessRecord(**json.loads(self.pid_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def running(self) -> ProcessRecord | None:
        """The record of the process if it is alive and is the one we started."""
        record = self.record()
        if record is None or not alive(record.pid):
            return None
        return record if start_ticks(record.pid) == record.started else None

    def start(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[ProcessRecord, int]:
        """Start ``argv`` in a new session, output appended to the log; the record and the
        log's size before the start (where this run's lines begin)."""
        self.home.mkdir(parents=True, exist_ok=True)
        if self.log_file.exists() and self.log_file.stat().st_size > _LOG_ROTATE_BYTES:
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        with self.log_file.open("ab") as log:
            offset = log.tell()
            try:
                pid = spawn(argv, env, log)
            except OSError as exc:
                raise ComponentError(f"{self.name}: cannot start {argv[0]}: {exc}") from exc
        record = ProcessRecord(pid, start_ticks(pid) or 0, list(argv))
        self.pid_file.write_text(json.dumps(asdict(record)))
        return record, offset

    def stop(self, first: signal.Signals, grace_s: float) -> bool:
        """Send ``first`` to the process group, give it ``grace_s`` to exit, then SIGKILL
        everything left in its session; False if nothing was running."""
        record = self.record()
        if record is None:
            return False
        ours = self.running() is not None
        if not ours and alive(record.pid):  # the pid belongs to another process by now
            self.pid_file.unlink(missing_ok=True)
            return False
        if ours:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(record.pid, first)
            _wait_until(time.monotonic() + grace_s, lambda: not alive(record.pid))
        # What outlived the leader (a JVM finishing its shutdown) gets a little longer.
        _wait_until(time.monotonic() + 5.0, lambda: not session_members(record.pid))
        _signal(session_members(record.pid), signal.SIGKILL)
        if not _wait_until(
            time.monotonic() + _KILL_WAIT_S, lambda: not session_members(record.pid)
        ):
            raise ComponentError(
                f"{self.name}: processes {session_members(record.pid)} survived SIGKILL"
            )
        reap(record.pid)
        self.pid_file.unlink(missing_ok=True)
        return ours

    def end(self, grace_s: float) -> bool:
        """Only the recorded process, not its session (a process that was not started detached
        has none): SIGTERM, then SIGKILL after ``grace_s``; False if it was not running."""
        record = self.running()
        if record is not None:
            _signal([record.pid], signal.SIGTERM)
            if not _wait_until(time.monotonic() + grace_s, lambda: not alive(record.pid)):
                _signal([record.pid], signal.SIGKILL)
                _wait_until(time.monotonic() + _KILL_WAIT_S, lambda: not alive(record.pid))
            reap(record.pid)
        self.pid_file.unlink(missing_ok=True)
        return record is not None

    def claim(self) -> ProcessRecord:
        """Record this process as the one of this name (it was not started detached)."""
        self.home.mkdir(parents=True, exist_ok=True)
        pid = os.getpid()
        record = ProcessRecord(pid, start_ticks(pid) or 0, [])
        self.pid_file.write_text(json.dumps(asdict(record)))
        return record

    def log_lines(self, since: int) -> tuple[list[str], int]:
        """The complete lines of the log from byte ``since`` on, and the offset after them."""
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(since)
                data = fh.read()
        except OSError:
            return [], since
        complete = data[: data.rfind(b"\n") + 1]
        text = complete.decode("utf-8", errors="replace")
        return text.splitlines(), since + len(complete)

    def log_tail(self, lines: int, since: int = 0) -> list[str]:
        """The last ``lines`` lines of the log from byte ``since`` on."""
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(since)
                text = fh.read().decode("utf-8", errors="replace")
        except OSError:
            return []
        return list(deque((line for line in text.splitlines() if line.strip()), maxlen=lines))
