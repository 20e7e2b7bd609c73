"""Bad configuration, fuzzed: every file and environment is valid settings or one ConfigError line
that names the file or the key and shows no secret — through :func:`load_settings` and through
``tunestream config check|show`` as the command line runs them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.support.fuzz import (
    SOAK,
    SOAK_TIMEOUT_S,
    fuzz,
    json_values,
    mutated,
    odd_text,
    one_line,
    secrets,
    yaml_bytes,
)
from tunestream import cli
from tunestream.cli._context import Globals
from tunestream.config import load_settings
from tunestream.errors import ConfigError

pytestmark = pytest.mark.unit

EXAMPLE = yaml.safe_load(
    (Path(__file__).resolve().parents[3] / "tunestream.example.yaml").read_text(encoding="utf-8")
)
ONE_SOURCE = {
    "source": {"spec": "spotify", "mode": "full", "metrics_port": 9465},
    "producer": {"metrics_port": None},
    "kafka": {"bootstrap_servers": "k:9092", "security_protocol": "SASL_SSL"},
}
BASES = [EXAMPLE, ONE_SOURCE, {}]
ENV_KEYS = [
    "TUNESTREAM_DATA_DIR",
    "TUNESTREAM_KAFKA",
    "TUNESTREAM_KAFKA__LOCAL__PORT",
    "TUNESTREAM_KAFKA__TOPICS",
    "TUNESTREAM_SOURCES",
    "TUNESTREAM_SOURCE__MODE",
    "TUNESTREAM_SPARK__CONF",
    "TUNESTREAM_DASHBOARD__PORT",
]


def with_secrets(document: Any, secret: str) -> Any:
    """The document with ``secret`` in every secret setting of the Kafka client it has room for."""
    if not isinstance(document, dict) or not isinstance(document.get("kafka", {}), dict):
        return document
    kafka = dict(document.get("kafka") or {})
    kafka.update(sasl_password=secret, ssl_key_password=secret)
    properties = kafka.get("client_properties")
    if isinstance(properties, dict):
        kafka["client_properties"] = {**properties, "sasl.oauthbearer.client.secret": secret}
    return {**document, "kafka": kafka}


@st.composite
def configurations(draw: st.DrawFn) -> tuple[bytes, str, dict[str, str]]:
    """A configuration file's bytes, the secret it holds, and ``TUNESTREAM_…`` variables (one
    of them the SASL password, at times)."""
    secret = draw(secrets())
    base = with_secrets(draw(st.sampled_from(BASES)), secret)
    documents = st.one_of(mutated(base), st.just(base), json_values())
    environ = draw(
        st.dictionaries(
            st.sampled_from(ENV_KEYS),
            st.one_of(odd_text(), json_values().map(lambda v: orjson.dumps(v).decode())),
            max_size=2,
        )
    )
    if draw(st.booleans()):
        environ["TUNESTREAM_KAFKA__SASL_PASSWORD"] = secret
    clean = {k: v for k, v in environ.items() if "\x00" not in v}
    return draw(yaml_bytes(documents)), secret, clean


def assert_one_clear_line(error: BaseException | None, path: Path, secret: str) -> None:
    assert isinstance(error, ConfigError), repr(error)
    message = str(error)
    assert one_line(message), message
    assert str(path) in message or "environment" in message, message
    assert secret not in message, message


def load(path: Path, environ: dict[str, str]) -> None:
    with mock.patch.dict(os.environ, environ):
        load_settings(path)


def check_loading(config: Path, case: tuple[bytes, str, dict[str, str]]) -> None:
    data, secret, environ = case
    config.write_bytes(data)
    try:
        load(config, environ)
    except Exception as exc:  # the property: a ConfigError, nothing else
        assert_one_clear_line(exc, config, secret)


@fuzz()
@given(case=configurations())
@example(case=(b"\xff\xfe", "pw-000000000000", {}))
@example(case=(b"1: 2\n", "pw-000000000000", {}))
@example(case=(b"kafka:\n  sasl_p:assword: pw-000000000000\n", "pw-000000000000", {}))
@example(case=(b'"a\\nb": 1\n', "pw-000000000000", {}))
@example(case=(b'"a\\u2028b": 1\n', "pw-000000000000", {}))
@example(case=(b"{}", "pw-000000000000", {"TUNESTREAM_SOURCES": "[{"}))
@example(case=(b"source: {metrics_port: 1}\nproducer: 3\n", "pw-000000000000", {}))
@example(case=(b"source: {metrics_port: 1}\nproducer: [1]\n", "pw-000000000000", {}))
def test_a_configuration_loads_or_is_one_clear_line(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[bytes, str, dict[str, str]]
) -> None:
    check_loading(tmp_path_factory.mktemp("config") / "tunestream.yaml", case)


@pytest.mark.soak
@pytest.mark.timeout(SOAK_TIMEOUT_S)
@fuzz(SOAK)
@given(case=configurations())
def test_many_configurations_load_or_are_one_clear_line(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[bytes, str, dict[str, str]]
) -> None:
    check_loading(tmp_path_factory.mktemp("config") / "tunestream.yaml", case)


@fuzz()
@given(case=configurations(), command=st.sampled_from(["check", "show"]))
def test_config_commands_print_or_fail_with_one_clear_line(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[bytes, str, dict[str, str]],
    command: str,
) -> None:
    data, secret, environ = case
    config = tmp_path_factory.mktemp("config") / "tunestream.yaml"
    config.write_bytes(data)
    with mock.patch.object(cli, "_globals", Globals()):  # settings of no earlier invocation
        done = CliRunner().invoke(
            cli.app, ["--config", str(config), "config", command], env=environ
        )
    if done.exit_code == 0:
        assert secret not in done.stdout
    else:
        assert_one_clear_line(done.exception, config, secret)
