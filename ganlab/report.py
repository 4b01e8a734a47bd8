"""Compare the runs of a sweep: `python -m ganlab.report SWEEP_DIR`.

Writes into SWEEP_DIR: `report.md` and `report.csv` (one row per run: swept values, status,
steps, wall time, final metrics), `report_metrics.png` (each metric against each swept value),
`report_losses.png` (the runs' loss curves overlaid, from TensorBoard) and `report_samples.png`
(the runs' final sample grids side by side); prints the table. When runs differ in `seed`,
also the median and spread (lowest, highest) of each metric per setting across its seeds
(`report_seeds.csv` and a section of `report.md`). A run folder whose
`metrics.json` or `.hydra/overrides.yaml` cannot be read is listed with the reason, and the
other runs are still reported.
"""

import argparse
import contextlib
import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from ganlab.errors import UsageError
from ganlab.reporting.events import per_step_tags, read_curves
from ganlab.reporting.figures import loss_curves, metric_per_value, sample_grids
from ganlab.reporting.runs import (
    Run,
    Unreadable,
    common_overrides,
    find_runs,
    label_runs,
    swept_keys,
)
from ganlab.reporting.seeds import SEED, markdown_seed_table, seed_groups, seed_rows
from ganlab.reporting.table import markdown_table, metric_names, table_rows, write_csv
from ganlab.run.atomic import write_text_atomically
from ganlab.run.cli import run_reporting_errors
from ganlab.run.record import COMPLETED

OUTPUTS = (
    "report.md",
    "report.csv",
    "report_seeds.csv",
    "report_metrics.png",
    "report_losses.png",
    "report_samples.png",
)
"""What a report writes; it replaces only its own earlier ones."""
WRITTEN = ".ganlab-written.json"
"""The SHA-256 of each file a report wrote in the folder."""


def digests(folder: Path, names: Iterable[str]) -> dict[str, str]:
    files = [folder / name for name in names if (folder / name).is_file()]
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def written_here(folder: Path) -> dict[str, str]:
    with contextlib.suppress(OSError, ValueError):
        written = json.loads((folder / WRITTEN).read_text())
        return written if isinstance(written, dict) else {}
    return {}


def check_replaceable(folder: Path, names: Iterable[str]) -> None:
    """Refuse, before anything is written, to replace a file ganlab did not write (or that
    changed since)."""
    written, now = written_here(folder), digests(folder, names)
    foreign = [n for n in names if (folder / n).exists() and written.get(n, 0) != now.get(n)]
    if foreign:
        raise UsageError(
            f"ganlab.report would replace {', '.join(foreign)} in {folder}, which ganlab did not "
            f"write (or which changed since): move them away, then run again"
        )


def record_written(folder: Path, names: Iterable[str]) -> None:
    """Note the files just written, so the next run may replace them."""
    written = written_here(folder) | digests(folder, names)
    write_text_atomically(folder / WRITTEN, json.dumps(written, indent=1), "record of outputs")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m ganlab.report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("sweep_dir", type=Path, help="a multirun folder (or any run folder)")
    parser.add_argument(
        "--metrics", nargs="+", help="metrics to plot per swept value (default: all recorded)"
    )
    parser.add_argument(
        "--curves",
        nargs="+",
        help="TensorBoard scalar tags to overlay (default: the per-step curve of each metric)",
    )
    parser.add_argument(
        "--smoothing", type=float, default=0.6, help="curve smoothing in [0, 1) (0.6)"
    )
    return parser.parse_args(argv)


def report(args: argparse.Namespace) -> str:
    """Write the report files; return the Markdown table."""
    sweep_dir = args.sweep_dir
    if not sweep_dir.is_dir():
        raise UsageError(f"{sweep_dir} is not a folder: give the sweep folder printed by -m")
    if not 0 <= args.smoothing < 1:
        raise UsageError(f"--smoothing must be in [0, 1), got {args.smoothing}")
    check_replaceable(sweep_dir, OUTPUTS)
    runs, unreadable = find_runs(sweep_dir)
    for run in unreadable:
        print(f"ganlab.report: left out run {run.name}: {run.reason}", file=sys.stderr)
    if not runs:
        if unreadable:
            raise UsageError(
                f"no readable run folders under {sweep_dir}: {len(unreadable)} could not be "
                f"read (first: {unreadable[0].reason})"
            )
        raise UsageError(
            f"no run folders under {sweep_dir} (none holds .hydra/overrides.yaml): give the "
            "folder a sweep wrote, e.g. outputs/sweeps/smoke/<date>"
        )
    swept = swept_keys(runs)
    label_runs(runs, swept)
    recorded = metric_names(runs)
    metrics = args.metrics or recorded
    unknown = [name for name in metrics if name not in recorded]
    if unknown:
        raise UsageError(
            f"--metrics {' '.join(unknown)}: no run recorded it; recorded: {', '.join(recorded)}"
        )
    rows = table_rows(runs, swept, recorded)
    table = markdown_table(rows)
    write_csv(rows, sweep_dir / "report.csv")
    figures = write_figures(runs, swept, metrics, recorded, args)
    completed = sum(run.status == COMPLETED for run in runs)
    lines = [
        f"# Sweep report: {sweep_dir}",
        "",
        f"{len(runs)} runs, {completed} completed. Swept: "
        + (", ".join(f"`{key}`" for key in swept) or "nothing")
        + ". Common overrides: "
        + (" ".join(f"`{item}`" for item in common_overrides(runs, swept)) or "none")
        + ".",
        "",
        "Metrics are the final values (`*_epoch`: mean over the last epoch); steps count "
        "generator updates; wall time covers the fit.",
        "",
        table,
        "",
        *seed_section(runs, swept, metrics, sweep_dir),
        *unreadable_section(unreadable),
        *(f"![{path.stem}]({path.name})" for path in figures),
        "",
    ]
    write_text_atomically(sweep_dir / "report.md", "\n".join(lines), "report")
    record_written(sweep_dir, [name for name in OUTPUTS if (sweep_dir / name).is_file()])
    return table


def seed_section(
    runs: list[Run], swept: list[str], metrics: list[str], sweep_dir: Path
) -> list[str]:
    """The across-seeds table, when some setting ran with more than one seed."""
    groups = seed_groups(runs, swept) if SEED in swept else []
    if not any(len(group.runs) > 1 for group in groups):
        return []
    rows = seed_rows(groups, metrics)
    write_csv(rows, sweep_dir / "report_seeds.csv")
    return [
        "## Across seeds",
        "",
        "Completed runs grouped by their setting: median [lowest, highest] over the seeds.",
        "",
        markdown_seed_table(groups, rows, metrics),
        "",
    ]


def unreadable_section(unreadable: list[Unreadable]) -> list[str]:
    if not unreadable:
        return []
    lines = [f"{len(unreadable)} run folder(s) could not be read and are left out:", ""]
    return [*lines, *(f"- `{run.name}`: {run.reason}" for run in unreadable), ""]


def write_figures(
    runs: list[Run],
    swept: list[str],
    metrics: list[str],
    recorded: list[str],
    args: argparse.Namespace,
) -> list[Path]:
    """The PNGs that have something to show: metrics per swept value, curves, samples."""
    figures = []
    if metrics:
        path = args.sweep_dir / "report_metrics.png"
        figures.append(metric_per_value(runs, swept, metrics, path))
    curves = [read_curves(run.path) for run in runs]
    tags = args.curves or per_step_tags(curves, recorded)
    if tags:
        path = args.sweep_dir / "report_losses.png"
        figures.append(loss_curves(runs, curves, tags, path, args.smoothing))
    figures.append(sample_grids(runs, args.sweep_dir / "report_samples.png"))
    return figures


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    table = run_reporting_errors(report, args)
    print(table)
    print(f"\nreport: {args.sweep_dir / 'report.md'} (+ report.csv, report_*.png)")


if __name__ == "__main__":
    main()
