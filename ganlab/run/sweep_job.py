"""What the training entry point gives a sweeper: the objective it returns, and how a job
that fails is recorded so that the sweep carries on."""

import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig

from ganlab.errors import UsageError
from ganlab.run.record import (
    COMPLETED,
    UnreadableRecord,
    failed_record,
    read_record,
    write_record,
)

log = logging.getLogger(__name__)


def objective(metrics: dict[str, float], name: str | None) -> float | None:
    """The value a sweeper optimises (`optimized_metric`), None when none is configured or
    the run diverged: the Optuna sweeper counts a None as a failed trial, while a NaN would
    stop the whole study."""
    if name is None:
        return None
    if name not in metrics:
        raise UsageError(
            f"optimized_metric={name!r} is not among this run's metrics "
            f"({', '.join(sorted(metrics))}): name one of them, or turn on the callback "
            "that computes it"
        )
    if not math.isfinite(metrics[name]):
        log.warning(f"optimized_metric {name} is {metrics[name]}: no value for the sweeper")
        return None
    return metrics[name]


def in_sweep() -> bool:
    """True inside a job of a multirun (-m, or a study preset with hydra.mode=MULTIRUN)."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def record_failed_job(error: Exception, started: float, with_traceback: bool) -> None:
    """Log why the job failed (the traceback too for an unexpected error), and mark its run
    folder failed in `metrics.json`; the caller then returns, so the sweep goes on."""
    run_dir = HydraConfig.get().runtime.output_dir
    if with_traceback:
        log.exception("unexpected error in this job")
    try:
        previous = read_record(run_dir)
    except UnreadableRecord:
        previous = None
    record = failed_record(error, time.monotonic() - started, previous)
    log.error(f"ganlab: job failed: {record['error']} ({run_dir})")
    write_record(run_dir, **record)


def job_outcomes(sweep_dir: Path) -> list[str]:
    """The status in the record of every job folder (one holding `.hydra/`) under the sweep
    folder: `missing` without a record, `unreadable` for one that cannot be read."""
    statuses = []
    for hydra_folder in sorted(sweep_dir.rglob(".hydra")):
        try:
            record = read_record(hydra_folder.parent)
        except UnreadableRecord:
            statuses.append("unreadable")
            continue
        statuses.append(record["status"] if record else "missing")
    return statuses


class SweepOutcome(Callback):
    """Hydra callback: a sweep in which no job completed exits 1, so a scheduler or a script
    sees the failure (each job's error is in its metrics.json; the sweep itself returns)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        statuses = job_outcomes(sweep_dir)
        if statuses and COMPLETED not in statuses:
            print(
                f"ganlab: error: all {len(statuses)} jobs of the sweep in {sweep_dir} failed: "
                f"each job's metrics.json says why (python -m ganlab.report {sweep_dir})",
                file=sys.stderr,
            )
            sys.exit(1)
