"""How a class label enters a network, chosen per network by `conditioning`:

- `concat` (the default, the sources'): one-hot vectors (or a learned embedding) beside the
  generator's latent code, one-hot planes beside the discriminator's image (the Generative Deep
  Learning book's CGAN; Mirza & Osindero 2014);
- `none`: the network takes the labels and ignores them (the RDFIA course's question of
  conditioning the generator only);
- `projection` (discriminators): the output gains the inner product of a learned class
  embedding with the features before the last layer (Miyato & Koyama 2018); the embedding
  starts at zero, so the untrained projection adds nothing to the logit;
- `batch_norm` (generators): every batch norm takes a gain and a bias per class (de Vries et
  al. 2017, as SN-GAN and BigGAN condition their generators); gains start at 1 and biases at
  0, so the untrained layers are plain batch norm whatever the class."""

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ganlab.nets.layers import Norm


class LabelVector(nn.Module):
    """Turns integer labels into a vector to concatenate to the latent code."""

    def __init__(self, num_classes: int, mode: str = "onehot", embed_dim: int | None = None):
        super().__init__()
        if mode not in ("onehot", "embedding"):
            raise ValueError(f"label mode must be 'onehot' or 'embedding', got {mode!r}")
        self.num_classes = num_classes
        self.mode = mode
        self.dim = num_classes if mode == "onehot" else (embed_dim or num_classes)
        self.embedding = nn.Embedding(num_classes, self.dim) if mode == "embedding" else None

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        if self.embedding is not None:
            return self.embedding(labels)
        return F.one_hot(labels, self.num_classes).float()


class LabelPlanes(nn.Module):
    """Turns integer labels into constant image planes to concatenate to the image channels."""

    def __init__(self, num_classes: int, mode: str = "onehot", embed_dim: int | None = None):
        super().__init__()
        self.vector = LabelVector(num_classes, mode, embed_dim)
        self.channels = self.vector.dim

    def forward(self, labels: torch.Tensor, height: int, width: int) -> torch.Tensor:
        vec = self.vector(labels)
        return vec[:, :, None, None].expand(-1, -1, height, width)


def check_labels(labels: torch.Tensor | None, num_classes: int) -> None:
    """Conditional networks need labels; unconditional ones must not silently get them."""
    if num_classes > 0 and labels is None:
        raise ValueError("this network is conditional: pass class labels")
    if num_classes == 0 and labels is not None:
        raise ValueError("this network is unconditional: it takes no labels")


def with_labels(
    x: torch.Tensor, labels: torch.Tensor | None, encoder: nn.Module | None, num_classes: int
) -> torch.Tensor:
    """`x` with its labels' encoding concatenated along dim 1: a vector beside a latent code
    or flat features, constant planes beside an image. The one place a network checks and
    takes its labels (`encoder` None: an unconditional network)."""
    check_labels(labels, num_classes)
    if encoder is None:
        return x
    if isinstance(encoder, LabelPlanes):
        return torch.cat([x, encoder(labels, x.shape[2], x.shape[3])], dim=1)
    return torch.cat([x, encoder(labels)], dim=1)


GENERATOR_CONDITIONING = ("concat", "none", "batch_norm")
DISCRIMINATOR_CONDITIONING = ("concat", "none", "projection")


def label_input(
    conditioning: str, num_classes: int, build: Callable[[], nn.Module], modes: tuple[str, ...]
) -> nn.Module | None:
    """The encoder whose output is concatenated to the input: `build()` under `concat`."""
    if conditioning not in modes:
        raise ValueError(f"conditioning must be one of {modes}, got {conditioning!r}")
    return build() if num_classes and conditioning == "concat" else None


class Projection(nn.Module):
    """`logit + <embed(y), features>`, the projection discriminator's class term."""

    def __init__(self, num_classes: int, features: int):
        super().__init__()
        # a plain parameter, not an nn.Embedding: the init transforms leave it at zero
        self.embedding = nn.Parameter(torch.zeros(num_classes, features))

    def forward(
        self, logits: torch.Tensor, features: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return logits + (self.embedding[labels] * features.flatten(1)).sum(1)


def projection(conditioning: str, num_classes: int, features: int) -> Projection | None:
    return (
        Projection(num_classes, features) if num_classes and conditioning == "projection" else None
    )


def auxiliary_head(wanted: bool, num_classes: int, features: int) -> nn.Linear | None:
    """AC-GAN's head (Odena et al. 2017): class logits from the features a projection reads,
    built when the procedure trains one (`model.auxiliary_classifier_weight` > 0). A
    discriminator returns them beside its logits when called with `classes=True`."""
    return nn.Linear(features, num_classes) if wanted and num_classes else None


def conditioned_outputs(
    discriminator: nn.Module,
    logits: torch.Tensor,
    features: torch.Tensor,
    labels: torch.Tensor | None,
    classes: bool,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Every family's tail: the projection's term added to `logits` (when built) and, with
    `classes`, the auxiliary head's class logits on the same `features` beside them."""
    if discriminator.projection is not None:
        logits = discriminator.projection(logits, features, labels)
    return (logits, discriminator.auxiliary_classifier(features.flatten(1))) if classes else logits


class ClassBatchNorm(nn.Module):
    """Batch norm without its own affine, then the gain and bias of each sample's class. Plain
    parameters, not nn.Embedding: the init transforms leave the gains at 1 and biases at 0."""

    def __init__(self, norm: nn.modules.batchnorm._BatchNorm, num_classes: int):
        super().__init__()
        self.norm = norm
        self.gain = nn.Parameter(torch.ones(num_classes, norm.num_features))
        self.bias = nn.Parameter(torch.zeros(num_classes, norm.num_features))

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        shape = (*labels.shape, -1) + (1,) * (x.ndim - 2)
        return self.norm(x) * self.gain[labels].view(shape) + self.bias[labels].view(shape)


@dataclass(frozen=True)
class ClassNorm(Norm):
    """`Norm` whose batch-norm layers are `ClassBatchNorm` over `num_classes` classes."""

    num_classes: int = 1

    def layer2d(self, channels: int) -> nn.Module:
        norm = nn.BatchNorm2d(channels, eps=self.eps, momentum=self.momentum, affine=False)
        return ClassBatchNorm(norm, self.num_classes)

    def layer1d(self, features: int) -> nn.Module:
        norm = nn.BatchNorm1d(features, eps=self.eps, momentum=self.momentum, affine=False)
        return ClassBatchNorm(norm, self.num_classes)


def generator_norms(conditioning: str, num_classes: int, norm: Norm) -> Norm:
    """The generator's normalisation: per-class batch norm under `batch_norm` in a conditional
    network, else `norm` itself."""
    if conditioning != "batch_norm" or not num_classes:
        return norm
    if norm.kind != "batch":
        raise ValueError(
            f"conditioning=batch_norm gives the generator's batch norm a gain and a bias per "
            f"class, but its norm is {norm.kind!r}: set model.net.generator.norm=batch, or "
            f"choose model.net.generator.conditioning=concat"
        )
    return ClassNorm(norm.kind, norm.momentum, norm.eps, num_classes)


class LabelledSequential(nn.Sequential):
    """`nn.Sequential` that also hands the labels to the layers that take them
    (`ClassBatchNorm`); the other layers see the input alone."""

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self:
            x = layer(x, labels) if isinstance(layer, ClassBatchNorm) else layer(x)
        return x
