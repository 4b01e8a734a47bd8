"""Train a GAN: `python -m ganlab.train [group=choice ...] [key=value ...]`.

Hydra composes `conf/train.yaml`; this module builds the data module, the procedure (with
the networks sized from the data), the callbacks, the logger and the Trainer, then fits.
"""

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import hydra
import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from ganlab.errors import GanlabError

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
    L.seed_everything(cfg.seed, workers=True)
    datamodule = instantiate(cfg.data)
    datamodule.prepare_data()
    model = build_model(cfg, datamodule)
    datamodule.batch_multiple = model.real_batches_per_step
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c]
    callbacks += extra_callbacks
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c]
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("ckpt_path"))
    return {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}


def user_error_of(error: BaseException) -> GanlabError | None:
    """The GanlabError behind an exception (Hydra's instantiate wraps what constructors raise)."""
    while error is not None:
        if isinstance(error, GanlabError):
            return error
        error = error.__cause__
    return None


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train")
def main(cfg: DictConfig) -> None:
    try:
        train(cfg)
    except Exception as error:
        user_error = user_error_of(error)
        if user_error is None or os.environ.get("HYDRA_FULL_ERROR") == "1":
            raise
        print(f"ganlab: error: {user_error}", file=sys.stderr)
        sys.exit(user_error.exit_code)


if __name__ == "__main__":
    main()
