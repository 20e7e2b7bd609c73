"""``tunestream bench all --quick`` over the new benchmarks: the report, its plots, sane numbers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _section(text: str, name: str) -> str:
    match = re.search(f"<!-- bench:{name} -->\n(.*?)\n<!-- /bench:{name} -->", text, re.DOTALL)
    assert match, f"section {name} missing"
    return match.group(1)


def _rows(section: str, first: str) -> list[list[str]]:
    """The rows of the table whose header starts with ``first``, as cells."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("*") for cell in line.strip("|").split("|")])
    return rows


def _number(cell: str) -> float:
    return float(cell.replace(",", "").split()[0].rstrip("x%"))


def test_quick_run_writes_sections_plots_and_sane_numbers(tmp_path: Path) -> None:
    config = tmp_path / "tunestream.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(tmp_path / "data"),
                "spark": {"master": "local[2]", "conf": {"spark.ui.enabled": "false"}},
            }
        )
    )
    report = tmp_path / "docs" / "BENCHMARKS.md"
    done = subprocess.run(
        [
            sys.executable, "-m", "tunestream", "-c", str(config), "bench", "all", "--quick",
            "--only", "partitions,capacity", "--output", str(report),
        ],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("TUNESTREAM_")},
        timeout=840,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    text = report.read_text()

    for name in ("overview", "emulator", "ingest", "spark", "partitions", "capacity"):
        _section(text, name)
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert len(images) == 4
    for image in images:
        assert (report.parent / image).read_bytes().startswith(b"\x89PNG")

    partitions = _rows(_section(text, "partitions"), "layout")
    assert {(row[0], row[1]) for row in partitions} == {
        (layout, n) for layout in ("per-entity", "single") for n in ("1", "4")
    }
    for row in partitions:
        layout, per_topic, read, records_s, mb_s, _, p50, p99, in_tables, _ = row
        assert int(read) == int(per_topic) * (5 if layout == "per-entity" else 1)
        assert _number(records_s) > 10 and _number(mb_s) > 0
        assert 0 < _number(p50) <= _number(p99) < 300
        committed, produced = (int(n.replace(",", "")) for n in in_tables.split(" of "))
        assert 0 < committed <= produced  # all of them, unless the machine is swamped

    capacity = _section(text, "capacity")
    totals = next(r for r in _rows(capacity, "resource") if r[0] == "total an hour")
    extended_100k, extended_1m, development_100k, development_1m = map(_number, totals[1:])
    assert extended_1m / extended_100k == pytest.approx(10, rel=0.02)
    assert development_1m / development_100k == pytest.approx(10, rel=0.02)
    topics = _rows(capacity, "topic")
    ratios = {row[0].split()[0]: _number(row[3]) for row in topics if row[0] != "all"}
    assert set(ratios) == {"albums", "tracks", "audio_features", "audio_analysis", "artists"}
    assert all(ratio > 1 for ratio in ratios.values())  # zstd on the broker's disk
    headroom = _rows(capacity, "tracks a day")
    assert [row[0] for row in headroom] == ["100,000", "1,000,000"]
    assert _number(headroom[0][1]) * 10 == pytest.approx(_number(headroom[1][1]), rel=0.01)
    assert _number(headroom[0][3]) > _number(headroom[1][3]) > 0
