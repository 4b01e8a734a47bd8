"""The fully connected conditional GAN pair of Mirza & Osindero (2014, arXiv:1411.1784).

The generator maps concat(z, label vector) through Linear layers to C·H·W values with tanh;
the discriminator maps concat(flattened image, label vector) through Linear layers to one
logit. The label vector is one-hot (the paper) or a learned embedding; with num_classes=0 both
networks are the plain unconditional MLP GAN. Any (C, H, W) works: the size only sets the
width of the image layer.
"""

from collections.abc import Sequence

import torch
from torch import nn

from ganlab.nets.conditioning import LabelVector, check_labels
from ganlab.nets.layers import check_image_shape, norm1d


def hidden_layers(
    in_features: int, widths: Sequence[int], norm: str, dropout: float, negative_slope: float
) -> nn.Sequential:
    """Linear → norm → LeakyReLU (→ dropout) per width; bias off where batch norm follows."""
    widths = [int(w) for w in widths]
    if not widths or min(widths) < 1:
        raise ValueError(f"the MLP hidden widths must be a non-empty list of sizes >= 1: {widths}")
    if not 0 <= dropout < 1:
        raise ValueError(f"the MLP dropout must be in [0, 1), got {dropout}")
    layers: list[nn.Module] = []
    for width in widths:
        layers += [
            nn.Linear(in_features, width, bias=norm != "batch"),
            norm1d(norm, width),
            nn.LeakyReLU(negative_slope),
        ]
        if dropout:
            layers.append(nn.Dropout(dropout))
        in_features = width
    return nn.Sequential(*layers)


class Generator(nn.Module):
    def __init__(
        self,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        hidden: Sequence[int] = (256, 512, 1024),
        norm: str = "batch",
        dropout: float = 0.0,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        self.image_shape = check_image_shape(image_shape)
        self.num_classes = num_classes
        self.labels = LabelVector(num_classes, label_mode) if num_classes else None
        in_features = latent_dim + (self.labels.dim if self.labels else 0)
        self.body = hidden_layers(in_features, hidden, norm, dropout, negative_slope)
        pixels = self.image_shape[0] * self.image_shape[1] * self.image_shape[2]
        self.image = nn.Sequential(nn.Linear(int(hidden[-1]), pixels), nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, self.num_classes)
        if self.labels is not None:
            z = torch.cat([z, self.labels(labels)], dim=1)
        return self.image(self.body(z)).view(-1, *self.image_shape)


class Discriminator(nn.Module):
    """Returns one logit (or critic score) per image; no sigmoid, the losses take logits."""

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int = 0,
        label_mode: str = "onehot",
        hidden: Sequence[int] = (1024, 512, 256),
        norm: str = "none",
        dropout: float = 0.3,
        negative_slope: float = 0.2,
    ):
        super().__init__()
        channels, height, width = check_image_shape(image_shape)
        self.num_classes = num_classes
        self.labels = LabelVector(num_classes, label_mode) if num_classes else None
        in_features = channels * height * width + (self.labels.dim if self.labels else 0)
        self.body = hidden_layers(in_features, hidden, norm, dropout, negative_slope)
        self.classify = nn.Linear(int(hidden[-1]), 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_labels(labels, self.num_classes)
        x = x.flatten(1)
        if self.labels is not None:
            x = torch.cat([x, self.labels(labels)], dim=1)
        return self.classify(self.body(x)).squeeze(1)
