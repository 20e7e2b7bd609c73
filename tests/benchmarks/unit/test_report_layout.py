"""The report's layout keeps every section; plots are PNG files linked relative to the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunestream_benchmarks.all import PIECES, AllOptions, command, layout
from tunestream_benchmarks.plots import bars, lines, markdown_image, table
from tunestream_benchmarks.report import write_section

pytestmark = pytest.mark.unit

PNG = b"\x89PNG\r\n\x1a\n"


def test_layout_orders_sections_and_keeps_their_content(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    write_section(report, "custom", "## Custom\n\nkept")
    write_section(report, "ingest", "## Producer\n\nmeasured")
    layout(report)
    text = report.read_text()
    starts = [text.index(f"<!-- bench:{name} -->") for name in ["overview", *PIECES, "custom"]]
    assert starts == sorted(starts)
    assert "measured" in text and "kept" in text
    assert text.count("<!-- /bench:ingest -->") == 1
    layout(report)  # again: nothing doubles
    assert report.read_text() == text


def test_plots_are_png_and_linked_relative_to_the_report(tmp_path: Path) -> None:
    line = lines(tmp_path / "figs" / "l.png", "t", ("x", "y"), {"a": ([1, 2, 4], [3, 2, 1])})
    bar = bars(tmp_path / "figs" / "b.png", "t", ("", "y"), ["g1", "g2"], {"s": [1.0, 2.0]})
    for path in (line, bar):
        assert path.read_bytes().startswith(PNG)
    assert markdown_image(bar, tmp_path / "BENCHMARKS.md", "alt") == "![alt](figs/b.png)"


def test_table_and_command() -> None:
    assert table(["a", "b"], [["1", "2"]]).splitlines() == [
        "| a | b |",
        "| --- | ---: |",
        "| 1 | 2 |",
    ]
    options = AllOptions(quick=True, only=("partitions", "capacity"))
    assert command(options) == "tunestream bench all --quick --only partitions,capacity"
    assert command(AllOptions()) == "tunestream bench all"


def test_write_section_replaces_only_its_own_section(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    write_section(report, "emulator", "first")
    write_section(report, "pipeline", "other")
    write_section(report, "emulator", "second\nrun")
    text = report.read_text()
    assert text.startswith("# Benchmarks")
    assert "<!-- bench:emulator -->\nsecond\nrun\n<!-- /bench:emulator -->" in text
    assert "first" not in text
    assert "<!-- bench:pipeline -->\nother\n<!-- /bench:pipeline -->" in text
    assert text.index("bench:emulator") < text.index("bench:pipeline")
