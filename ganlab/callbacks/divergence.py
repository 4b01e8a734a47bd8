"""Stop (or skip) training steps that produce NaN/inf, and keep such weights out of checkpoints.

After each training step the guard records the module's metrics of that step (its
`step_metrics`: `d_loss`, `g_loss`, …) as one small tensor, without reading it back. Every
`check_every_n_steps` steps, before every checkpoint and at the end of training it reads the
recorded window (one host sync) and checks that every parameter and buffer is finite. Lightning
calls checkpoint callbacks after all others, so a diverged step is caught before the
`last.ckpt` of that step is written, and the check inside `on_save_checkpoint` aborts any save
of non-finite weights: the last good checkpoint is never overwritten.

`on_divergence=stop` raises `DivergenceError` naming the step and the values. `skip_batch`
snapshots the module and optimizer states before every step (a copy of the weights and
optimizer moments, on the same device) and rolls a diverged step back, so the batch leaves no
trace (batch-norm statistics included); after `max_skipped_batches` skipped batches it stops.
"""

import copy
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_warn

from ganlab.errors import DivergenceError
from ganlab.options import Declared, Rule, at_least
from ganlab.run.rules import ON_DIVERGENCE

CHECK_EVERY = 20
"""Steps between checks: each reads the recorded losses back (a host sync on an accelerator)
and scans every weight (on a CPU, at batch 4, it cost a fifth of a step)."""
SKIPPED_METRIC = "skipped_batches"


def step_values(pl_module: LightningModule) -> tuple[list[str], torch.Tensor | None]:
    """The module's metrics of this step (`GAN.step_metrics`), as one tensor."""
    metrics = getattr(pl_module, "step_metrics", None)
    if not metrics:
        return [], None
    return list(metrics), torch.stack([v.detach().float().reshape(()) for v in metrics.values()])


def nonfinite_tensors(module: LightningModule) -> list[str]:
    """Names of the parameters and floating-point buffers holding a NaN or an infinity."""
    named = [
        (name, tensor)
        for name, tensor in [*module.named_parameters(), *module.named_buffers()]
        if tensor.is_floating_point()
    ]
    if not named:
        return []
    finite = torch.stack([torch.isfinite(tensor).all() for _, tensor in named]).tolist()
    return [name for (name, _), ok in zip(named, finite, strict=True) if not ok]


def describe(names: list[str], values: list[float]) -> str:
    """`name=value, …`, the losses first."""
    pairs = sorted(zip(names, values, strict=True), key=lambda pair: not pair[0].endswith("_loss"))
    return ", ".join(f"{name}={value:.4g}" for name, value in pairs)


class DivergenceGuard(Callback, Declared):
    config_prefix = "callbacks.divergence."
    rules = (
        ON_DIVERGENCE,
        Rule("max_skipped_batches", "integer", ">= 0", at_least(0)),
        Rule("check_every_n_steps", "integer", ">= 1", at_least(1), nullable=True),
    )

    def __init__(
        self,
        on_divergence: str = "stop",
        max_skipped_batches: int = 10,
        check_every_n_steps: int | None = None,
    ):
        self.check_values(
            {
                "on_divergence": on_divergence,
                "max_skipped_batches": max_skipped_batches,
                "check_every_n_steps": check_every_n_steps,
            }
        )
        self.on_divergence = on_divergence
        self.max_skipped_batches = max_skipped_batches
        self.check_every_n_steps = check_every_n_steps
        self.skipped = 0
        self.window: list[tuple[int, list[str], torch.Tensor]] = []
        self.snapshot: tuple[dict[str, torch.Tensor], list[dict]] | None = None

    def every(self, trainer: Trainer) -> int:
        if self.on_divergence == "skip_batch":
            return 1
        if self.check_every_n_steps is not None:
            return self.check_every_n_steps
        return CHECK_EVERY

    def state_dict(self) -> dict[str, int]:
        return {"skipped": self.skipped}

    def load_state_dict(self, state_dict: dict[str, int]) -> None:
        self.skipped = state_dict["skipped"]

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        if self.on_divergence == "skip_batch":
            weights = {k: v.detach().clone() for k, v in pl_module.state_dict().items()}
            self.snapshot = weights, [copy.deepcopy(o.state_dict()) for o in trainer.optimizers]

    def on_train_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        names, values = step_values(pl_module)
        if values is not None:
            self.window.append((trainer.global_step, names, values))
        if len(self.window) >= self.every(trainer) or self.on_divergence == "skip_batch":
            problem = self.find_problem(trainer, pl_module)
            if problem is not None:
                self.handle(trainer, pl_module, problem)
        if self.on_divergence == "skip_batch":
            pl_module.log(SKIPPED_METRIC, float(self.skipped), on_step=True, on_epoch=False)

    def on_save_checkpoint(
        self, trainer: Trainer, pl_module: LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        problem = self.find_problem(trainer, pl_module)
        if problem is not None:
            raise DivergenceError(self.message(trainer, problem, "; not saving this checkpoint"))

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        problem = self.find_problem(trainer, pl_module)
        if problem is not None:
            raise DivergenceError(self.message(trainer, problem))

    def find_problem(self, trainer: Trainer, pl_module: LightningModule) -> str | None:
        """A description of the first non-finite value since the last check, or None."""
        window, self.window = self.window, []
        if window:
            finite = torch.stack([torch.isfinite(v).all() for _, _, v in window]).tolist()
            if not all(finite):
                step, names, values = window[finite.index(False)]
                return f"at step {step}: {describe(names, values.tolist())}"
        bad = nonfinite_tensors(pl_module)
        if bad:
            more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
            return f"by step {trainer.global_step}: non-finite weights in {bad[0]}{more}"
        return None

    def handle(self, trainer: Trainer, pl_module: LightningModule, problem: str) -> None:
        if self.on_divergence == "skip_batch" and self.skipped < self.max_skipped_batches:
            weights, optimizer_states = self.snapshot
            pl_module.load_state_dict(weights)
            for optimizer, state in zip(trainer.optimizers, optimizer_states, strict=True):
                optimizer.load_state_dict(state)
            self.skipped += 1
            rank_zero_warn(
                f"skipped a diverged batch ({self.skipped} of at most "
                f"{self.max_skipped_batches}): non-finite values {problem}"
            )
            return
        raise DivergenceError(self.message(trainer, problem))

    def message(self, trainer: Trainer, problem: str, detail: str = "") -> str:
        kept = [
            path
            for c in trainer.checkpoint_callbacks
            if isinstance(c, ModelCheckpoint)
            for path in (c.last_model_path, c.best_model_path)
            if path and Path(path).is_file()
        ]
        where = f"the last good checkpoint {kept[0]} is kept" if kept else "no checkpoint kept"
        if self.on_divergence == "skip_batch":
            advice = (
                f"It kept diverging after {self.skipped} skipped batches "
                f"(callbacks.divergence.max_skipped_batches): lower the learning rate "
                f"(model.optim.lr) and start a new run"
            )
        else:
            advice = (
                "Lower the learning rate (model.optim.lr) and start a new run, or continue "
                "with resume=true on_divergence=skip_batch to skip such batches"
            )
        return f"training diverged {problem}{detail}; {where}. {advice}"
