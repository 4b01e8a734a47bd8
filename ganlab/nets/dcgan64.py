"""The Radford et al. DCGAN networks as the Generative Deep Learning book builds them for
64×64 LEGO bricks and CelebA faces: 4×4 (transposed) convolutions with stride 2, batch norm,
LeakyReLU 0.2; any power-of-two size ≥ 32 and 1 or 3 channels.
"""

import itertools
import math

import torch
from torch import nn

from ganlab.nets.conditioning import LabelPlanes, LabelVector, check_labels
from ganlab.nets.image_conv import image_conv2d, image_conv_transpose2d
from ganlab.nets.layers import check_image_shape, dropout_layer, norm2d


def _widths(size: int, base: int, cap: int) -> list[int]:
    """Channel widths from the 4×4 map up to size/2: base at size/2, doubling per halving."""
    if size < 32 or 2 ** int(math.log2(size)) != size:
        raise ValueError(
            f"the dcgan64 networks need a power-of-two image size >= 32 (e.g. 64), got {size}; "
            "use model/net=dcgan28 for 28x28 images"
        )
    steps = int(math.log2(size)) - 2
    return [min(base * 2 ** (steps - 1 - i), cap) for i in range(steps)]


class Generator(nn.Module):
    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        base_channels: int = 64,
        max_channels: int = 512,
        negative_slope: float = 0.2,
        cpu_tricks: bool = True,
    ):
        super().__init__()
        channels, size, _ = check_image_shape(image_shape)
        widths = _widths(size, base_channels, max_channels)
        self.num_classes = num_classes
        self.labels = LabelVector(num_classes, label_mode) if num_classes else None
        in_dim = latent_dim + (self.labels.dim if self.labels else 0)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_dim, widths[0], 4, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.LeakyReLU(negative_slope),
        ]
        for w_in, w_out in itertools.pairwise(widths):
            layers += [
                nn.ConvTranspose2d(w_in, w_out, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(w_out),
                nn.LeakyReLU(negative_slope),
            ]
        layers += [
            image_conv_transpose2d(cpu_tricks, widths[-1], channels, 4, stride=2, padding=1),
            nn.Tanh(),
        ]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, self.num_classes)
        if self.labels is not None:
            z = torch.cat([z, self.labels(labels)], dim=1)
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    """Returns one logit (or critic score) per image. `norm='batch'` is the book's DCGAN;
    WGAN-GP critics use 'none', 'layer' or 'instance'."""

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        base_channels: int = 64,
        max_channels: int = 512,
        norm: str = "batch",
        dropout: float = 0.3,
        negative_slope: float = 0.2,
        cpu_tricks: bool = True,
    ):
        super().__init__()
        channels, size, _ = check_image_shape(image_shape)
        widths = list(reversed(_widths(size, base_channels, max_channels)))
        self.num_classes = num_classes
        self.labels = LabelPlanes(num_classes, label_mode) if num_classes else None
        in_channels = channels + (self.labels.channels if self.labels else 0)
        layers: list[nn.Module] = [
            image_conv2d(cpu_tricks, in_channels, widths[0], 4, stride=2, padding=1),
            nn.LeakyReLU(negative_slope),
            dropout_layer(dropout, cpu_tricks),
        ]
        for w_in, w_out in itertools.pairwise(widths):
            layers += [
                nn.Conv2d(w_in, w_out, 4, stride=2, padding=1, bias=norm == "none"),
                norm2d(norm, w_out),
                nn.LeakyReLU(negative_slope),
                dropout_layer(dropout, cpu_tricks),
            ]
        layers += [nn.Conv2d(widths[-1], 1, 4, stride=1, padding=0), nn.Flatten()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, self.num_classes)
        if self.labels is not None:
            x = torch.cat([x, self.labels(labels, x.shape[2], x.shape[3])], dim=1)
        return self.net(x).squeeze(1)
