"""Interleaved timing: ganlab's real training steps under the Trainer, and between blocks of
them the same number of steps of each hand-written contender, in one process.

Alternating blocks expose every contender to the same machine state (other processes, clock
speed, caches), so their ratio stays meaningful on a shared machine where absolute times
drift. A ganlab step is measured from one `on_train_batch_start` to the next: the training
step, the logging, the callbacks, the progress bar and the next batch's loading.
"""

import contextlib
import ctypes
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import torch
from lightning.pytorch import Callback, LightningModule, Trainer

from ganlab.data.base import TensorImages
from ganlab.models.gan import GAN


class Contender(Protocol):
    """A training loop timed against ganlab. One running in another process may also have
    `peak_mib()` (its own peak memory) and `close()`."""

    name: str
    images_per_step: int

    def step(self) -> None:
        """One generator update."""


ContenderFactory = Callable[[GAN, TensorImages, int], list[Contender]]
"""Builds the contenders from the ganlab module (networks, optimizers), the training images
and the batch size, once the Trainer has set everything up."""


class PeakMemory:
    """Peak memory while one contender runs.

    CUDA: the most memory torch's allocator held for tensors (`max_memory_allocated`).
    CPU: the process's peak resident set size (VmHWM), reset before each block after freed
    heap memory is handed back to the system (`malloc_trim`); all contenders share the
    process, so each number includes the interpreter, the frameworks and the data set.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.status = Path("/proc/self/status")
        self.libc = None
        if device.type == "cpu":
            try:
                self.libc = ctypes.CDLL("libc.so.6")
            except OSError:
                self.libc = None

    @property
    def what(self) -> str:
        if self.device.type == "cuda":
            return "peak CUDA memory allocated by torch while the contender ran"
        return "peak resident set size of the benchmark process while the contender ran"

    def reset(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            return
        if self.libc is not None:
            self.libc.malloc_trim(0)
        with contextlib.suppress(OSError):  # without a reset: the process's peak so far
            Path("/proc/self/clear_refs").write_text("5")

    def read_mib(self) -> float | None:
        if self.device.type == "cuda":
            return torch.cuda.max_memory_allocated(self.device) / 2**20
        try:
            match = re.search(r"VmHWM:\s+(\d+) kB", self.status.read_text())
        except OSError:
            return None
        return int(match.group(1)) / 1024 if match else None


@dataclass
class Timings:
    """One contender's measured steps."""

    name: str
    images_per_step: int
    seconds: list[float] = field(default_factory=list)
    peak_mib: float | None = None

    def add_memory(self, mib: float | None) -> None:
        if mib is not None:
            self.peak_mib = max(self.peak_mib or 0.0, mib)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def quartiles(self) -> tuple[float, float]:
        if len(self.seconds) < 2:
            return self.median, self.median
        q = statistics.quantiles(self.seconds, n=4)
        return q[0], q[2]

    @property
    def images_per_second(self) -> float:
        return self.images_per_step / self.median


class InterleavedTimer(Callback):
    """Times `steps` ganlab steps after `warmup` untimed ones and, every `block` ganlab steps,
    `block` steps of each contender (after their own `warmup`).

    On the CPU every step is timed on its own. On CUDA a step only launches work, so the
    device is synchronised at block boundaries only and each block's mean is recorded once
    per step in it (no extra syncs inside ganlab's steps).
    """

    def __init__(self, make_contenders: ContenderFactory, warmup: int, steps: int, block: int):
        if warmup < 1 or steps < 1 or block < 1:
            raise ValueError("warmup, steps and block must be >= 1")
        self.make_contenders = make_contenders
        self.warmup, self.steps, self.block = warmup, steps, block
        self.results: list[Timings] = []
        self.memory_what = ""
        self._contenders: list[tuple[Contender, Timings]] = []
        self._ganlab: Timings | None = None
        self._memory: PeakMemory | None = None
        self._span_start: float | None = None
        self._span_steps = 0

    @property
    def max_steps(self) -> int:
        """Trainer steps the timed run needs: the last timed step ends when the next starts."""
        return self.warmup + self.steps + 1

    def _now(self, device: torch.device) -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter()

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        datamodule = trainer.datamodule
        contenders = self.make_contenders(pl_module, datamodule.train_set, datamodule.batch_size)
        device = pl_module.device
        self._memory = PeakMemory(device)
        self.memory_what = self._memory.what
        per_step = datamodule.batch_size * pl_module.real_batches_per_step
        self._ganlab = Timings("ganlab", per_step)
        self._contenders = [(c, Timings(c.name, c.images_per_step)) for c in contenders]
        for contender, _ in self._contenders:
            for _ in range(self.warmup):
                contender.step()
        self._now(device)
        self.results = [self._ganlab] + [timings for _, timings in self._contenders]

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch, batch_idx: int
    ) -> None:
        device = pl_module.device
        step = trainer.global_step  # generator updates finished before this batch
        cuda = device.type == "cuda"
        boundary = self._at_block_boundary(step)
        if self._span_start is not None and (boundary or not cuda):
            count = self._span_steps if cuda else 1
            mean = (self._now(device) - self._span_start) / count
            self._ganlab.seconds.extend([mean] * count)
            self._span_start = None
        if boundary:
            if step > self.warmup:
                self._ganlab.add_memory(self._memory.read_mib())
            if step < self.warmup + self.steps:
                for contender, timings in self._contenders:
                    self._run_block(contender, timings, device, per_step=not cuda)
            self._memory.reset()
        if self.warmup <= step < self.warmup + self.steps:
            if self._span_start is None:
                self._span_start = self._now(device)
                self._span_steps = 0
            self._span_steps += 1

    def _at_block_boundary(self, step: int) -> bool:
        offset = step - self.warmup
        return 0 <= offset <= self.steps and (offset % self.block == 0 or offset == self.steps)

    def _run_block(
        self, contender: Contender, timings: Timings, device: torch.device, per_step: bool
    ) -> None:
        remaining = self.steps - len(timings.seconds)
        count = min(self.block, remaining)
        if count <= 0:
            return
        self._memory.reset()
        start = self._now(device)
        for _ in range(count):
            contender.step()
            if per_step:
                end = self._now(device)
                timings.seconds.append(end - start)
                start = end
        if not per_step:
            timings.seconds.extend([(self._now(device) - start) / count] * count)
        own = getattr(contender, "peak_mib", None)
        timings.add_memory(own() if own else self._memory.read_mib())

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for contender, _ in self._contenders:
            close = getattr(contender, "close", None)
            if close:
                close()
