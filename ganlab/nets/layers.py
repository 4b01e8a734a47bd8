"""Small building blocks shared by the network families."""

from dataclasses import dataclass

import torch
from torch import nn

NORMS = ("none", "batch", "layer", "instance")
ACTIVATIONS = ("relu", "leaky_relu")


@dataclass(frozen=True)
class Norm:
    """A network's normalisation choice: the kind, and batch norm's settings in PyTorch's
    convention (running = (1 - momentum)·running + momentum·batch). Keras' BatchNormalization
    (momentum m, epsilon 1e-3 by default) is momentum 1 - m here: the book's 0.9 is 0.1,
    Keras' default 0.99 is 0.01."""

    kind: str = "batch"
    momentum: float = 0.1
    eps: float = 1e-5

    def __post_init__(self) -> None:
        if self.kind not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.kind!r}")
        if not 0 <= self.momentum <= 1:
            raise ValueError(f"bn_momentum must be in [0, 1] (PyTorch's), got {self.momentum}")
        if not self.eps > 0:
            raise ValueError(f"bn_eps must be > 0, got {self.eps}")

    def layer2d(self, channels: int) -> nn.Module:
        """A 2-D normalisation layer; WGAN-GP critics must not use batch norm (the penalty is
        per sample), so they take 'layer', 'instance' or 'none'."""
        if self.kind == "batch":
            return nn.BatchNorm2d(channels, eps=self.eps, momentum=self.momentum)
        if self.kind == "layer":
            return nn.GroupNorm(1, channels)
        if self.kind == "instance":
            return nn.InstanceNorm2d(channels, affine=True)
        return nn.Identity()

    def layer1d(self, features: int) -> nn.Module:
        """A normalisation layer for fully connected features ('instance' has no meaning on a
        vector, so it is refused)."""
        if self.kind == "batch":
            return nn.BatchNorm1d(features, eps=self.eps, momentum=self.momentum)
        if self.kind == "layer":
            return nn.LayerNorm(features)
        if self.kind == "none":
            return nn.Identity()
        raise ValueError(
            f"norm must be one of ('none', 'batch', 'layer') on fully connected features, "
            f"got {self.kind!r}"
        )


def activation_layer(name: str, negative_slope: float = 0.2) -> nn.Module:
    """The hidden layers' nonlinearity by name: 'relu' (the PyTorch DCGAN tutorial's
    generator) or 'leaky_relu' with its slope (Keras' LeakyReLU() default is 0.3, PyTorch's
    0.01: ganlab always passes the slope)."""
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")


def check_image_shape(image_shape: tuple[int, int, int] | list[int]) -> tuple[int, int, int]:
    """Networks take (channels, height, width); say clearly when that is not what came in."""
    shape = tuple(int(v) for v in image_shape)
    if len(shape) != 3 or shape[0] not in (1, 3) or shape[1] != shape[2]:
        raise ValueError(
            f"image_shape must be (channels, size, size) with 1 or 3 channels, got {shape}"
        )
    return shape


class Dropout(nn.Dropout):
    """`nn.Dropout` that draws its CPU mask four elements per random 64-bit word.

    torch's CPU dropout draws one Mersenne-Twister number per element in a single thread:
    11% of a one-core MNIST DCGAN step at batch 256. 16-bit lanes of 64-bit words make it ~3x
    cheaper (the keep probability is rounded to 1/65536). Other devices
    (CUDA's Philox kernel is already fast), evaluation, p = 0 and p = 1 use `nn.Dropout`.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and 0 < self.p < 1) or x.device.type != "cpu" or self.inplace:
            return super().forward(x)
        return x * keep_mask(x, self.p).to(x.dtype).mul_(1.0 / (1.0 - self.p))


def keep_mask(x: torch.Tensor, p: float) -> torch.Tensor:
    """Boolean mask shaped and laid out like x (contiguous or channels-last), each element
    True with probability 1 - p: one uniform 16-bit lane of a random 64-bit word each."""
    if not (x.is_contiguous() or x.is_contiguous(memory_format=torch.channels_last)):
        x = x.contiguous()
    words = torch.empty((x.numel() + 3) // 4, dtype=torch.int64, device=x.device)
    lanes = words.random_(-(2**63), None).view(torch.int16)[: x.numel()]
    return lanes.as_strided(x.shape, x.stride()) >= round(p * 65536) - 32768
