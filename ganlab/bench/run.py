"""One benchmark row: ganlab composed from the row's Hydra presets and trained by
`ganlab.train.train`, with the interleaved timer timing it against the row's contenders."""

import tempfile
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from ganlab.bench.keras_dcgan import KerasDCGAN, keras_available
from ganlab.bench.plain import Timed
from ganlab.bench.report import RowResult
from ganlab.bench.rows import Row
from ganlab.bench.timing import Contender, InterleavedTimer
from ganlab.data.base import TensorImages
from ganlab.data.mnist import MNISTDataModule
from ganlab.models.gan import GAN
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import train


def mnist_splits(root: str) -> list[str]:
    """The splits present under root (both when none is: the data module then downloads)."""
    present = [
        split
        for split in ("train", "test")
        if not MNISTDataModule(root=root, splits=[split]).missing_files()
    ]
    return present or ["train", "test"]


def compose_row(
    row: Row,
    device: str,
    batch: int,
    max_steps: int,
    data_root: str,
    output_dir: Path,
    extra: list[str],
) -> DictConfig:
    splits = ",".join(mnist_splits(data_root))
    overrides = [
        f"model={row.preset}",
        "data=mnist",
        f"data.root={data_root}",
        f"data.splits=[{splits}]",
        f"data.batch_size={batch}",
        *row.overrides,
        f"trainer.max_steps={max_steps}",
        "trainer.max_epochs=-1",
        f"paths.output_dir={output_dir}",
        "seed=0",
    ]
    if device == "cuda":
        overrides.append("trainer=gpu")
    else:
        overrides.append("trainer.accelerator=cpu")
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=overrides + extra)


def contenders_for(row: Row, device: str, with_keras: bool, threads: int | None):
    def make(module: GAN, dataset: TensorImages, batch_size: int) -> list[Contender]:
        contenders: list[Contender] = [
            Timed(module, dataset.images, dataset.labels, batch_size, device)
        ]
        if row.keras and with_keras and device == "cpu" and keras_available():
            hparams = dict(module.hparams)
            images = dataset.images.numpy()
            contenders.append(KerasDCGAN(hparams, images, batch_size, threads))
        return contenders

    return make


def run_row(
    row: Row,
    device: str,
    batch: int,
    warmup: int,
    steps: int,
    block: int,
    data_root: str,
    extra: list[str],
    with_keras: bool,
    threads: int | None = None,
) -> tuple[RowResult, str]:
    """The row's timings, and what its memory column measures."""
    if not row.available:
        return RowResult(row.title, batch, skipped="skipped (preset not available)"), ""
    contenders = contenders_for(row, device, with_keras, threads)
    timer = InterleavedTimer(contenders, warmup, steps, block)
    with tempfile.TemporaryDirectory(prefix=f"ganlab-bench-{row.key}-") as tmp:
        cfg = compose_row(row, device, batch, timer.max_steps, data_root, Path(tmp), extra)
        train(cfg, extra_callbacks=[timer])
    if device == "cuda":
        torch.cuda.empty_cache()
    return RowResult(row.title, batch, timings=timer.results), timer.memory_what
