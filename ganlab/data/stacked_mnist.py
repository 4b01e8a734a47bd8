"""Stacked MNIST (Metz et al. 2017; PacGAN's protocol): three digits drawn independently as the
three channels of a 28x28 image, so the data has 1,000 modes (one per digit triple). A GAN that
covers all of them draws every triple; `ganlab.evaluate metrics=[modes]` counts the modes of
generated images with ganlab's MNIST classifier on each channel.

The stacks are drawn once from the digits of whichever MNIST splits are present, with their own
seeded generator (`stack_seed`), so every run and every evaluation sees the same data set.
"""

import torch

from ganlab.data.base import TensorImages
from ganlab.data.mnist import MNISTDataModule
from ganlab.options import Rule, at_least

CHANNELS = 3


class StackedMNISTDataModule(MNISTDataModule):
    """Unconditional: each image's label is its mode, 100·red + 10·green + blue (0-999), which
    no network sees (`num_classes` is 0)."""

    class_names: list[str] = []
    rules = (*MNISTDataModule.rules, Rule("count", "integer", ">= 1", at_least(1)))

    def __init__(self, *args, count: int = 60_000, stack_seed: int = 0, **kwargs):
        self.check_values({"count": count})
        super().__init__(*args, **kwargs)
        self.count, self.stack_seed = count, stack_seed
        self.image_shape = (CHANNELS, self.image_size, self.image_size)
        self.save_hyperparameters()

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        super().setup(stage)
        digits: TensorImages = self.train_set
        self._train_set = None
        draw = torch.Generator().manual_seed(self.stack_seed)
        chosen = torch.randint(len(digits), (self.count, CHANNELS), generator=draw)
        images = torch.cat([digits.images[chosen[:, c]] for c in range(CHANNELS)], dim=1)
        modes = (digits.labels[chosen] * torch.tensor([100, 10, 1])).sum(1)
        self.train_set = TensorImages(images, modes)
