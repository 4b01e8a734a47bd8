"""Train ganlab's MNIST classifier: `python -m ganlab.metrics.train_classifier`.

The last `held_out` images of the loaded splits are kept out of training and give the
accuracy recorded beside the weights (measured after the fp16 round trip, so it is the
accuracy of the file that ships). Random per-image affine jitter stands in for the data an
8,000-image training set lacks.
"""

import math
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import hydra
import torch
import torch.nn.functional as F
from omegaconf import DictConfig

from ganlab.data.mnist import MNISTDataModule
from ganlab.errors import UsageError
from ganlab.metrics.mnist_classifier import (
    WEIGHTS,
    MnistClassifier,
    as_classifier_input,
    load_classifier,
    save_classifier,
)
from ganlab.run.cli import run_reporting_errors
from ganlab.run.config import CONF_DIR


def jitter(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Per-image random rotation (±12°), scale (0.9 to 1.1) and shift (±2 px)."""
    n = x.shape[0]
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(12)
    scale = 0.9 + torch.rand(n, generator=generator) * 0.2
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * (2 / 14)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="border", align_corners=False)


@torch.no_grad()
def accuracy(model: MnistClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    predicted = torch.cat(
        [model(as_classifier_input(batch)).argmax(1) for batch in images.split(1000)]
    )
    return (predicted == labels).float().mean().item()


def load_mnist(root: str, splits: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    datamodule = MNISTDataModule(root=root, splits=splits, download=False)
    datamodule.setup()
    return datamodule.train_set.images, datamodule.train_set.labels


def fit(images: torch.Tensor, labels: torch.Tensor, cfg: DictConfig) -> MnistClassifier:
    generator = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    model = MnistClassifier()
    steps_per_epoch = len(images) // cfg.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch
    )
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(images), generator=generator)
        total = 0.0
        for step in range(steps_per_epoch):
            index = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            x = jitter(as_classifier_input(images[index]), generator)
            loss = F.cross_entropy(model(x), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        print(f"epoch {epoch + 1}/{cfg.epochs}: loss {total / steps_per_epoch:.4f}")
    return model


def train_classifier(cfg: DictConfig) -> dict[str, Any]:
    splits = list(cfg.data.splits)
    images, labels = load_mnist(cfg.data.root, splits)
    held_out = int(cfg.held_out)
    if not 0 < held_out < len(images) - cfg.batch_size:
        raise UsageError(
            f"held_out must leave at least one batch to train on: 0 < held_out < "
            f"{len(images) - cfg.batch_size} for these {len(images)} images, got {held_out}"
        )
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise UsageError("epochs and batch_size must be >= 1")
    out = Path(cfg.out) if cfg.out else WEIGHTS
    started = time.perf_counter()
    model = fit(images[:-held_out], labels[:-held_out], cfg)
    trained = len(images) - held_out
    info = {
        "data": f"MNIST splits {splits} from {cfg.data.root}",
        "trained_on": f"images 0-{trained - 1} of those splits ({trained} images)",
        "held_out": f"images {trained}-{len(images) - 1} ({held_out} images, never trained on)",
        "epochs": int(cfg.epochs),
        "seconds": round(time.perf_counter() - started, 1),
        "command": "python -m ganlab.metrics.train_classifier " + shlex.join(sys.argv[1:]),
        "torch": str(torch.__version__),
    }
    save_classifier(model, out, info)
    shipped, _ = load_classifier(out)
    info["held_out_accuracy"] = round(accuracy(shipped, images[-held_out:], labels[-held_out:]), 4)
    save_classifier(shipped, out, info)
    print(f"held-out accuracy {info['held_out_accuracy']:.4f} on {held_out} images; wrote {out}")
    return info


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="train_classifier")
def main(cfg: DictConfig) -> None:
    run_reporting_errors(train_classifier, cfg)


if __name__ == "__main__":
    main()
