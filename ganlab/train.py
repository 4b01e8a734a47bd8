"""Train a GAN: `python -m ganlab.train [group=choice ...] [key=value ...]`.

Hydra composes `conf/train.yaml`; this module builds the data module, the procedure (with
the networks sized from the data), the callbacks, the logger and the Trainer, then fits.
"""

import os
import time
from collections.abc import Sequence
from pathlib import Path

import hydra
import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from ganlab import cli
from ganlab.errors import UsageError, exit_with
from ganlab.resume import checkpoint_for
from ganlab.run_folder import undo_run_folder
from ganlab.sweep_job import in_sweep, objective, record_failed_job
from ganlab.validation import check_config, check_data_fits, usage_error_of

CONF_DIR = str(Path(__file__).resolve().parent.parent / "conf")


def build_model(cfg: DictConfig, datamodule: L.LightningDataModule) -> L.LightningModule:
    """The procedure with its networks sized from the data module's shape and classes."""
    return instantiate(
        cfg.model,
        image_shape=list(datamodule.image_shape),
        num_classes=datamodule.num_classes,
        class_names=list(datamodule.class_names),
        _recursive_=False,
    )


def train(cfg: DictConfig, extra_callbacks: Sequence[L.Callback] = ()) -> dict[str, float]:
    """Fit the composed run; `extra_callbacks` lets a caller watch it (the benchmark does)."""
    check_config(cfg)
    L.seed_everything(cfg.seed, workers=True)
    # plain lists/dicts: the data module's hyper-parameters go into checkpoints, and
    # Lightning reloads those with torch.load(weights_only=True), which refuses ListConfig
    datamodule = instantiate(cfg.data, _convert_="all")
    datamodule.prepare_data()
    model = build_model(cfg, datamodule)
    datamodule.batch_multiple = model.real_batches_per_step
    check_data_fits(datamodule)
    ckpt_path = checkpoint_for(cfg, model)
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c]
    callbacks += extra_callbacks
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c]
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    return {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train")
def main(cfg: DictConfig) -> float | None:
    """Train; return `optimized_metric` for a sweeper. In a sweep a failing job is recorded
    as failed in its `metrics.json` and the other jobs still run."""
    started = time.monotonic()
    try:
        return objective(train(cfg), cfg.get("optimized_metric"))
    except Exception as error:
        user_error = cli.user_error_of(error) or usage_error_of(error)
        if in_sweep():
            record_failed_job(error, started, with_traceback=user_error is None)
            return None
        if user_error is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        if isinstance(user_error, UsageError):
            undo_run_folder()
        exit_with(user_error)


if __name__ == "__main__":
    cli.run(main)
