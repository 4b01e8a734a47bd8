"""Build a composed training run and fit it: the data module, the procedure with its networks
sized from the data, callbacks, loggers and the Trainer. Every config value is checked, and
the data loaded, before anything is written. Process-wide settings are made here, by the
owner of the process, never by a module."""

import ctypes
import functools
import sys
from collections.abc import Sequence

import lightning as L
from hydra.utils import instantiate
from omegaconf import DictConfig
from torch.nn.modules.batchnorm import _BatchNorm

from ganlab.callbacks.interruption import Interruption, deferred_signals
from ganlab.errors import UsageError
from ganlab.run.resume import checkpoint_for
from ganlab.run.rules import check_config


@functools.cache
def keep_freed_memory() -> bool:
    """`cpu_tricks` on a CPU: glibc keeps freed memory (no mmap, no heap trimming), so the
    step's tensors stop faulting in fresh zeroed pages each step (Linux; True when done)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(-4, 0)) and bool(mallopt(-1, 2**31 - 1))  # M_MMAP_MAX, M_TRIM_THRESHOLD


def build_model(cfg: DictConfig, datamodule: L.LightningDataModule) -> L.LightningModule:
    """The procedure with its networks sized from the data module's shape and classes."""
    return instantiate(
        cfg.model,
        image_shape=list(datamodule.image_shape),
        num_classes=datamodule.num_classes,
        class_names=list(datamodule.class_names),
        _recursive_=False,
    )


def check_data_fits(datamodule: L.LightningDataModule, model: L.LightningModule) -> None:
    """Load the data and refuse a batch that cannot train (before Lightning writes the
    logger's files): fewer images than a batch, or one image through batch norm."""
    if datamodule.batch_size == 1 and any(isinstance(m, _BatchNorm) for m in model.modules()):
        raise UsageError(
            "data.batch_size=1 but the networks use batch norm, which needs 2 or more images "
            "per batch in training: raise data.batch_size, or choose networks without batch "
            "norm (model.net.generator.norm=layer, model.net.discriminator.norm=none)"
        )
    datamodule.setup("fit")
    datamodule.check_batch_fits()


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
    if trainer.strategy.root_device.type == "cpu" and cfg.get("cpu_tricks", True):
        keep_freed_memory()
    # Lightning reads the file again: data only there too (checkpoint_for checked its names)
    with deferred_signals():
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    return {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
