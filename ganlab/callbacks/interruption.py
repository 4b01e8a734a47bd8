"""SIGTERM and SIGINT stop training between two steps, never inside one.

Python's SIGINT would raise wherever the process is (inside an `n_critic` cycle, a checkpoint
write), and Lightning's SIGTERM handler only sets `trainer.received_sigterm`, a silent exit 0.
While `deferred_signals()` is active (`ganlab.run.fit` wraps the fit in it) both are only
noted; a second Ctrl+C stops at once. Lightning, whose handlers are registered when fitting
starts, calls the SIGTERM handler it finds after its own and keeps SLURM's requeue signal
(SIGUSR1) to itself.

At the end of the training step during which SIGTERM or SIGINT arrived: `last.ckpt` is written
at that generator step (through the last-checkpoint callback, atomically), `metrics.json`
records the run as `interrupted`, one line says how to continue, and the process exits with
128 + the signal's number (143 for SIGTERM, 130 for SIGINT), as a shell reports a process the
signal killed, so a scheduler does not count the job a success. Under DDP the ranks agree on
stopping at the same step.
"""

import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from hydra.core.hydra_config import HydraConfig
from lightning.pytorch import Callback, LightningModule, Trainer

from ganlab.callbacks.checkpoint import LastCheckpoint
from ganlab.callbacks.run_summary import RunSummary, final_metrics
from ganlab.run.record import completed_record, write_record

REPLACED_ON_CONTINUE = ("resume=", "ckpt_path=", "hydra.run.dir=")
"""Overrides the continuing command replaces with `resume=true hydra.run.dir=…`."""
received: signal.Signals | None = None
"""The first deferred signal that arrived, if any."""


def note_signal(signum: int, frame: FrameType | None) -> None:
    global received
    if received == signal.SIGINT and signum == signal.SIGINT:
        raise KeyboardInterrupt
    received = received or signal.Signals(signum)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Defer SIGTERM and SIGINT for the block (main thread only: Python delivers signals there)."""
    global received
    received = None
    main = threading.current_thread() is threading.main_thread()
    deferred = (signal.SIGTERM, signal.SIGINT) if main else ()
    previous = {signum: signal.signal(signum, note_signal) for signum in deferred}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Interruption(Callback):
    """Saves, records and exits when a deferred signal arrived (added by `ganlab.run.fit`)."""

    def __init__(self, dirpath: str):
        self.dirpath = Path(dirpath)
        self.started = time.monotonic()

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.started = time.monotonic()

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx: int
    ) -> None:
        stop = received is not None
        if trainer.world_size > 1:
            stop = trainer.strategy.reduce_boolean_decision(stop, all=False)
        if not stop:
            return
        signum = received or signal.SIGTERM
        saved = self.save_last(trainer)
        if trainer.is_global_zero:
            reason = f"interrupted by {signum.name} after step {trainer.global_step}"
            record = completed_record(
                final_metrics(trainer.callback_metrics),
                global_step=trainer.global_step,
                epochs=trainer.current_epoch,
                wall_time_s=self.wall_time_s(trainer),
            )
            write_record(self.dirpath, **record | {"status": "interrupted", "error": reason})
            print(
                f"ganlab: {reason}; saved {saved}. Continue with: {continue_command(self.dirpath)}",
                file=sys.stderr,
                flush=True,
            )
        raise SystemExit(128 + signum)

    def wall_time_s(self, trainer: Trainer) -> float:
        """The run summary's clock (every fit of a resumed run), else this fit's."""
        for callback in trainer.callbacks:
            if isinstance(callback, RunSummary):
                return callback.wall_time_s()
        return time.monotonic() - self.started

    def save_last(self, trainer: Trainer) -> str:
        last = [c for c in trainer.checkpoint_callbacks if isinstance(c, LastCheckpoint)]
        if last:
            return last[0].save_now(trainer)
        path = str(self.dirpath / "checkpoints" / "last.ckpt")
        trainer.save_checkpoint(path)
        return path


def continue_command(run_dir: Path) -> str:
    """This run's command line with `resume=true hydra.run.dir=RUN_DIR` (same model and data
    overrides: a resumed run must have them)."""
    kept = []
    if HydraConfig.initialized():
        task = HydraConfig.get().overrides.task
        kept = [o for o in task if not o.lstrip("+~").startswith(REPLACED_ON_CONTINUE)]
    words = ["python", "-m", "ganlab.train", *kept, "resume=true", f"hydra.run.dir={run_dir}"]
    return shlex.join(words)
