"""Build a composed training run and fit it: the data module, the procedure with its networks
sized from the data, callbacks, loggers and the Trainer. Every config value is checked, and
the data loaded, before anything is written."""

from collections.abc import Sequence

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig

from ganlab.callbacks.interruption import Interruption
from ganlab.run.process import apply_process_settings
from ganlab.run.resume import checkpoint_for
from ganlab.run.rules import check_config, check_data_fits
from ganlab.run.signals import deferred_signals


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
    check_data_fits(datamodule, model)
    ckpt_path = checkpoint_for(cfg, model, datamodule)
    callbacks = [instantiate(c) for c in (cfg.get("callbacks") or {}).values() if c]
    callbacks += extra_callbacks
    # SIGTERM/SIGINT: last.ckpt, an interrupted record and exit 128 + signal, between steps
    callbacks.append(Interruption(cfg.paths.output_dir))
    loggers = [instantiate(c) for c in (cfg.get("logger") or {}).values() if c]
    trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    apply_process_settings(trainer.strategy.root_device, cfg.get("cpu_tricks", True))
    # Lightning reads the file again: data only there too (checkpoint_for checked its names)
    with deferred_signals():
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    return {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
