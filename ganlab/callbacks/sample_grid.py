"""Fixed-noise sample grids, as PNGs under `samples/` and as images in every logger that
takes them (TensorBoard, MLflow, Weights & Biases: see `to_loggers`)."""

from pathlib import Path

from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_only
from torchvision.utils import make_grid, save_image

from ganlab.callbacks.to_loggers import log_image
from ganlab.run.atomic import write_atomically


class SampleGrid(Callback):
    """Every `every_n_epochs` epochs (and at the end of training) render the module's
    `fixed_samples()` into `dirpath/epoch_EEE_step_SSSSSS.png` and the loggers' `samples` image.

    `nrow` images per row; by default the module's `grid_columns`, so that a conditional
    run's grid shows one row per class."""

    def __init__(self, dirpath: str, every_n_epochs: int = 1, nrow: int | None = None):
        self.dirpath = Path(dirpath)
        self.every_n_epochs = every_n_epochs
        self.nrow = nrow
        self.last_written_step = -1

    @rank_zero_only
    def write(self, trainer: Trainer, pl_module: LightningModule) -> Path | None:
        step = trainer.global_step
        if step == self.last_written_step:
            return None
        self.last_written_step = step
        grid = make_grid(
            pl_module.fixed_samples().float().cpu(),
            nrow=self.nrow or pl_module.grid_columns,
            normalize=True,
            value_range=(-1, 1),
        )
        self.dirpath.mkdir(parents=True, exist_ok=True)
        path = self.dirpath / f"epoch_{trainer.current_epoch:03d}_step_{step:06d}.png"
        write_atomically(path, lambda file: save_image(grid, file, format="png"), "image")
        log_image(trainer.loggers, "samples", grid, step)
        return path

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self.write(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.write(trainer, pl_module)
