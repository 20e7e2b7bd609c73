"""A rotating refresh token, kept in the source state so that it survives a crash.

Some OAuth providers (GitHub's expiring user tokens among them) hand out a new refresh token
with every access token and void the one just used. The new one then exists nowhere but in the
producer's memory: a crash before it is saved would leave the source with a dead token for good.
So the auth kind saves it *before* the new access token is used for anything, and the save is
durable when it returns: one record (key ``<source>/auth/refresh_token``) in a Kafka transaction
of its own, committed under ``<transactional id>.auth`` — apart from the units of records, so it
waits for no unit and no unit waits for it. On start the producer reads it back with the rest of
the state.

The state topic is the source's own (nothing downstream reads it); the token never goes into a
log line, a record of a data topic or ``tunestream state show``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from tunestream.kafka.client import ClientConfig
from tunestream.records import Record
from tunestream.sink.transactional import TransactionalSink, producer_config

__all__ = ["CREDENTIAL_KEY", "StateCredentials"]

CREDENTIAL_KEY = "auth/refresh_token"
"""The state key (below the source's prefix) of the current refresh token."""


class StateCredentials:
    """The refresh token of one source: read from the loaded state, written through Kafka."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        topic: str,
        prefix: str,
        transactional_id: str,
        loaded: Mapping[str, bytes],
    ) -> None:
        self._config = producer_config(config, f"{transactional_id}.auth")
        self._topic = topic
        self._key = f"{prefix}{CREDENTIAL_KEY}".encode()
        saved = loaded.get(CREDENTIAL_KEY)
        self._value = saved.decode() if saved is not None else None
        self._sink: TransactionalSink | None = None
        self._lock = asyncio.Lock()

    def load(self) -> str | None:
        return self._value

    async def save(self, value: str) -> None:
        """Commit ``value`` as the current token; return once it is committed."""
        async with self._lock:
            await asyncio.to_thread(self._write, value)
            self._value = value

    def _write(self, value: str) -> None:
        if self._sink is None:
            sink = TransactionalSink(self._config)
            sink.start([self._topic])
            self._sink = sink
        self._sink.write([Record(self._topic, self._key, value.encode())])

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None
