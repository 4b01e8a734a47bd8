"""Train a GAN: `python -m ganlab.train [group=choice ...] [key=value ...]`.

Hydra composes `conf/train.yaml`; `ganlab.run.fit.train` builds and fits the run; this entry
point turns what goes wrong into one line and an exit code, and records failed sweep jobs.
"""

import time

import hydra
from omegaconf import DictConfig

from ganlab.errors import UsageError, user_error_of
from ganlab.run import cli
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train
from ganlab.run.folder import release_run_lock, undo_run_folder
from ganlab.run.record import in_sweep, objective, record_failed_job
from ganlab.run.rules import usage_error_of


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train; return `optimized_metric` for a sweeper. In a sweep a failing job is recorded
    as failed in its `metrics.json` and the other jobs still run."""
    started = time.monotonic()
    try:
        return objective(train(cfg), cfg.get("optimized_metric"))
    except Exception as error:
        user_error = user_error_of(error) or usage_error_of(error)
        if in_sweep():
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
