"""Differentiable augmentation of what the discriminator sees (DiffAugment, Zhao et al. 2020,
"Differentiable Augmentation for Data-Efficient GAN Training").

With little data the discriminator memorises the real images and the generator's signal
collapses. Augmenting only the real images would teach the generator the augmentations; so
every image the discriminator sees, real or generated, in its own update and in the
generator's, goes through the same random transformations T, and T is differentiable so
the generator's gradient flows back through it. Each image draws its own transformation.

Policies, applied in the order the setting lists them (the paper's: color, translation,
cutout), each to every image of the batch, on images in [-1, 1]:
- `color`: brightness (add U(-0.5, 0.5)), saturation (scale the distance to the image's
  per-pixel channel mean by U(0, 2)), contrast (scale the distance to the image's mean by
  U(0.5, 1.5)), one draw per image for each;
- `translation`: shift by a whole number of pixels up to 1/8 of the size along each axis,
  filling the uncovered border with 0;
- `cutout`: set a square of half the size, centred at a uniformly drawn pixel (clipped at the
  border), to 0.
The fill value 0 is the middle of the [-1, 1] range, as in the paper's own code.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def brightness(images: torch.Tensor) -> torch.Tensor:
    shift = torch.rand(images.shape[0], 1, 1, 1, device=images.device, dtype=images.dtype)
    return images + (shift - 0.5)


def saturation(images: torch.Tensor) -> torch.Tensor:
    scale = torch.rand(images.shape[0], 1, 1, 1, device=images.device, dtype=images.dtype)
    grey = images.mean(dim=1, keepdim=True)
    return (images - grey) * (2 * scale) + grey


def contrast(images: torch.Tensor) -> torch.Tensor:
    scale = torch.rand(images.shape[0], 1, 1, 1, device=images.device, dtype=images.dtype)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return (images - mean) * (scale + 0.5) + mean


def color(images: torch.Tensor) -> torch.Tensor:
    return contrast(saturation(brightness(images)))


def translation(images: torch.Tensor, ratio: float = TRANSLATION_RATIO) -> torch.Tensor:
    """Each image shifted by its own (dy, dx), |d| <= ratio·size; pixels shifted in from
    outside are 0. A gather of the input's pixels, so the gradient reaches each one moved."""
    count, channels, height, width = images.shape
    rows = _shifted(count, height, ratio, images.device).view(count, height, 1)
    cols = _shifted(count, width, ratio, images.device).view(count, 1, width)
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    source = rows.clamp(0, height - 1) * width + cols.clamp(0, width - 1)
    index = source.view(count, 1, height * width).expand(-1, channels, -1)
    moved = images.reshape(count, channels, height * width).gather(2, index)
    return moved.view(count, channels, height, width) * inside.unsqueeze(1).to(images.dtype)


def _shifted(count: int, size: int, ratio: float, device: torch.device) -> torch.Tensor:
    """(count, size) source coordinates: position minus each image's random shift."""
    limit = int(size * ratio + 0.5)
    shift = torch.randint(-limit, limit + 1, (count, 1), device=device)
    return torch.arange(size, device=device) - shift


def cutout(images: torch.Tensor, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    """Each image with a (ratio·size)² square of zeros at its own random centre."""
    count, _, height, width = images.shape
    kept = _outside_square(count, height, ratio, images.device).view(count, 1, height, 1)
    kept_cols = _outside_square(count, width, ratio, images.device).view(count, 1, 1, width)
    return images * (kept | kept_cols).to(images.dtype)


def _outside_square(count: int, size: int, ratio: float, device: torch.device) -> torch.Tensor:
    """(count, size) True where a coordinate is outside each image's cut interval."""
    length = int(size * ratio + 0.5)
    start = torch.randint(0, size, (count, 1), device=device) - length // 2
    position = torch.arange(size, device=device)
    return (position < start) | (position >= start + length)


POLICIES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "color": color,
    "translation": translation,
    "cutout": cutout,
}


def policy_names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The policies a config value names, in the order given: a comma-separated string
    (`"translation,cutout"`), a list (`[translation, cutout]`, what Hydra makes of the
    override `model.augment=[translation,cutout]`), or null / empty for none. A ValueError
    names any unknown policy."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(part, str) for part in parts):
        raise ValueError(f"augmentation policies are names, got {value!r}")
    names = tuple(part.strip() for part in parts if part.strip())
    unknown = [name for name in names if name not in POLICIES]
    if unknown:
        raise ValueError(f"unknown augmentation policy {unknown[0]!r}")
    return names


def is_policy(value: Any) -> bool:
    """Whether `value` is a valid `augment` setting (for the config rule)."""
    try:
        policy_names(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class DiffAugment:
    """The augmentation T of one run: its policies, applied in order. Calling it draws fresh
    random transformations (torch's generator on the images' device, so a seeded run repeats)."""

    policies: tuple[str, ...]

    def __post_init__(self) -> None:
        policy_names(self.policies)

    def __call__(self, images: torch.Tensor, p: float | torch.Tensor = 1.0) -> torch.Tensor:
        """Each policy on each image with probability `p` (1: on every image, drawing nothing
        more; StyleGAN2-ADA's per-image choice otherwise)."""
        for name in self.policies:
            augmented = POLICIES[name](images)
            if isinstance(p, float) and p >= 1.0:
                images = augmented
                continue
            chosen = torch.rand(images.shape[0], 1, 1, 1, device=images.device) < p
            images = torch.where(chosen, augmented, images)
        return images


ADA_TARGET = 0.6
"""StyleGAN2-ADA's target for r_t = E[sign(D(x))] on the real images (its `ada_target`)."""
ADA_INTERVAL = 4
"""Generator steps between two adjustments of p (its `ada_interval`)."""
ADA_KIMG = 500
"""Thousands of real images over which p can move from 0 to 1 (its `ada_kimg`)."""


class AdaptiveProbability(nn.Module):
    """`augment_p=adaptive`: StyleGAN2-ADA's overfitting heuristic driving p. The discriminator's
    signs on the real images are summed as they come (tensors: no host sync); every
    `ADA_INTERVAL` generator steps p moves by ±(images seen)/(`ADA_KIMG`·1000) toward
    r_t = `ADA_TARGET` and stays in [0, 1]. The three numbers are buffers, so p is in the
    checkpoint and a resumed run continues exactly; p starts at 0 (no augmentation)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("p", torch.zeros(()))
        self.register_buffer("signs", torch.zeros(()))
        self.register_buffer("seen", torch.zeros(()))

    @torch.no_grad()
    def observe(self, real_logits: torch.Tensor) -> None:
        self.signs += real_logits.detach().sign().sum().to(self.signs.dtype)
        self.seen += real_logits.numel()

    @torch.no_grad()
    def adjust(self) -> None:
        r_t = self.signs / self.seen.clamp(min=1)
        step = torch.sign(r_t - ADA_TARGET) * self.seen / (ADA_KIMG * 1000)
        self.p.copy_((self.p + step).clamp(0.0, 1.0))
        self.signs.zero_()
        self.seen.zero_()


def is_probability(value: Any) -> bool:
    """A valid `augment_p`: 'adaptive' or a number in [0, 1]."""
    if value == "adaptive":
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1


def augmentation_of(value: str | Sequence[str] | None) -> DiffAugment | None:
    """The run's augmentation, or None when `value` names no policy."""
    names = policy_names(value)
    return DiffAugment(names) if names else None
