"""Train a GAN: `python -m ganlab.train [group=choice ...] [key=value ...]`.

Hydra composes `conf/train.yaml`; `ganlab.run.fit.train` builds and fits the run; this entry
point turns what goes wrong into one line and an exit code, and records failed sweep jobs.
"""

import logging
import math
import re
import time

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.types import RunMode
from lightning.fabric.utilities.exceptions import MisconfigurationException
from omegaconf import DictConfig

from ganlab.errors import UsageError, one_line, user_error_of
from ganlab.run import cli
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train
from ganlab.run.folder import release_run_lock, undo_run_folder
from ganlab.run.record import failed_record, read_record, status, write_record

log = logging.getLogger(__name__)
BAD_ARGUMENTS = r"unexpected keyword|missing \d+ required"
"""How Python says a constructor got keys it does not take (Hydra wraps the TypeError)."""


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


def usage_error_of(error: BaseException) -> UsageError | None:
    """A constructor Hydra called with arguments it does not take (`+key=value`), or a
    Lightning misconfiguration, as one line."""
    cause = error.__cause__ if isinstance(error, InstantiationException) else None
    match = re.search(r"full_key: (\S+)", str(error))
    key = match.group(1) if match else "config"
    if isinstance(cause, TypeError) and re.search(BAD_ARGUMENTS, str(cause)):
        return UsageError(
            f"{key}: {one_line(cause)}; remove or correct that key (python -m ganlab.train "
            f"--cfg job prints the valid ones)"
        )
    misconfigured = isinstance(cause, MisconfigurationException)
    return UsageError(f"{key}: {one_line(cause)}") if misconfigured else None


def record_failed_job(error: Exception, started: float, with_traceback: bool) -> None:
    """Log why the job failed and mark its run folder failed; the sweep goes on."""
    run_dir = HydraConfig.get().runtime.output_dir
    if with_traceback:
        log.exception("unexpected error in this job")
    previous = read_record(run_dir) if status(run_dir) != "unreadable" else None
    record = failed_record(error, time.monotonic() - started, previous)
    log.error(f"ganlab: job failed: {record['error']} ({run_dir})")
    write_record(run_dir, **record)


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train; return `optimized_metric` for a sweeper. In a sweep a failing job is recorded
    as failed in its `metrics.json` and the other jobs still run."""
    started = time.monotonic()
    try:
        return objective(train(cfg), cfg.get("optimized_metric"))
    except Exception as error:
        user_error = user_error_of(error) or usage_error_of(error)
        if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
            record_failed_job(error, started, with_traceback=user_error is None)
            return None
        if user_error is None or cli.full_error_wanted():
            raise
        if isinstance(user_error, UsageError):
            undo_run_folder()
        cli.exit_with(user_error)
    finally:
        release_run_lock()


def entry() -> None:
    """Console script `ganlab-train`."""
    cli.run(main)


if __name__ == "__main__":
    entry()
