"""What the health signals cost: `python -m ganlab.bench.diagnostics --data-root DIR`.

One real training run (the default MNIST DCGAN under the Trainer, with its callbacks and
logger) in which blocks of steps alternate between diagnostics on (the signals in the step
and the `Diagnosis` callback) and off (`model.diagnostics=false`, the callback idle), so both
see the same machine state; prints the median seconds per step of each and their ratio. At
the end it times the class-coverage check (`callbacks.class_coverage`, once per epoch) on the
trained module, as a share of an epoch of diagnosed steps.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from lightning.pytorch import Callback, LightningModule, Trainer

from ganlab.bench.rows import ROWS
from ganlab.bench.run import compose_row
from ganlab.callbacks.class_coverage import ClassCoverage
from ganlab.callbacks.diagnosis import Diagnosis
from ganlab.run.fit import train

COVERAGE_CHECKS = 3


class Alternate(Callback):
    """Diagnostics on for `block` steps, off for the next `block`, …; each step timed from
    one batch start to the next (step, logging, callbacks, loading); `warmup` steps untimed."""

    def __init__(self, block: int, warmup: int):
        self.block, self.warmup = block, warmup
        self.times: dict[bool, list[float]] = {True: [], False: []}
        self.diagnosis: Diagnosis | None = None
        self.on = True
        self.started: float | None = None
        self.coverage_checks: list[float] = []
        self.steps_per_epoch = 0

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        (self.diagnosis,) = (c for c in trainer.callbacks if isinstance(c, Diagnosis))
        trainer.callbacks.remove(self.diagnosis)
        self.diagnosis.on_fit_start(trainer, pl_module)

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        now = time.perf_counter()
        if self.started is not None and trainer.global_step > self.warmup:
            self.times[self.on].append(now - self.started)
        self.started = now
        self.on = (trainer.global_step // self.block) % 2 == 0
        pl_module.diagnostics = self.on

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, idx: int
    ) -> None:
        if self.on:
            self.diagnosis.on_train_batch_end(trainer, pl_module, outputs, batch, idx)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Time the class-coverage check `COVERAGE_CHECKS` times on the trained module."""
        coverage = ClassCoverage()
        coverage.on_fit_start(trainer, pl_module)
        for _ in range(COVERAGE_CHECKS):
            coverage.last_scored_step = -1
            started = time.perf_counter()
            coverage.score(trainer, pl_module)
            self.coverage_checks.append(time.perf_counter() - started)
        self.steps_per_epoch = int(trainer.num_training_batches)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ganlab.bench.diagnostics")
    parser.add_argument("--data-root", default="data")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--block", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args(argv)
    timer = Alternate(args.block, args.warmup)
    (row,) = (row for row in ROWS if row.key == "dcgan")
    extra = [
        "logger=tensorboard",
        "trainer.enable_progress_bar=false",
        "callbacks.diagnosis.window=10",
    ]
    with tempfile.TemporaryDirectory(prefix="ganlab-bench-diagnostics-") as tmp:
        cfg = compose_row(row, "cpu", args.batch, args.steps, args.data_root, Path(tmp), extra)
        train(cfg, extra_callbacks=[timer])
    on, off = (statistics.median(timer.times[state]) for state in (True, False))
    print(f"diagnostics on : {on:.4f} s/step (median of {len(timer.times[True])} steps)")
    print(f"diagnostics off: {off:.4f} s/step (median of {len(timer.times[False])} steps)")
    print(f"on / off: {on / off:.3f}")
    check = statistics.median(timer.coverage_checks)
    epoch = on * timer.steps_per_epoch
    print(
        f"class coverage: {check:.3f} s per check (median of {len(timer.coverage_checks)}), "
        f"once per epoch of {timer.steps_per_epoch} steps ({epoch:.1f} s): {check / epoch:.1%}"
    )


if __name__ == "__main__":
    main()
