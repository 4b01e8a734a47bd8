"""Small building blocks shared by the network families."""

from torch import nn

NORMS = ("none", "batch", "layer", "instance")


def norm2d(kind: str, channels: int) -> nn.Module:
    """A 2-D normalisation layer by name; WGAN-GP critics must not use batch norm (the
    penalty is per sample), so they take 'layer', 'instance' or 'none'."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def norm1d(kind: str, features: int) -> nn.Module:
    """A normalisation layer for fully connected features by name ('instance' has no meaning
    on a vector, so it is refused)."""
    if kind == "batch":
        return nn.BatchNorm1d(features)
    if kind == "layer":
        return nn.LayerNorm(features)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of ('none', 'batch', 'layer'), got {kind!r}")


def check_image_shape(image_shape: tuple[int, int, int] | list[int]) -> tuple[int, int, int]:
    """Networks take (channels, height, width); say clearly when that is not what came in."""
    shape = tuple(int(v) for v in image_shape)
    if len(shape) != 3 or shape[0] not in (1, 3) or shape[1] != shape[2]:
        raise ValueError(
            f"image_shape must be (channels, size, size) with 1 or 3 channels, got {shape}"
        )
    return shape
