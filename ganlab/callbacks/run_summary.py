"""At the end of training: `metrics.json` in the run folder, and the run's hyper-parameters
with its final metrics in every logger: in TensorBoard's HParams plugin, so the HParams tab
compares the runs of a sweep side by side; as parameters and final scalars in the others
(CSV's `hparams.yaml` and `metrics.csv`, MLflow, Weights & Biases).

With the `Diagnosis` callback, `metrics.json` also holds the run's health timeline.
The metrics are everything in `trainer.callback_metrics` when fitting ends: the procedure's
epoch losses, and whatever an evaluation callback logged (`pl_module.log`) or stored there
(`trainer.callback_metrics["fid"] = tensor`) by its own `on_train_end`; this callback writes
in `on_fit_end`, after every callback's `on_train_end`. In TensorBoard they are scalars
`final/<name>` at the last step (the HParams plugin reads its metric columns from scalars;
re-logging the training tags themselves would add a point to their curves).
"""

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from hydra.core.hydra_config import HydraConfig
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_only

from ganlab.callbacks.to_loggers import log_final_hparams
from ganlab.run.record import completed_record, write_record

FINAL = "final"


def final_metrics(logged: Mapping[str, torch.Tensor | float]) -> dict[str, float]:
    """Each scalar once: of Lightning's `x_step`, `x_epoch` and `x` (= `x_epoch`), `x_epoch`."""
    metrics = {}
    for name, value in logged.items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                continue
            value = value.item()
        if not name.endswith("_step") and f"{name}_epoch" not in logged:
            metrics[name] = float(value)
    return metrics


class RunSummary(Callback):
    """Writes `dirpath/metrics.json` and the HParams summary when fitting completes.

    Its `wall_time_s` adds up every fit of a resumed run: the time so far travels in the
    checkpoint (this callback's state), so a run trained in parts reports its whole cost. The
    final checkpoint (saved after every other callback's `on_train_end`) also carries the
    record itself, so a run killed between that save and `metrics.json` is completed by
    `resume=true` (`ganlab.run.folder`)."""

    def __init__(self, dirpath: str):
        self.dirpath = Path(dirpath)
        self.started = time.monotonic()
        self.earlier_fits_s = 0.0
        self.trainer: Trainer | None = None
        self.ended = False

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.started, self.trainer, self.ended = time.monotonic(), trainer, False

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.ended = True

    def record(self, trainer: Trainer) -> dict[str, Any]:
        return completed_record(
            final_metrics(trainer.callback_metrics),
            global_step=trainer.global_step,
            epochs=trainer.current_epoch,
            wall_time_s=self.wall_time_s(),
            diagnosis=diagnosis_of(trainer),
        )

    def wall_time_s(self) -> float:
        """Seconds of fitting so far, the earlier fits of a resumed run included."""
        return self.earlier_fits_s + time.monotonic() - self.started

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"wall_time_s": self.wall_time_s()}
        if self.ended and self.trainer is not None:
            state["record"] = self.record(self.trainer)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.earlier_fits_s = float(state_dict.get("wall_time_s", 0.0))

    @rank_zero_only
    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        record = self.record(trainer)
        write_record(self.dirpath, **record)
        final = {
            f"{FINAL}/{name}": value
            for name, value in record["metrics"].items()
            if value is not None
        }
        log_final_hparams(
            trainer.loggers, comparable_hparams(trainer, pl_module), final, trainer.global_step
        )


def diagnosis_of(trainer: Trainer) -> dict[str, Any] | None:
    """The `Diagnosis` callback's timeline (duck-typed: that callback imports this module)."""
    for callback in trainer.callbacks:
        if type(callback).__name__ == "Diagnosis":
            return callback.record()
    return None


def comparable_hparams(trainer: Trainer, pl_module: LightningModule) -> dict[str, Any]:
    """What a run was trained with, under the config's own key names (`model.optim.lr`,
    `data.batch_size`, `trainer.max_steps`, `seed`) plus the group choices (`model`, `data`)
    when Hydra composed the run. Unset (None) values are left out, so a column holds one type."""
    params: dict[str, Any] = {}
    if HydraConfig.initialized():
        choices = HydraConfig.get().runtime.choices
        params.update(
            {
                group: choice
                for group, choice in choices.items()
                if choice is not None and not group.startswith("hydra")
            }
        )
    params.update(flatten(dict(pl_module.hparams), "model"))
    datamodule = trainer.datamodule
    if datamodule is not None:
        params.update(flatten(dict(datamodule.hparams), "data"))
    params["trainer.max_steps"] = trainer.max_steps
    params["trainer.max_epochs"] = trainer.max_epochs
    if "PL_GLOBAL_SEED" in os.environ:
        params["seed"] = int(os.environ["PL_GLOBAL_SEED"])
    return {name: value for name, value in params.items() if value is not None}


def flatten(values: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """{'optim': {'lr': 1e-3}} -> {'model.optim.lr': 1e-3}."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name))
        else:
            flat[name] = value
    return flat
