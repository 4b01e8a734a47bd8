"""ganlab's checkpoint callbacks: `Checkpoint` (Lightning's `ModelCheckpoint` with its save
triggers checked up front) and `LastCheckpoint`, a `last.ckpt` that always holds the end of
training.

Lightning 2.6's `ModelCheckpoint(save_last=True)` writes `last.ckpt` at the end of training only
when it never wrote one before: a run that saves every N steps or every epoch and stops in
between (max_steps, max_epochs after a step-based save, early stopping) ends with a
`last.ckpt` of an earlier step. `LastCheckpoint` also saves it when training ends past the last
save, and at least every `max_unsaved_steps` generator updates or `max_unsaved_minutes`
(whichever comes first, on top of Lightning's own trigger), which bounds what a hard kill
(SIGKILL, a power cut) loses; `save_now` is how an interrupted run saves. It also silences the
warning Lightning prints on every step-based save under manual optimization ("the checkpoint
will contain the model state AFTER optimization"): for ganlab that state, with the counters
that go with it, is exactly the state to resume from.
"""

import time
import warnings
from collections.abc import Mapping
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint

from ganlab.errors import UsageError
from ganlab.options import Declared, Rule, at_least, positive

TRIGGERS = ("every_n_train_steps", "every_n_epochs")


class Checkpoint(ModelCheckpoint, Declared):
    """`ModelCheckpoint` whose triggers are checked before training: each a count >= 0 or
    null, and at most one of them (Lightning takes steps or epochs, not both)."""

    rules = tuple(
        Rule(key, "integer", ">= 0 (0: never)", at_least(0), nullable=True) for key in TRIGGERS
    )

    def __init__(self, *args: Any, **kwargs: Any):
        given = {key: kwargs[key] for key in TRIGGERS if key in kwargs}
        self.check_values(given, prefix=f"{type(self).__name__}.")
        super().__init__(*args, **kwargs)

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        super().check_values(values, prefix)
        steps, epochs = values.get("every_n_train_steps"), values.get("every_n_epochs")
        if steps and epochs:
            name = (prefix or "").rstrip(".")
            raise UsageError(
                f"{name} saves every {steps} steps and every {epochs} epochs: Lightning "
                f"takes one of them; set the other to null ({name}.every_n_epochs=null)"
            )

    def on_train_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Using ModelCheckpoint with manual optimization"
            )
            super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)


class LastCheckpoint(Checkpoint):
    """`last.ckpt`: per Lightning's trigger (every epoch by default), at the end of training,
    and at least every `max_unsaved_steps` generator updates or `max_unsaved_minutes` (each
    null: no such bound)."""

    rules = (
        *Checkpoint.rules,
        Rule("max_unsaved_steps", "integer", ">= 1", at_least(1), nullable=True),
        Rule("max_unsaved_minutes", "number", "> 0", positive, nullable=True),
    )

    def __init__(
        self,
        *args: Any,
        max_unsaved_steps: int | None = None,
        max_unsaved_minutes: float | None = None,
        **kwargs: Any,
    ):
        self.check_values(
            {"max_unsaved_steps": max_unsaved_steps, "max_unsaved_minutes": max_unsaved_minutes},
            prefix=f"{type(self).__name__}.",
        )
        super().__init__(*args, **kwargs)
        self.max_unsaved_steps = max_unsaved_steps
        self.max_unsaved_minutes = max_unsaved_minutes
        self.saved_at_step = 0
        self.saved_at_time = time.monotonic()

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.saved_at_step, self.saved_at_time = trainer.global_step, time.monotonic()

    def on_train_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        super().on_train_batch_end(trainer, pl_module, outputs, batch, batch_idx)
        if self.overdue(trainer):
            self.save_now(trainer)

    def overdue(self, trainer: Trainer) -> bool:
        """Whether a bound is reached; under DDP rank 0's clock decides for every rank."""
        steps = self.max_unsaved_steps
        if steps is not None and trainer.global_step - self.saved_at_step >= steps:
            return True
        if self.max_unsaved_minutes is None:
            return False
        late = time.monotonic() - self.saved_at_time >= 60 * self.max_unsaved_minutes
        return bool(trainer.strategy.broadcast(late)) if trainer.world_size > 1 else late

    def save_now(self, trainer: Trainer) -> str:
        """Write `last.ckpt` at the current step unless it holds that step already; its path."""
        if self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
        return self.last_model_path

    def _save_checkpoint(self, trainer: Trainer, filepath: str) -> None:
        super()._save_checkpoint(trainer, filepath)
        self.saved_at_step, self.saved_at_time = trainer.global_step, time.monotonic()

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
