"""The handle on the job's two streaming queries (:func:`.job.start_job` starts them)."""

from __future__ import annotations

import time
from collections.abc import Callable

from pyspark.errors import StreamingQueryException
from pyspark.sql.streaming.query import StreamingQuery

__all__ = ["Streams"]


class Streams:
    """The job's two queries, awaited and stopped as one.

    With ``available_now`` (``spark run --once``, tests, benchmarks) stage 2 starts once stage 1
    has caught up with the topics, so that it sees everything stage 1 wrote.
    """

    def __init__(
        self, queries: list[StreamingQuery], then: Callable[[], StreamingQuery] | None = None
    ) -> None:
        self.queries = queries
        self._then = then

    def await_termination(self, timeout: float | None = None) -> bool:
        """Block until every query has ended (True) or ``timeout`` passed (False); a query that
        failed stops the others and its error is raised."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for query in self.queries:
                error = None if query.isActive else query.exception()
                if error is not None:
                    self.stop()
                    raise error
            active = [q for q in self.queries if q.isActive]
            if not active:
                if self._then is None:
                    return True
                self.queries.append(self._then())
                self._then = None
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return False
            try:
                active[0].awaitTermination(1)
            except StreamingQueryException:
                self.stop()
                raise

    def process_all_available(self) -> None:
        """Block until stage 1 has read what the topics hold and stage 2 has taken all of it."""
        for query in self.queries:
            query.processAllAvailable()

    def stop(self) -> None:
        self._then = None
        for query in self.queries:
            query.stop()
