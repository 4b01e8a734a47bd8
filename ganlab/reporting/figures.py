"""The sweep's figures: each metric against each swept value, the runs' loss curves overlaid,
and the runs' final sample grids side by side. Matplotlib's object API (no pyplot state), so
figures render without a display."""

import math
from pathlib import Path
from typing import Any

from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.image import imread

from ganlab.reporting.events import Curve, smooth
from ganlab.reporting.runs import Run
from ganlab.run.atomic import write_atomically
from ganlab.run.record import COMPLETED


def save_figure(figure: Figure, path: Path) -> None:
    write_atomically(path, lambda file: figure.savefig(file, format="png", dpi=110), "figure")


def as_number(text: str | None) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def value_of(run: Run, key: str | None) -> str:
    """The run's value of a swept key; with nothing swept, the run itself."""
    return run.name if key is None else str(run.overrides.get(key, "-"))


def ordered_values(runs: list[Run], key: str | None) -> list[str]:
    """The distinct values of a swept key, numerically sorted when they are numbers."""
    values = list(dict.fromkeys(value_of(run, key) for run in runs))
    if all(as_number(v) is not None for v in values):
        values.sort(key=as_number)
    return values


def colors(count: int) -> list:
    palette = colormaps["tab10" if count <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(count)]


def metric_per_value(runs: list[Run], swept: list[str], metrics: list[str], path: Path) -> Path:
    """One panel per (metric, swept key), so the effect of one hyper-parameter shows across
    the others: a grid's few values as categories (dots: runs, red bar: their mean); a
    search's many sampled numbers (Optuna) on a numeric axis, logarithmic over decades."""
    keys: list[str | None] = list(swept) or [None]
    figure = Figure(figsize=(3.2 * len(keys), 2.6 * len(metrics)), layout="constrained")
    axes = figure.subplots(len(metrics), len(keys), squeeze=False)
    for row, metric in enumerate(metrics):
        for col, key in enumerate(keys):
            ax = axes[row][col]
            values = ordered_values(runs, key)
            if len(values) > CATEGORIES and all(as_number(v) is not None for v in values):
                plot_numeric(ax, runs, key, metric)
            else:
                plot_categories(ax, runs, key, metric, values)
            ax.grid(alpha=0.3)
            if row == len(metrics) - 1:
                ax.set_xlabel(key or "run")
            if col == 0:
                ax.set_ylabel(metric)
    figure.suptitle("final metrics per swept value", fontsize=10)
    save_figure(figure, path)
    return path


CATEGORIES = 8
"""More distinct numeric values than this are plotted on a numeric axis."""


def plot_categories(ax, runs: list[Run], key: str | None, metric: str, values: list[str]) -> None:
    for x, value in enumerate(values):
        ys = [
            run.metrics[metric]
            for run in runs
            if value_of(run, key) == value and run.metrics.get(metric) is not None
        ]
        if not ys:
            continue
        spread = [x + 0.08 * (i - (len(ys) - 1) / 2) for i in range(len(ys))]
        ax.scatter(spread, ys, s=18, color="tab:blue", alpha=0.7, zorder=3)
        ax.hlines(sum(ys) / len(ys), x - 0.3, x + 0.3, color="tab:red", zorder=2)
    ax.set_xticks(range(len(values)), values, fontsize=8)
    ax.set_xlim(-0.6, len(values) - 0.4)


def plot_numeric(ax, runs: list[Run], key: str, metric: str) -> None:
    points = [
        (as_number(value_of(run, key)), run.metrics[metric])
        for run in runs
        if run.metrics.get(metric) is not None
    ]
    xs = [x for x, _ in points]
    ax.scatter(xs, [y for _, y in points], s=18, color="tab:blue", alpha=0.7, zorder=3)
    if xs and min(xs) > 0 and max(xs) >= 10 * min(xs):
        ax.set_xscale("log")


def loss_curves(
    runs: list[Run], curves: list[dict[str, Curve]], tags: list[str], path: Path, smoothing: float
) -> Path:
    """One panel per tag, one line per run (TensorBoard's smoothing, the raw curve faint);
    `curves` holds each run's curves, in the order of `runs`."""
    columns = 2 if len(tags) == 4 else min(3, len(tags))
    rows = math.ceil(len(tags) / columns)
    figure = Figure(figsize=(5.0 * columns + 2.5, 3.8 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    legend = {}
    for run, run_curves, color in zip(runs, curves, colors(len(runs)), strict=True):
        for ax, tag in zip(axes, tags, strict=False):
            if tag not in run_curves:
                continue
            steps, values = run_curves[tag]
            ax.plot(steps, values, color=color, alpha=0.15, linewidth=0.8)
            (line,) = ax.plot(steps, smooth(values, smoothing), color=color, linewidth=1.4)
            legend[run.label] = line
    for ax in axes[len(tags) :]:
        ax.set_axis_off()
    for ax, tag in zip(axes, tags, strict=False):
        ax.set_title(tag)
        ax.set_xlabel("generator updates")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    figure.legend(list(legend.values()), list(legend), loc="outside right upper", fontsize=8)
    save_figure(figure, path)
    return path


def readable_png(path: Path | None) -> Any:
    """The image, or None when there is none or it cannot be decoded (a truncated PNG)."""
    if path is None:
        return None
    try:
        return imread(path)
    except (OSError, ValueError, SyntaxError):
        return None


def sample_grids(runs: list[Run], path: Path, columns: int = 4) -> Path:
    """Each run's last fixed-noise grid, titled with its swept values."""
    columns = min(columns, len(runs))
    rows = math.ceil(len(runs) / columns)
    figure = Figure(figsize=(3.2 * columns, 3.5 * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).flatten()
    for ax in axes:
        ax.set_axis_off()
    for ax, run in zip(axes, runs, strict=False):
        grid = run.final_samples()
        title = run.label if run.status == COMPLETED else f"{run.label}\n({run.status})"
        ax.set_title(title, fontsize=8)
        image = readable_png(grid)
        if image is not None:
            ax.imshow(image, interpolation="nearest")
        else:
            note = "no samples" if grid is None else "unreadable samples"
            ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes)
    save_figure(figure, path)
    return path
