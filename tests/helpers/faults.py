"""Faults injected into real training runs through the CLI (`+callbacks.NAME._target_=…`)."""

import math
import os
import signal
import sys
import time
from pathlib import Path

import torch
from lightning.pytorch import Callback, LightningModule, Trainer


class KillAt(Callback):
    """SIGKILL this process right after training step `step`, before that step's checkpoint:
    a crash at a known moment, with no chance to clean up."""

    def __init__(self, step: int):
        self.step = step

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx
    ) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), signal.SIGKILL)


class CrashAt(Callback):
    """Raise right after training step `step`, before that step's checkpoint: a crash inside
    the test process (where a SIGKILL would take the test down too)."""

    def __init__(self, step: int):
        self.step = step

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx
    ) -> None:
        if trainer.global_step == self.step:
            raise RuntimeError(f"simulated crash after step {self.step}")


class PoisonAt(Callback):
    """Put a NaN into the generator's first weight right before training step `step` + 1 (and
    every later one when `repeat`), so that step's losses and updates are non-finite."""

    def __init__(self, step: int, repeat: bool = False):
        self.step = step
        self.repeat = repeat

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch, batch_idx):
        if trainer.global_step == self.step or (self.repeat and trainer.global_step > self.step):
            with torch.no_grad():
                next(pl_module.generator.parameters()).view(-1)[0] = math.nan


class FillDiskAt(Callback):
    """Fill the file system holding `path` right after training step `step`, before that
    step's checkpoint, leaving `leave` bytes: the disk runs full in the middle of a run."""

    def __init__(self, step: int, path: str, leave: int = 0):
        self.step = step
        self.path = path
        self.leave = leave

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx
    ) -> None:
        if trainer.global_step == self.step:
            from tests.helpers.small_disk import SmallDisk

            SmallDisk(Path(self.path)).fill(self.leave)


class SignalAt(Callback):
    """Send `signum` (SIGTERM by default) to this process right after training step `step`: a
    real signal, delivered at a known step (Lightning runs checkpoint callbacks last, so
    ganlab's interruption handling sees it in the same step)."""

    def __init__(self, step: int, signum: int = signal.SIGTERM):
        self.step = step
        self.signum = signum

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx
    ) -> None:
        if trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


class SignalInsideStep(Callback):
    """Send `signum` to this process at the first optimizer update of training step `step` + 1:
    inside the step, before its `n_critic` critic updates and its generator update are done."""

    def __init__(self, step: int, signum: int = signal.SIGINT):
        self.step = step
        self.signum = signum
        self.sent = False

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer):
        if trainer.global_step == self.step and not self.sent:
            self.sent = True
            os.kill(os.getpid(), self.signum)


class ReportSteps(Callback):
    """Print `ganlab-test: step N` after each training step (for a test that signals a real
    process from outside once training runs), sleeping `seconds` to keep the run going."""

    def __init__(self, seconds: float = 0.0):
        self.seconds = seconds

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx
    ) -> None:
        print(f"ganlab-test: step {trainer.global_step}", file=sys.stderr, flush=True)
        time.sleep(self.seconds)
