"""Train a GAN: `python -m ganlab.train [group=choice ...] [key=value ...]`.

Hydra composes `conf/train.yaml`; this module builds the data module, the procedure (with
the networks sized from the data), the callbacks, the logger and the Trainer, then fits.
"""

import time
from collections.abc import Sequence

import hydra
import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from ganlab.errors import UsageError, user_error_of
from ganlab.run import cli
from ganlab.run.config import CONF_DIR
from ganlab.run.folder import undo_run_folder
from ganlab.run.process import apply_process_settings
from ganlab.run.resume import checkpoint_for
from ganlab.run.rules import check_config, check_data_fits, usage_error_of
from ganlab.run.sweep_job import in_sweep, objective, record_failed_job


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
    apply_process_settings(trainer.strategy.root_device, cfg.get("cpu_tricks"))
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
        user_error = user_error_of(error) or usage_error_of(error)
        if in_sweep():
            record_failed_job(error, started, with_traceback=user_error is None)
            return None
        if user_error is None or cli.full_error_wanted():
            raise
        if isinstance(user_error, UsageError):
            undo_run_folder()
        cli.exit_with(user_error)


def entry() -> None:
    """Console script `ganlab-train`."""
    cli.run(main)


if __name__ == "__main__":
    entry()
