"""Runs that differ only in their seed, read together: per setting, the median of each metric
and its spread (lowest and highest value), the way a study over seeds is compared. One seed
is one sample of a noisy number; a difference smaller than the spread is not a finding."""

import statistics
from dataclasses import dataclass
from typing import Any

from ganlab.reporting.runs import Run
from ganlab.run.record import COMPLETED

SEED = "seed"
NOT_A_SETTING = (SEED, "resume")
"""Overrides that do not change what is being compared: `resume=true` continues a run."""


@dataclass
class SeedGroup:
    """The completed runs of one setting (the swept values other than the seed)."""

    setting: dict[str, str | None]
    runs: list[Run]


def seed_groups(runs: list[Run], swept: list[str]) -> list[SeedGroup]:
    """Completed runs grouped by every swept value but the seed, in first-seen order."""
    keys = [key for key in swept if key not in NOT_A_SETTING]
    groups: dict[tuple, SeedGroup] = {}
    for run in runs:
        if run.status != COMPLETED:
            continue
        setting = {key: run.overrides.get(key) for key in keys}
        group = groups.setdefault(tuple(setting.values()), SeedGroup(setting, []))
        group.runs.append(run)
    return list(groups.values())


def spread(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def seed_rows(groups: list[SeedGroup], metrics: list[str]) -> list[dict[str, Any]]:
    """Per group: its setting, the seeds, and `<metric>_median/_min/_max` for each metric
    (and the wall time) that at least one of its runs recorded."""
    rows = []
    for group in groups:
        row: dict[str, Any] = dict(group.setting)
        row["seeds"] = " ".join(str(run.overrides.get(SEED, "-")) for run in group.runs)
        walls = [run.record["wall_time_s"] for run in group.runs if run.record.get("wall_time_s")]
        measured = {"wall_time_s": walls}
        for name in metrics:
            measured[name] = [
                run.metrics[name] for run in group.runs if run.metrics.get(name) is not None
            ]
        for name, values in measured.items():
            summary = spread(values) if values else dict.fromkeys(("median", "min", "max"))
            row.update({f"{name}_{stat}": value for stat, value in summary.items()})
        rows.append(row)
    return rows


def markdown_seed_table(
    groups: list[SeedGroup], rows: list[dict[str, Any]], metrics: list[str]
) -> str:
    """One cell per metric, `median [min, max]`; a single seed shows its value alone."""
    setting = [*groups[0].setting, "seeds"]
    measured = ["wall_time_s", *metrics]
    lines = [
        "| " + " | ".join([*setting, *measured]) + " |",
        "|" + "|".join("---" for _ in [*setting, *measured]) + "|",
    ]
    for row in rows:
        cells = [str(row[key]) for key in setting]
        for name in measured:
            median, low, high = (row[f"{name}_{stat}"] for stat in ("median", "min", "max"))
            if median is None:
                cells.append("")
            elif low == high:
                cells.append(f"{median:.4g}")
            else:
                cells.append(f"{median:.4g} [{low:.4g}, {high:.4g}]")
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)
