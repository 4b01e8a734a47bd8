"""`last.ckpt` that always holds the end of training.

Lightning 2.6's `ModelCheckpoint(save_last=True)` writes `last.ckpt` at the end of training only
when it never wrote one before: a run that saves every N steps or every epoch and stops in
between (max_steps, max_epochs after a step-based save, early stopping) ends with a
`last.ckpt` of an earlier step. `LastCheckpoint` also saves it when training ends past the last
save. It also silences the warning Lightning prints on every step-based save under manual
optimization ("the checkpoint will contain the model state AFTER optimization"): for ganlab
that state, with the counters that go with it, is exactly the state to resume from.
"""

import warnings
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint


class LastCheckpoint(ModelCheckpoint):
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

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
