"""Images and hyper-parameters to every Lightning logger of a run, each through its own API.

Lightning gives loggers one common call for scalars (`log_metrics`) and hyper-parameters
(`log_hyperparams`), but none for images or text: TensorBoard takes `experiment.add_image`, MLflow
its client's `log_image(run_id, …)`, Weights & Biases (and any logger with the same method)
`log_image(key, images, step)`. A logger that takes no images (CSV) is skipped: the PNGs under
the run's `samples/` folder hold every grid anyway.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
from lightning.pytorch.loggers import Logger, MLFlowLogger, TensorBoardLogger


def to_hwc_uint8(grid: torch.Tensor) -> np.ndarray:
    """A (C, H, W) float image in [0, 1] as the (H, W, C) uint8 array image libraries take."""
    return grid.mul(255).round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def log_image(loggers: Iterable[Logger], tag: str, grid: torch.Tensor, step: int) -> list[Logger]:
    """Give `grid` ((C, H, W) floats in [0, 1]) to every logger that takes images, under `tag`
    at `step`; returns the loggers that took it."""
    took = []
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(tag, grid, global_step=step)
        elif isinstance(logger, MLFlowLogger):
            logger.experiment.log_image(
                logger.run_id, to_hwc_uint8(grid), artifact_file=f"{tag}/step_{step:06d}.png"
            )
        elif callable(getattr(logger, "log_image", None)):
            logger.log_image(key=tag, images=[to_hwc_uint8(grid)], step=step)
        else:
            continue
        took.append(logger)
    return took


def log_text(loggers: Iterable[Logger], tag: str, text: str, step: int) -> list[Logger]:
    """Give `text` to every logger that takes text (TensorBoard's Text tab, an MLflow
    artifact, a Weights & Biases table); returns the loggers that took it."""
    took = []
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_text(tag, text, global_step=step)
        elif isinstance(logger, MLFlowLogger):
            logger.experiment.log_text(logger.run_id, text, f"{tag}/step_{step:06d}.txt")
        elif callable(getattr(logger, "log_text", None)):
            logger.log_text(key=tag, columns=["step", tag], data=[[step, text]], step=step)
        else:
            continue
        took.append(logger)
    return took


def log_final_hparams(
    loggers: Iterable[Logger], params: Mapping[str, Any], metrics: Mapping[str, float], step: int
) -> None:
    """The run's hyper-parameters beside its final metrics, in every logger: TensorBoard's
    HParams plugin takes both in one call (its metric columns); the others take the
    parameters, and the metrics as scalars at `step`."""
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.log_hyperparams(dict(params), dict(metrics), step=step)
            continue
        logger.log_hyperparams(dict(params))
        if metrics:
            logger.log_metrics(dict(metrics), step=step)
