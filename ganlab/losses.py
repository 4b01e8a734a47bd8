"""GAN losses, each one small function on discriminator logits (or critic scores)."""

import torch
import torch.nn.functional as F


def discriminator_targets(
    logits: torch.Tensor,
    real: bool,
    smoothing: float = 0.0,
    noise: float = 0.0,
    flip: float = 0.0,
) -> torch.Tensor:
    """Targets for the discriminator's binary cross-entropy, with the classic label tricks.

    smoothing: one-sided label smoothing, real targets become 1 - smoothing (Salimans et al.).
    noise: the book's label noise, real targets + noise·U(0,1) and fake targets - noise·U(0,1).
    flip: probability of swapping a real target with a fake one (and vice versa).
    """
    target = torch.full_like(logits, 1.0 - smoothing if real else 0.0)
    if noise > 0:
        jitter = noise * torch.rand_like(logits)
        target = target + jitter if real else target - jitter
    if flip > 0:
        flipped = torch.rand_like(logits) < flip
        target = torch.where(flipped, 1.0 - target, target)
    return target


def discriminator_bce_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    real_target: torch.Tensor | None = None,
    fake_target: torch.Tensor | None = None,
) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))), averaged over each half of the batch and summed."""
    if real_target is None:
        real_target = torch.ones_like(real_logits)
    if fake_target is None:
        fake_target = torch.zeros_like(fake_logits)
    real_loss = F.binary_cross_entropy_with_logits(real_logits, real_target)
    fake_loss = F.binary_cross_entropy_with_logits(fake_logits, fake_target)
    return real_loss + fake_loss


def generator_nonsaturating_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)) (Goodfellow et al.'s non-saturating generator loss)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
