"""One producer per source on a machine: a lock file held while it runs.

``tunestream produce`` holds ``<data_dir>/locks/<source>.lock`` (an exclusive ``flock``, which
the system releases when the process ends, however it ends) for as long as it runs the source.
A second producer of the same source there, or ``tunestream state reset`` of it, finds the lock
taken and refuses with one line. A producer on another machine is not seen here; Kafka fences it
instead (the reset registers the source's transactional ids, and the running producer's next
commit fails with ProducerFenced).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from tunestream.errors import ComponentError

__all__ = ["source_lock"]


@contextlib.contextmanager
def source_lock(data_dir: Path, source: str, *, doing: str) -> Iterator[None]:
    """Hold the source's lock while the block runs; ComponentError if another process has it
    (``doing`` says what was refused, for the message)."""
    folder = data_dir / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{source}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise ComponentError(
                f"cannot {doing}: the producer of source {source} is running (pid {holder}); "
                "stop it first (tunestream down, or Ctrl-C)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
