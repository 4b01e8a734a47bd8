"""The fully connected conditional GAN pair of Mirza & Osindero (2014, arXiv:1411.1784).

The generator maps concat(z, label) through Linear layers to C·H·W values with tanh; the
discriminator maps concat(flattened image, label) through Linear layers to one logit. The
label is a one-hot vector (the paper) or a learned embedding, either concatenated as it is
(`label_features=0`) or first mapped by its own Linear + LeakyReLU layer to `label_features`
values, as the paper's networks do (y → 1000 units in its generator, → 50 in its
discriminator). That layer matters in practice: concatenated directly, a 10-value one-hot
vector is a small signal beside 100 noise values or 784 pixels at initialisation, and the
pair learns to use it far more slowly. With num_classes=0 both networks are the plain
unconditional MLP GAN. Any (C, H, W) works: the size only sets the width of the image layer.
The options (init, batch-norm settings, the generator's activation) default to PyTorch's.
"""

from collections.abc import Sequence

import torch
from torch import nn

from ganlab.nets.conditioning import (
    DISCRIMINATOR_CONDITIONING,
    GENERATOR_CONDITIONING,
    LabelledSequential,
    LabelVector,
    auxiliary_head,
    conditioned_outputs,
    generator_norms,
    label_input,
    projection,
    with_labels,
)
from ganlab.nets.layers import Norm, activation_layer, check_image_shape


def hidden_layers(
    in_features: int,
    widths: Sequence[int],
    norm: Norm,
    dropout: float,
    activation: str,
    negative_slope: float,
) -> LabelledSequential:
    """Linear → norm → activation (→ dropout) per width; bias off where batch norm follows."""
    widths = [int(w) for w in widths]
    if not widths or min(widths) < 1:
        raise ValueError(f"the MLP hidden widths must be a non-empty list of sizes >= 1: {widths}")
    if not 0 <= dropout < 1:
        raise ValueError(f"the MLP dropout must be in [0, 1), got {dropout}")
    layers: list[nn.Module] = []
    for width in widths:
        layers += [
            nn.Linear(in_features, width, bias=norm.kind != "batch"),
            norm.layer1d(width),
            activation_layer(activation, negative_slope),
        ]
        if dropout:
            layers.append(nn.Dropout(dropout))
        in_features = width
    return LabelledSequential(*layers)


class LabelInput(nn.Module):
    """The label as the MLPs take it: the label vector, optionally through its own layer."""

    def __init__(self, num_classes: int, mode: str, features: int, negative_slope: float):
        super().__init__()
        if features < 0:
            raise ValueError(f"label_features must be >= 0, got {features}")
        self.vector = LabelVector(num_classes, mode)
        self.project = (
            nn.Sequential(nn.Linear(self.vector.dim, features), nn.LeakyReLU(negative_slope))
            if features
            else nn.Identity()
        )
        self.dim = features or self.vector.dim

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.project(self.vector(labels))


class Generator(nn.Module):
    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        label_features: int = 0,
        hidden: Sequence[int] = (256, 512, 1024),
        norm: str = "batch",
        dropout: float = 0.0,
        negative_slope: float = 0.2,
        activation: str = "leaky_relu",
        bn_momentum: float = 0.1,
        bn_eps: float = 1e-5,
    ):
        super().__init__()
        self.image_shape = check_image_shape(image_shape)
        self.num_classes = num_classes
        self.labels = label_input(
            conditioning,
            num_classes,
            lambda: LabelInput(num_classes, label_mode, label_features, negative_slope),
            GENERATOR_CONDITIONING,
        )
        in_features = latent_dim + (self.labels.dim if self.labels else 0)
        norms = generator_norms(conditioning, num_classes, Norm(norm, bn_momentum, bn_eps))
        self.body = hidden_layers(in_features, hidden, norms, dropout, activation, negative_slope)
        pixels = self.image_shape[0] * self.image_shape[1] * self.image_shape[2]
        self.image = nn.Sequential(nn.Linear(int(hidden[-1]), pixels), nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        z = with_labels(z, labels, self.labels, self.num_classes)
        return self.image(self.body(z, labels)).view(-1, *self.image_shape)


class Discriminator(nn.Module):
    """Returns one logit (or critic score) per image; no sigmoid, the losses take logits."""

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        conditioning: str = "concat",
        auxiliary_classifier: bool = False,
        label_features: int = 0,
        hidden: Sequence[int] = (1024, 512, 256),
        norm: str = "none",
        dropout: float = 0.3,
        negative_slope: float = 0.2,
        bn_momentum: float = 0.1,
        bn_eps: float = 1e-5,
    ):
        super().__init__()
        channels, height, width = check_image_shape(image_shape)
        self.num_classes = num_classes
        self.labels = label_input(
            conditioning,
            num_classes,
            lambda: LabelInput(num_classes, label_mode, label_features, negative_slope),
            DISCRIMINATOR_CONDITIONING,
        )
        in_features = channels * height * width + (self.labels.dim if self.labels else 0)
        norms = Norm(norm, bn_momentum, bn_eps)
        self.body = hidden_layers(in_features, hidden, norms, dropout, "leaky_relu", negative_slope)
        self.classify = nn.Linear(int(hidden[-1]), 1)
        self.projection = projection(conditioning, num_classes, int(hidden[-1]))
        self.auxiliary_classifier = auxiliary_head(
            auxiliary_classifier, num_classes, int(hidden[-1])
        )

    def forward(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, classes: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The logits; with `classes`, also the auxiliary classifier's class logits."""
        features = self.body(with_labels(x.flatten(1), labels, self.labels, self.num_classes))
        logits = self.classify(features).squeeze(1)
        return conditioned_outputs(self, logits, features, labels, classes)
