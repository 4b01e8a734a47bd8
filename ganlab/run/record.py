"""`metrics.json`: how one run (a single run or one job of a sweep) ended; its fields are in
docs/sweeps.md. Written by `ganlab.callbacks.RunSummary`, `ganlab.callbacks.Interruption` and,
for a failed sweep job, the training entry point (the sweep goes on); read by `ganlab.report`.
A sweep in which no job completed exits 1 (`SweepOutcome`).
"""

import json
import math
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from ganlab.errors import GanlabError, cause_chain, user_error_of
from ganlab.run.atomic import write_text_atomically

RECORD_FILE = "metrics.json"
COMPLETED = "completed"


def write_record(run_dir: str | Path, **record: Any) -> Path:
    path = Path(run_dir) / RECORD_FILE
    write_text_atomically(path, json.dumps(record, indent=2, allow_nan=False) + "\n", "run record")
    return path


class UnreadableRecord(GanlabError):
    """A `metrics.json` that is not a run record: corrupt, truncated, or another tool's."""


def read_record(run_dir: str | Path) -> dict[str, Any] | None:
    """The run's record; None when it has none (still running, killed, not a ganlab run)."""
    path = Path(run_dir) / RECORD_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise UnreadableRecord(f"{path} is not readable JSON ({error})") from None
    problem = record_problem(record)
    if problem:
        raise UnreadableRecord(f"{path} is not a ganlab run record: {problem}")
    return record


def record_problem(record: Any) -> str | None:
    """What makes a parsed `metrics.json` not a run record, or None."""
    if not isinstance(record, dict):
        return f"it holds a JSON {type(record).__name__}, not an object"
    if not isinstance(record.get("status"), str):
        return "no 'status' text"
    metrics = record.get("metrics", {})
    if not isinstance(metrics, dict):
        return "'metrics' is not an object"
    numbers = [(f"metric {k!r}", v) for k, v in metrics.items()]
    numbers += [(repr(k), record.get(k)) for k in ("global_step", "epochs", "wall_time_s")]
    for name, value in numbers:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"{name} is {value!r}, not a number"
    return None


def completed_record(
    metrics: dict[str, float],
    global_step: int,
    epochs: int,
    wall_time_s: float,
    diagnosis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`global_step` counts generator updates; `epochs` the epochs run (the last maybe cut
    short by `trainer.max_steps`); `wall_time_s` the fit, every part of a resumed run."""
    record = {
        "status": COMPLETED,
        "error": None,
        "metrics": {k: (v if math.isfinite(v) else None) for k, v in metrics.items()},
        "global_step": global_step,
        "epochs": epochs,
        "wall_time_s": round(wall_time_s, 3),
    }
    return record if diagnosis is None else record | {"diagnosis": diagnosis}


def failed_record(error: BaseException, wall_time_s: float, previous: dict | None) -> dict:
    """Keeps what an earlier completed record measured (a failure after training)."""
    previous = previous or {}
    return {
        "status": "failed",
        "error": describe(error),
        "metrics": previous.get("metrics", {}),
        "global_step": previous.get("global_step"),
        "epochs": previous.get("epochs"),
        "wall_time_s": round(previous.get("wall_time_s", 0.0) + wall_time_s, 3),
    } | ({"diagnosis": previous["diagnosis"]} if "diagnosis" in previous else {})


def describe(error: BaseException) -> str:
    """A ganlab error's own message, else the innermost cause's first line."""
    user_error = user_error_of(error)
    if user_error is not None:
        return str(user_error)
    cause = list(cause_chain(error))[-1]
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"{type(cause).__name__}: {first_line}" if first_line else type(cause).__name__


def status(run_dir: Path | str) -> str:
    """The record's status, "missing" or "unreadable"."""
    try:
        return (read_record(run_dir) or {"status": "missing"})["status"]
    except UnreadableRecord:
        return "unreadable"


class SweepOutcome(Callback):
    """Hydra callback: a sweep in which no job (a folder holding `.hydra/`) completed exits 1,
    so a scheduler sees the failure; each job's metrics.json says why."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        statuses = [status(hydra.parent) for hydra in sorted(sweep_dir.rglob(".hydra"))]
        if statuses and COMPLETED not in statuses:
            print(
                f"ganlab: error: all {len(statuses)} jobs of the sweep in {sweep_dir} failed: "
                f"each job's metrics.json says why (python -m ganlab.report {sweep_dir})",
                file=sys.stderr,
            )
            sys.exit(1)
