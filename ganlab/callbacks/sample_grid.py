"""Fixed-noise sample grids, as PNGs under `samples/` and as images in every logger that
takes them (TensorBoard, MLflow, Weights & Biases: see `to_loggers`)."""

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_only
from torchvision.utils import make_grid, save_image

from ganlab.callbacks.to_loggers import log_image
from ganlab.diagnosis.signals import mean_pairwise_distance
from ganlab.options import Declared, Rule, at_least
from ganlab.run.atomic import write_atomically

DIVERSITY = "sample_diversity"


class SampleGrid(Callback, Declared):
    """Every `every_n_epochs` epochs, with `every_n_steps` also before the first update and
    every that many generator updates (as the sources show their grids: after 0, 200, …
    iterations), and at the end of training, render the module's
    `fixed_samples()` into `dirpath/epoch_EEE_step_SSSSSS.png` and the loggers' `samples` image,
    and log the grid's diversity (`sample_diversity`: its images' mean pairwise distance over
    that of the first real training batch; 1: as varied as real images, 0: one image).

    `nrow` images per row; by default the module's `grid_columns`, so that a conditional
    run's grid shows one row per class."""

    config_prefix = "callbacks.sample_grid."
    rules = (
        Rule("every_n_epochs", "integer", ">= 1", at_least(1), nullable=True),
        Rule("every_n_steps", "integer", ">= 1", at_least(1), nullable=True),
    )

    def __init__(
        self,
        dirpath: str,
        every_n_epochs: int | None = 1,
        nrow: int | None = None,
        every_n_steps: int | None = None,
    ):
        self.check_values({"every_n_epochs": every_n_epochs, "every_n_steps": every_n_steps})
        self.dirpath = Path(dirpath)
        self.every_n_epochs = every_n_epochs
        self.every_n_steps = every_n_steps
        self.nrow = nrow
        self.last_written_step = -1
        self.real_diversity: torch.Tensor | None = None

    def on_train_batch_start(
        self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int
    ) -> None:
        """The real images' diversity, once, from as many images as the grid holds."""
        if self.real_diversity is None:
            images, labels = batch
            count = len(pl_module.fixed_noise)
            labels = labels[:count] if pl_module.conditional else None
            self.real_diversity = mean_pairwise_distance(images[:count], labels)

    @rank_zero_only
    def write(self, trainer: Trainer, pl_module: LightningModule) -> Path | None:
        step = trainer.global_step
        if step == self.last_written_step:
            return None
        self.last_written_step = step
        samples = pl_module.fixed_samples()
        self.log_diversity(trainer, pl_module, samples, step)
        grid = make_grid(
            samples.float().cpu(),
            nrow=self.nrow or pl_module.grid_columns,
            normalize=True,
            value_range=(-1, 1),
        )
        self.dirpath.mkdir(parents=True, exist_ok=True)
        path = self.dirpath / f"epoch_{trainer.current_epoch:03d}_step_{step:06d}.png"
        write_atomically(path, lambda file: save_image(grid, file, format="png"), "image")
        log_image(trainer.loggers, "samples", grid, step)
        return path

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.every_n_steps and trainer.global_step == 0:
            self.write(trainer, pl_module)  # the untrained generator

    def on_train_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any, idx: int
    ) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.write(trainer, pl_module)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.every_n_epochs and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.write(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.write(trainer, pl_module)

    def log_diversity(
        self, trainer: Trainer, pl_module: LightningModule, samples: torch.Tensor, step: int
    ) -> None:
        """To every logger and to `callback_metrics` (for the diagnosis). Plotted on the
        losses' axis: the index of the batch whose update made these weights (`step` - 1)."""
        if self.real_diversity is None:
            return
        labels = pl_module.fixed_labels if pl_module.conditional else None
        diversity = mean_pairwise_distance(samples, labels) / self.real_diversity
        trainer.callback_metrics[DIVERSITY] = diversity
        for logger in trainer.loggers:
            logger.log_metrics({DIVERSITY: diversity.item()}, step=max(step - 1, 0))
