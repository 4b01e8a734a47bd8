"""The TensorFlow DCGAN tutorial's MNIST networks (tensorflow.org/tutorials/generative/dcgan).

The generator starts from a (size/4)×(size/4)×256 map, so any size divisible by 4 works;
28×28 is the tutorial's. LeakyReLU's slope defaults to Keras' 0.3. The options (init, batch
norm settings, activation, norm, bias) default to ganlab's original networks: PyTorch's
initialisation and batch-norm settings, no biases in the generator and biases everywhere in
the discriminator (the tutorial's `use_bias=False` and Keras' default). `bias` switches every
layer of a network at once, as Keras' `use_bias` does.
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


def _check_size(size: int) -> int:
    if size % 4 != 0 or size < 8:
        raise ValueError(
            f"the dcgan28 networks need an image size divisible by 4 and >= 8 (e.g. 28, 32, "
            f"64), got {size}; the fully connected networks (model/net=mlp) take any size"
        )
    return size // 4


class Generator(nn.Module):
    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        negative_slope: float = 0.3,
        activation: str = "leaky_relu",
        norm: str = "batch",
        bn_momentum: float = 0.1,
        bn_eps: float = 1e-5,
        bias: bool = False,
    ):
        super().__init__()
        channels, size, _ = check_image_shape(image_shape)
        self.start = _check_size(size)
        norms = generator_norms(conditioning, num_classes, Norm(norm, bn_momentum, bn_eps))
        self.num_classes = num_classes
        self.labels = label_input(
            conditioning,
            num_classes,
            lambda: LabelVector(num_classes, label_mode),
            GENERATOR_CONDITIONING,
        )
        in_dim = latent_dim + (self.labels.dim if self.labels else 0)
        features = self.start * self.start * 256
        self.project = LabelledSequential(
            nn.Linear(in_dim, features, bias=bias),
            norms.layer1d(features),
            activation_layer(activation, negative_slope),
        )
        self.upsample = LabelledSequential(
            nn.ConvTranspose2d(256, 128, 5, stride=1, padding=2, bias=bias),
            norms.layer2d(128),
            activation_layer(activation, negative_slope),
            nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=bias),
            norms.layer2d(64),
            activation_layer(activation, negative_slope),
            nn.ConvTranspose2d(64, channels, 5, stride=2, padding=2, output_padding=1, bias=bias),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = with_labels(z, labels, self.labels, self.num_classes)
        x = self.project(z, labels).view(-1, 256, self.start, self.start)
        return self.upsample(x, labels)


class Discriminator(nn.Module):
    """Returns one logit per image (no sigmoid: the losses take logits)."""

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        auxiliary_classifier: bool = False,
        dropout: float = 0.3,
        norm: str = "none",
        negative_slope: float = 0.3,
        bn_momentum: float = 0.1,
        bn_eps: float = 1e-5,
        bias: bool = True,
    ):
        super().__init__()
        channels, size, _ = check_image_shape(image_shape)
        start = _check_size(size)
        norms = Norm(norm, bn_momentum, bn_eps)
        self.num_classes = num_classes
        self.labels = label_input(
            conditioning,
            num_classes,
            lambda: LabelPlanes(num_classes, label_mode),
            DISCRIMINATOR_CONDITIONING,
        )
        in_channels = channels + (self.labels.channels if self.labels else 0)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, 5, stride=2, padding=2, bias=bias),
            nn.LeakyReLU(negative_slope),
            nn.Dropout(dropout),
            nn.Conv2d(64, 128, 5, stride=2, padding=2, bias=bias),
            norms.layer2d(128),
            nn.LeakyReLU(negative_slope),
            nn.Dropout(dropout),
            nn.Flatten(),
        )
        self.classify = nn.Linear(128 * start * start, 1, bias=bias)
        self.projection = projection(conditioning, num_classes, 128 * start * start)
        self.auxiliary_classifier = auxiliary_head(
            auxiliary_classifier, num_classes, 128 * start * start
        )

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, classes: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The logits; with `classes`, also the auxiliary classifier's class logits."""
        features = self.features(with_labels(x, labels, self.labels, self.num_classes))
        logits = self.classify(features).squeeze(1)
        return conditioned_outputs(self, logits, features, labels, classes)
