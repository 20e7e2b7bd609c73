"""The CLI's promise for bad input: one line on stderr, exit code 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # each test starts a Python process


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunestream", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_bad_value_gives_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "tunestream.yaml").write_text("kafka:\n  local:\n    port: -1\n")
    done = run_cli("config", "check", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "kafka.local.port" in lines[0]
    assert "greater than or equal to 1" in lines[0]
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "tunestream.yaml").write_text("kafka:\n  local:\n    port: -1\n")
    done = run_cli("--debug", "config", "check", cwd=tmp_path)
    assert done.returncode != 0
    assert "Traceback" in done.stderr
    assert "ConfigError" in done.stderr


def test_config_show_prints_effective_values_without_secrets(tmp_path: Path) -> None:
    (tmp_path / "tunestream.yaml").write_text(
        "kafka:\n  bootstrap_servers: k:9092\n  security_protocol: SASL_PLAINTEXT\n"
        "  sasl_mechanism: PLAIN\n  sasl_username: u\n  sasl_password: topsecret\n"
    )
    done = run_cli("config", "show", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "bootstrap_servers: k:9092" in done.stdout
    assert "topsecret" not in done.stdout
    assert "sasl_password: '********'" in done.stdout


def test_config_check_accepts_a_valid_file(tmp_path: Path) -> None:
    (tmp_path / "tunestream.yaml").write_text("kafka:\n  local:\n    port: 19092\n")
    done = run_cli("config", "check", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1:19092" in done.stdout
