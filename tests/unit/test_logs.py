from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from tunestream.logs import configure

pytestmark = pytest.mark.unit


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_level_logger_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    configure(debug=False, json_lines=True)
    logging.getLogger("tunestream.test").warning("cycle %s interrupted", "c1")
    logging.getLogger("tunestream.test").debug("not shown without --debug")
    [line] = capsys.readouterr().err.strip().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "warning"
    assert entry["logger"] == "tunestream.test"
    assert entry["message"] == "cycle c1 interrupted"
    assert entry["ts"].endswith("+00:00")


@pytest.mark.usefixtures("restore_logging")
def test_httpx_request_lines_are_kept_out_of_the_logs(capsys: pytest.CaptureFixture[str]) -> None:
    configure(debug=True, json_lines=False)
    logging.getLogger("httpx").info("HTTP Request: GET https://api.example/v1?api_key=secret")
    assert "secret" not in capsys.readouterr().err
