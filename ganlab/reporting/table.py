"""The sweep's table: one row per run (swept values, status, steps, time, metrics)."""

import csv
from pathlib import Path
from typing import Any

from ganlab.diagnosis.timeline import summary
from ganlab.reporting.runs import Run


def metric_names(runs: list[Run]) -> list[str]:
    """Every metric any run recorded, in the order first seen."""
    names: list[str] = []
    for run in runs:
        names += [name for name in run.metrics if name not in names]
    return names


def table_rows(runs: list[Run], swept: list[str], metrics: list[str]) -> list[dict[str, Any]]:
    """The `diagnosis` column (the health problems and their steps, docs/diagnosis.md) when
    some run recorded one."""
    diagnosed = any((run.record or {}).get("diagnosis") for run in runs)
    rows = []
    for run in runs:
        record = run.record or {}
        row: dict[str, Any] = {"run": run.name}
        row.update({key: run.overrides.get(key) for key in swept})
        row.update(
            status=run.status,
            steps=record.get("global_step"),
            wall_time_s=record.get("wall_time_s"),
        )
        if diagnosed:
            row["diagnosis"] = summary(record.get("diagnosis"))
        row.update({name: run.metrics.get(name) for name in metrics})
        row["error"] = record.get("error")
        rows.append(row)
    return rows


def cell(value: Any) -> str:
    """Numbers to four significant digits (a sampled lr of 0.000132929189 reads 0.0001329)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return value if len(value) <= 8 else f"{number:.4g}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """A GitHub Markdown table; the error column only when a run failed."""
    columns = [c for c in rows[0] if c != "error" or any(row["error"] for row in rows)]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        text = (cell(row[c]).replace("|", "\\|") for c in columns)
        lines.append("| " + " | ".join(text) + " |")
    return "\n".join(lines)


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
