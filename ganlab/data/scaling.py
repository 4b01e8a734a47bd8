"""The one pixel convention: uint8 [0, 255] on disk and in sample files, float [-1, 1] (the
range of the generator's tanh) in the networks."""

import torch


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] → float [-1, 1]."""
    return images.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Float [-1, 1] → uint8 [0, 255], rounded and clamped (the inverse of `to_unit_range`)."""
    return images.add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)
