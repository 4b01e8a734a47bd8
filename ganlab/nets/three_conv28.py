"""The three-convolution 28×28 MNIST DCGAN: discriminator 32→64→128, generator 128→64→1.

The layer list of the report that trains it (discriminator 28×28×1 → 14×14×32 → 7×7×64 →
128 channels, batch norm on the 2nd and 3rd convolutions, LeakyReLU, flatten, one dense
output; generator dense 7·7·256 → 14×14×128 (stride 2) → 14×14×64 (stride 1) → 28×28×1
(stride 2), batch norm and LeakyReLU between, tanh) is the widespread Keras network of Langr &
Bok's *GANs in Action* (chapter 4). The report gives no kernel sizes; that code's 3×3 kernels
with 'same' padding are used here, so the last discriminator map is 4×4×128 (that code's
comment, and the report, say 3×3×128). The generator's dense layer feeds the first transposed
convolution directly (no normalisation or activation between, as that code).

Sizes: any multiple of 4 from 8 (the generator grows a size/4 map twice). Options as the other
families; `bias` switches every layer's bias at once, as Keras' `use_bias` (Keras' default:
all on). The defaults are the Keras code's: Glorot-uniform kernels, Keras' batch norm
(momentum 0.99 → 0.01 here, epsilon 1e-3), LeakyReLU 0.01, biases everywhere, no dropout.
"""

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

KERNEL = 3
BASE_FEATURES = 256
"""Channels of the generator's size/4 map (7·7·256 on MNIST)."""


def _base_size(size: int) -> int:
    if size % 4 != 0 or size < 8:
        raise ValueError(
            f"the three_conv28 networks need an image size divisible by 4 and >= 8 (e.g. 28, "
            f"32), got {size}; the fully connected networks (model/net=mlp) take any size"
        )
    return size // 4


def _halved(size: int, times: int) -> int:
    """The map size after `times` stride-2 'same' convolutions: ceil(size / 2) each."""
    for _ in range(times):
        size = (size + 1) // 2
    return size


class Generator(nn.Module):
    default_init = "glorot"
    """The Keras code's initialisation (what `ganlab.nets.build` applies when `init` is unset)."""

    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        activation: str = "leaky_relu",
        negative_slope: float = 0.01,
        norm: str = "batch",
        bn_momentum: float = 0.01,
        bn_eps: float = 1e-3,
        bias: bool = True,
    ):
        super().__init__()
        channels, size, _ = check_image_shape(image_shape)
        self.start = _base_size(size)
        norms = generator_norms(conditioning, num_classes, Norm(norm, bn_momentum, bn_eps))
        self.num_classes = num_classes
        self.labels = label_input(
            conditioning,
            num_classes,
            lambda: LabelVector(num_classes, label_mode),
            GENERATOR_CONDITIONING,
        )
        in_dim = latent_dim + (self.labels.dim if self.labels else 0)
        self.project = nn.Linear(in_dim, self.start * self.start * BASE_FEATURES, bias=bias)
        self.upsample = LabelledSequential(
            nn.ConvTranspose2d(
                BASE_FEATURES, 128, KERNEL, stride=2, padding=1, output_padding=1, bias=bias
            ),
            norms.layer2d(128),
            activation_layer(activation, negative_slope),
            nn.ConvTranspose2d(128, 64, KERNEL, stride=1, padding=1, bias=bias),
            norms.layer2d(64),
            activation_layer(activation, negative_slope),
            nn.ConvTranspose2d(
                64, channels, KERNEL, stride=2, padding=1, output_padding=1, bias=bias
            ),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = with_labels(z, labels, self.labels, self.num_classes)
        x = self.project(z).view(-1, BASE_FEATURES, self.start, self.start)
        return self.upsample(x, labels)


class Discriminator(nn.Module):
    """Returns one logit per image (no sigmoid: the losses take logits)."""

    default_init = "glorot"

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        auxiliary_classifier: bool = False,
        negative_slope: float = 0.01,
        norm: str = "batch",
        dropout: float = 0.0,
        bn_momentum: float = 0.01,
        bn_eps: float = 1e-3,
        bias: bool = True,
    ):
        super().__init__()
        channels, size, _ = check_image_shape(image_shape)
        _base_size(size)
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
            nn.Conv2d(in_channels, 32, KERNEL, stride=2, padding=1, bias=bias),
            nn.LeakyReLU(negative_slope),
            nn.Dropout(dropout),
        ]
        for w_in, w_out in ((32, 64), (64, 128)):
            layers += [
                nn.Conv2d(w_in, w_out, KERNEL, stride=2, padding=1, bias=bias),
                norms.layer2d(w_out),
                nn.LeakyReLU(negative_slope),
                nn.Dropout(dropout),
            ]
        end = _halved(size, 3)
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.classify = nn.Linear(128 * end * end, 1, bias=bias)
        self.projection = projection(conditioning, num_classes, 128 * end * end)
        self.auxiliary_classifier = auxiliary_head(
            auxiliary_classifier, num_classes, 128 * end * end
        )

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, classes: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The logits; with `classes`, also the auxiliary classifier's class logits."""
        features = self.features(with_labels(x, labels, self.labels, self.num_classes))
        logits = self.classify(features).squeeze(1)
        return conditioned_outputs(self, logits, features, labels, classes)
