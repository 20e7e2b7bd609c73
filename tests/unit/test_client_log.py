"""librdkafka's lines in tunestream's log: what a user sees on stderr, what only --debug shows."""

from __future__ import annotations

import logging

import pytest

from tunestream.kafka.client import ClientLog

pytestmark = pytest.mark.unit

RETRIED = (
    "GETPID [rdkafka#producer-2] [thrd:main]: Failed to acquire transactional PID from broker "
    "TxnCoordinator/1: Broker: Coordinator load in progress: retrying"
)
FAILED = "FAIL [rdkafka#producer-1] [thrd:127.0.0.1:9092/1]: Connect to ipv4#127.0.0.1:9092 failed"


@pytest.mark.parametrize(
    ("level", "line", "shown_at"),
    [
        (logging.WARNING, FAILED, logging.WARNING),
        (logging.ERROR, FAILED, logging.WARNING),
        (logging.WARNING, RETRIED, logging.DEBUG),
        (logging.INFO, FAILED, logging.DEBUG),
    ],
)
def test_a_line_is_a_warning_unless_the_client_says_it_retries(
    caplog: pytest.LogCaptureFixture, level: int, line: str, shown_at: int
) -> None:
    with caplog.at_level(logging.DEBUG, logger="tunestream.kafka"):
        ClientLog().log(level, "%s", line)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [(shown_at, line)]


def test_the_first_error_is_kept_until_cleared() -> None:
    client_log = ClientLog()
    client_log.log(logging.ERROR, "%s", "first")
    client_log.log(logging.ERROR, "%s", "second")
    assert client_log.first_error == "first"
    client_log.clear()
    assert client_log.first_error is None
