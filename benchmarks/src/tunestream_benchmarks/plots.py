"""How docs/BENCHMARKS.md shows numbers: markdown tables, and PNG plots (matplotlib, no display)
referenced by relative links."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["bars", "lines", "markdown_image", "table"]

_SIZE = (7.0, 3.6)


def lines(
    path: Path,
    title: str,
    axes: tuple[str, str],
    series: dict[str, tuple[Sequence[float], Sequence[float]]],
    *,
    log_x: bool = False,
) -> Path:
    """One line per series (x values, y values), markers at the points."""
    figure = Figure(figsize=_SIZE)
    plot: Axes = figure.subplots()
    for label, (xs, ys) in series.items():
        plot.plot(xs, ys, marker="o", label=label)
    if log_x:
        plot.set_xscale("log", base=2)
        ticks = sorted({x for xs, _ in series.values() for x in xs})
        plot.set_xticks(ticks, [f"{t:g}" for t in ticks])
    plot.set_ylim(bottom=0)
    return _save(figure, plot, path, title, axes)


def bars(
    path: Path,
    title: str,
    axes: tuple[str, str],
    groups: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    log_y: bool = False,
) -> Path:
    """Grouped bars: one group per name in ``groups``, one bar per series in each."""
    figure = Figure(figsize=_SIZE)
    plot: Axes = figure.subplots()
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        plot.bar(xs, values, width, label=label)
    plot.set_xticks(range(len(groups)), list(groups), fontsize=8)
    if log_y:
        plot.set_yscale("log")
    return _save(figure, plot, path, title, axes)


def _save(figure: Figure, plot: Axes, path: Path, title: str, axes: tuple[str, str]) -> Path:
    plot.set_title(title, fontsize=10)
    plot.set_xlabel(axes[0])
    plot.set_ylabel(axes[1])
    plot.grid(alpha=0.3)
    if plot.get_legend_handles_labels()[0]:
        plot.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, metadata={"Software": None})
    return path


def markdown_image(image: Path, report: Path, alt: str) -> str:
    """A markdown image link to ``image`` relative to the report's folder."""
    relative = os.path.relpath(image.resolve(), report.resolve().parent)
    return f"![{alt}]({Path(relative).as_posix()})"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table; columns after the first align right."""
    rule = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, rule, *rows])
