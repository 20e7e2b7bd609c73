"""The parts that only read the tables (the dashboard, the CLI) load without PySpark."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration  # each test starts a Python process


def loads_pyspark(module: str) -> bool:
    """Whether importing ``module`` in a fresh interpreter imports PySpark."""
    printed = subprocess.run(
        [sys.executable, "-c", f"import sys, {module}; print('pyspark' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return printed == "True"


@pytest.mark.parametrize(
    "module", ["tunestream.dashboard", "tunestream.cli", "tunestream.tables.query"]
)
def test_the_readers_do_not_load_pyspark(module: str) -> None:
    assert not loads_pyspark(module)


def test_the_job_does() -> None:
    assert loads_pyspark("tunestream.spark.job")
