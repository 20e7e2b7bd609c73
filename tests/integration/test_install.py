"""The producer alone: ``pip install .`` without extras runs the producer's CLI, and brings in
neither PySpark, the dashboard's libraries, the emulator nor the benchmarks."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


@pytest.fixture(scope="module")
def bare_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with ``pip install .`` (no extras), pinned like the set-up."""
    env = tmp_path_factory.mktemp("bare") / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    # A copy of the tree without its build output: pip builds from what git tracks.
    source = tmp_path_factory.mktemp("src") / "tunestream"
    tracked = run("git", "ls-files", "-z", cwd=REPO).stdout.split("\0")
    for name in filter(None, tracked):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / name).is_file():
            target.write_bytes((REPO / name).read_bytes())
    done = run(python, "-m", "pip", "install", "-q", "-c", REPO / "constraints.txt", source)
    assert done.returncode == 0, done.stderr[-3000:]
    return env


def test_the_producer_runs_without_extras(bare_install: Path) -> None:
    done = run(bare_install / "bin" / "tunestream", "produce", "--help")
    assert done.returncode == 0, done.stderr
    assert "--once" in done.stdout


@pytest.mark.parametrize(
    "module", ["pyspark", "duckdb", "starlette", "matplotlib", "tunestream_emulator", "playwright"]
)
def test_optional_parts_are_not_installed(bare_install: Path, module: str) -> None:
    done = run(bare_install / "bin" / "python", "-c", f"import {module}")
    assert done.returncode != 0
    assert "ModuleNotFoundError" in done.stderr


def test_the_cli_says_which_extra_a_command_needs(bare_install: Path) -> None:
    done = run(bare_install / "bin" / "tunestream", "spark", "run", "--once")
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "tunestream[spark]" in lines[0]
