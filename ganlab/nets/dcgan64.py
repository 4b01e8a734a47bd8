"""The Radford et al. DCGAN networks as the Generative Deep Learning book builds them for
64×64 LEGO bricks and CelebA faces: 4×4 (transposed) convolutions with stride 2, batch norm,
LeakyReLU 0.2; 1 or 3 channels.

Sizes: the generator grows a base map of 3 to 7 pixels by stride-2 steps, the discriminator
shrinks the image back to it, and the base map's own size is the kernel of the generator's
first and the discriminator's last layer (4×4 for powers of two, as the book; 7×7 for 28×28
MNIST). Any size base·2^k with k >= 2 works: 12, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, ….

Options (init, batch-norm settings, activation, norm, bias) default to ganlab's original
networks. `bias: true` gives a bias to every layer no normalisation follows (a bias before a
normalisation is redundant, so it is never kept); `bias: false` leaves every bias out, as the
book does. `upsampling: resize_conv` swaps every stride-2 transposed convolution of the
generator for nearest-neighbour upsampling and a stride-1 convolution (the book's alternative,
its Example 4-6).
"""

import itertools
import math

import torch
from torch import nn

from ganlab.nets.conditioning import (
    DISCRIMINATOR_CONDITIONING,
    GENERATOR_CONDITIONING,
    LabelledSequential,
    LabelPlanes,
    LabelVector,
    auxiliary_head,
    conditioned_outputs,
    generator_norms,
    label_input,
    projection,
    with_labels,
)
from ganlab.nets.layers import Norm, activation_layer, check_image_shape

UPSAMPLINGS = ("transpose", "resize_conv")
BASE_MAPS = range(3, 8)
"""The base map sizes the stride-2 stack may start from (or end at)."""
MIN_STEPS = 2


def base_map(size: int) -> tuple[int, int]:
    """(base, k) with size = base·2^k, k >= 2 and the smallest base in 3..7 (the most
    stride-2 steps): 4 for powers of two, 7 for 28, 3 for 48 or 96."""
    for base in BASE_MAPS:
        steps = round(math.log2(size / base)) if size >= base else 0
        if steps >= MIN_STEPS and base * 2**steps == size:
            return base, steps
    raise ValueError(
        f"the dcgan64 networks need an image size base·2^k with base 3 to 7 and k >= 2 "
        f"(e.g. 16, 28, 32, 48, 64, 128), got {size}; model/net=dcgan28 takes any multiple "
        f"of 4 >= 8, model/net=mlp any size"
    )


def _doubling(w_in: int, w_out: int, bias: bool, upsampling: str) -> list[nn.Module]:
    """The generator's layers that double the map's size: a 4×4 stride-2 transposed
    convolution, or (the book's Example 4-6) nearest-neighbour upsampling by 2 then a 4×4
    stride-1 convolution padded as Keras' 'same' (1 pixel before, 2 after), with the same
    number of parameters."""
    if upsampling == "transpose":
        return [nn.ConvTranspose2d(w_in, w_out, 4, stride=2, padding=1, bias=bias)]
    return [
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.ZeroPad2d((1, 2, 1, 2)),
        nn.Conv2d(w_in, w_out, 4, stride=1, padding=0, bias=bias),
    ]


def _widths(steps: int, base: int, cap: int) -> list[int]:
    """Channel widths from the base map up to size/2: base at size/2, doubling per halving."""
    return [min(base * 2 ** (steps - 1 - i), cap) for i in range(steps)]


class Generator(nn.Module):
    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        base_channels: int = 64,
        max_channels: int = 512,
        negative_slope: float = 0.2,
        activation: str = "leaky_relu",
        norm: str = "batch",
        bn_momentum: float = 0.1,
        bn_eps: float = 1e-5,
        bias: bool = True,
        upsampling: str = "transpose",
    ):
        super().__init__()
        if upsampling not in UPSAMPLINGS:
            raise ValueError(f"upsampling must be one of {UPSAMPLINGS}, got {upsampling!r}")
        channels, size, _ = check_image_shape(image_shape)
        start, steps = base_map(size)
        widths = _widths(steps, base_channels, max_channels)
        norms = generator_norms(conditioning, num_classes, Norm(norm, bn_momentum, bn_eps))
        hidden_bias = bias and norm == "none"
        self.num_classes = num_classes
        self.labels = label_input(
            conditioning,
            num_classes,
            lambda: LabelVector(num_classes, label_mode),
            GENERATOR_CONDITIONING,
        )
        in_dim = latent_dim + (self.labels.dim if self.labels else 0)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_dim, widths[0], start, stride=1, padding=0, bias=hidden_bias),
            norms.layer2d(widths[0]),
            activation_layer(activation, negative_slope),
        ]
        for w_in, w_out in itertools.pairwise(widths):
            layers += [
                *_doubling(w_in, w_out, hidden_bias, upsampling),
                norms.layer2d(w_out),
                activation_layer(activation, negative_slope),
            ]
        layers += [*_doubling(widths[-1], channels, bias, upsampling), nn.Tanh()]
        self.net = LabelledSequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = with_labels(z, labels, self.labels, self.num_classes)
        return self.net(z[:, :, None, None], labels)


class Discriminator(nn.Module):
    """Returns one logit (or critic score) per image. `norm='batch'` is the book's DCGAN;
    WGAN-GP critics use 'none', 'layer' or 'instance'."""

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        auxiliary_classifier: bool = False,
        base_channels: int = 64,
        max_channels: int = 512,
        norm: str = "batch",
        dropout: float = 0.3,
        negative_slope: float = 0.2,
        bn_momentum: float = 0.1,
        bn_eps: float = 1e-5,
        bias: bool = True,
    ):
        super().__init__()
        channels, size, _ = check_image_shape(image_shape)
        end, steps = base_map(size)
        widths = list(reversed(_widths(steps, base_channels, max_channels)))
        norms = Norm(norm, bn_momentum, bn_eps)
        self.num_classes = num_classes
        self.labels = label_input(
            conditioning,
            num_classes,
            lambda: LabelPlanes(num_classes, label_mode),
            DISCRIMINATOR_CONDITIONING,
        )
        in_channels = channels + (self.labels.channels if self.labels else 0)
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, widths[0], 4, stride=2, padding=1, bias=bias),
            nn.LeakyReLU(negative_slope),
            nn.Dropout(dropout),
        ]
        for w_in, w_out in itertools.pairwise(widths):
            layers += [
                nn.Conv2d(w_in, w_out, 4, stride=2, padding=1, bias=bias and norm == "none"),
                norms.layer2d(w_out),
                nn.LeakyReLU(negative_slope),
                nn.Dropout(dropout),
            ]
        layers += [nn.Conv2d(widths[-1], 1, end, stride=1, padding=0, bias=bias), nn.Flatten()]
        self.net = nn.Sequential(*layers)
        features = widths[-1] * end * end
        self.projection = projection(conditioning, num_classes, features)
        self.auxiliary_classifier = auxiliary_head(auxiliary_classifier, num_classes, features)

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, classes: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The logits; with `classes`, also the auxiliary classifier's class logits."""
        x = with_labels(x, labels, self.labels, self.num_classes)
        if self.projection is None and not classes:
            return self.net(x).squeeze(1)
        features = self.net[:-2](x)  # before the last convolution
        logits = self.net[-2:](features).squeeze(1)
        return conditioned_outputs(self, logits, features, labels, classes)
