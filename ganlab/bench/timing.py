"""Interleaved timing: ganlab's real training steps under the Trainer and, between blocks of
them, as many steps of each hand-written contender, in one process.

Alternating blocks expose every contender to the same machine state (other processes, clock
speed, caches), so their ratio holds on a shared machine where absolute times drift. A ganlab
step is timed from one `on_train_batch_start` to the next: the training step, the logging, the
callbacks, the progress bar and the next batch's loading. Its step runs inside the Trainer, so
both sides are timed alike here, with `time.perf_counter`. On the CPU every step is timed on
its own; on CUDA a step only launches work, so the device is synchronised at block boundaries
only and each step of a block counts the block's mean.
"""

import time
from collections.abc import Callable
from typing import Any, Protocol

import torch
from lightning.pytorch import Callback, LightningModule, Trainer

from ganlab.data.base import TensorImages


class Contender(Protocol):
    """A training loop timed against ganlab; it may also have `close()`."""

    name: str
    images_per_step: int

    def step(self) -> None:
        """One generator update."""


Timings = tuple[str, int, list[float]]
"""A contender's name, the real images one of its steps consumes, its timed seconds per step."""


class Interleaved(Callback):
    """`warmup` untimed ganlab steps, then `steps` timed ones and, every `block` of them,
    `block` steps of each contender (after `warmup` of their own). The contenders are built
    by `make_contenders(module, training images, batch size)` once the Trainer set up."""

    def __init__(
        self,
        make_contenders: Callable[[LightningModule, TensorImages, int], list[Contender]],
        warmup: int,
        steps: int,
        block: int,
    ):
        if min(warmup, steps, block) < 1:
            raise ValueError("warmup, steps and block must be >= 1")
        self.make_contenders = make_contenders
        self.warmup, self.steps, self.block = warmup, steps, block
        self.results: list[Timings] = []

    @property
    def max_steps(self) -> int:
        """Trainer steps the timed run needs: the last timed step ends when the next starts."""
        return self.warmup + self.steps + 1

    def _now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def _record(self, seconds: list[float], started: float, count: int) -> None:
        seconds.extend([(self._now() - started) / count] * count)

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        data = trainer.datamodule
        self.cuda = pl_module.device.type == "cuda"
        self.contenders = self.make_contenders(pl_module, data.train_set, data.batch_size)
        for contender in self.contenders:
            for _ in range(self.warmup):
                contender.step()
        per_step = data.batch_size * pl_module.real_batches_per_step
        self.results = [("ganlab", per_step, [])]
        self.results += [(c.name, c.images_per_step, []) for c in self.contenders]
        self.started, self.started_at = None, 0

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        done = trainer.global_step - self.warmup  # ganlab's timed steps before this batch
        boundary = done % self.block == 0 or done == self.steps
        if not 0 <= done <= self.steps or (self.cuda and not boundary):
            return
        if self.started is not None:
            self._record(self.results[0][2], self.started, done - self.started_at)
        if done == self.steps:
            return
        if boundary:
            count = min(self.block, self.steps - done)
            for contender, (_, _, seconds) in zip(self.contenders, self.results[1:], strict=True):
                span = count if self.cuda else 1
                for _ in range(count // span):
                    started = self._now()
                    for _ in range(span):
                        contender.step()
                    self._record(seconds, started, span)
        self.started, self.started_at = self._now(), done

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for contender in self.contenders:
            if hasattr(contender, "close"):
                contender.close()
