"""A finished run's health signals, read back from what its loggers wrote: TensorBoard's
event files, or the CSV logger's `metrics.csv` when the run had no TensorBoard logger."""

import csv
from pathlib import Path

from ganlab.diagnosis.rules import SIGNALS, Series
from ganlab.reporting.events import read_curves

CSV_FILE = "metrics.csv"


def tag_names() -> dict[str, str]:
    """logged tag -> signal: per-step values (`d_loss_step`), and `sample_diversity` as is."""
    return {f"{name}_step": name for name in SIGNALS} | {name: name for name in SIGNALS}


def from_tensorboard(run_dir: Path) -> Series:
    tags = tag_names()
    curves = read_curves(run_dir, list(tags))
    series: dict[str, list[tuple[int, float]]] = {}
    for tag, (steps, values) in curves.items():
        series.setdefault(tags[tag], []).extend(zip(steps, values, strict=True))
    return {name: sorted(points) for name, points in series.items()}


def from_csv(path: Path) -> Series:
    tags = tag_names()
    series: dict[str, list[tuple[int, float]]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            for tag, name in tags.items():
                if row.get(tag) not in (None, ""):
                    series.setdefault(name, []).append((int(row["step"]), float(row[tag])))
    return series


def read_signals(run_dir: Path) -> Series:
    """The run's logged signals (TensorBoard first, else any `metrics.csv`); empty when the
    run logged none of them."""
    series = from_tensorboard(run_dir)
    if series:
        return series
    for path in sorted(run_dir.rglob(CSV_FILE)):
        if series := from_csv(path):
            return series
    return {}
