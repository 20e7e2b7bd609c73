"""Processes by pid: starting one detached, telling whether it runs, and how a child of ours ended.

A child's exit status can be read once, by whoever reaps it first. tunestream reaps only where it
has read what it needs (:func:`reap`): a process is started with ``posix_spawn``, not
``subprocess.Popen``, because a dropped ``Popen`` object is reaped by the next ``Popen`` anywhere
in the process, taking the exit status the supervisor reports; and :func:`alive` never reaps.

A process whose main thread has ended while its other threads are still ending (a JVM, a Python
process with threads, just after SIGKILL) is a zombie to ``/proc`` already, but its exit status
comes only once the last thread is gone: :func:`exit_of` can wait for it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

__all__ = ["alive", "exit_of", "reap", "spawn", "start_ticks", "stat_fields"]

_EXIT_POLL_S = 0.05
_IGNORED_BY_PYTHON = (signal.SIGPIPE, signal.SIGXFSZ)


def spawn(argv: Sequence[str], env: Mapping[str, str], out: BinaryIO) -> int:
    """Start ``argv`` in a session of its own (its pid is its session and process-group id),
    stdin from /dev/null, stdout and stderr to ``out``; its pid. ``argv[0]`` is looked up on the
    ``PATH`` of ``env``; the signals Python ignores are back to their defaults in the child, as
    ``subprocess`` restores them. OSError when it cannot start."""
    program = shutil.which(argv[0], path=env.get("PATH", os.defpath)) or argv[0]
    return os.posix_spawn(
        program,
        list(argv),
        dict(env),
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, out.fileno(), 2),
        ],
        setsid=True,
        setsigdef=_IGNORED_BY_PYTHON,
    )


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def start_ticks(pid: int) -> int | None:
    """When the process started, in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    fields = stat_fields(pid)
    return None if fields is None else int(fields[19])


def alive(pid: int) -> bool:
    """True while the process runs (a zombie counts as gone); never reaps it."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def exit_of(pid: int, wait_s: float = 0.0) -> str | None:
    """How a child of ours ended ("exit code 1", "killed by SIGKILL"), without reaping it; None
    while it runs, or when it is not our child (nothing to tell). ``wait_s``: how long to wait
    for the status of a child that is no longer :func:`alive`."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return None
        if ended is not None:
            if ended.si_code == os.CLD_EXITED:
                return f"exit code {ended.si_status}"
            return f"killed by {signal.Signals(ended.si_status).name}"
        if time.monotonic() >= deadline:
            return None
        time.sleep(_EXIT_POLL_S)


def reap(pid: int) -> None:
    """Collect the exit status of a child of ours that has ended (its status read, or not
    wanted), so that it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
