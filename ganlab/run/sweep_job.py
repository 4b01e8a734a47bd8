"""What the training entry point gives a sweeper: the objective it returns, and how a job
that fails is recorded so that the sweep carries on."""

import logging
import math
import time

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from ganlab.errors import UsageError
from ganlab.run.record import failed_record, read_record, write_record

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
    record = failed_record(error, time.monotonic() - started, read_record(run_dir))
    log.error(f"ganlab: job failed: {record['error']} ({run_dir})")
    write_record(run_dir, **record)
