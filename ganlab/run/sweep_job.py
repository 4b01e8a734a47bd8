"""What the training entry point gives a sweeper: the objective it returns, and a failed job
recorded so that the sweep carries on; a sweep in which no job completed exits 1."""

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
from ganlab.run.record import COMPLETED, UnreadableRecord, failed_record, read_record, write_record

log = logging.getLogger(__name__)


def objective(metrics: dict[str, float], name: str | None) -> float | None:
    """`optimized_metric`'s value; None when none is configured or it is not finite (Optuna
    counts a None as a failed trial, while a NaN would stop the study)."""
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
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def status(run_dir: Path | str) -> str:
    try:
        return (read_record(run_dir) or {"status": "missing"})["status"]
    except UnreadableRecord:
        return "unreadable"


def record_failed_job(error: Exception, started: float, with_traceback: bool) -> None:
    """Log why the job failed and mark its run folder failed; the sweep goes on."""
    run_dir = HydraConfig.get().runtime.output_dir
    if with_traceback:
        log.exception("unexpected error in this job")
    previous = read_record(run_dir) if status(run_dir) != "unreadable" else None
    record = failed_record(error, time.monotonic() - started, previous)
    log.error(f"ganlab: job failed: {record['error']} ({run_dir})")
    write_record(run_dir, **record)


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
