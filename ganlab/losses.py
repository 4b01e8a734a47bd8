"""GAN losses, each one small function on discriminator logits (or critic scores)."""

from collections.abc import Callable

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


def critic_wasserstein_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """mean D(G(z)) - mean D(x): the critic minimises it, i.e. maximises the Wasserstein
    estimate (Arjovsky et al.)."""
    return fake_scores.mean() - real_scores.mean()


def generator_wasserstein_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """-mean D(G(z)): the generator pushes its samples up the critic's score."""
    return -fake_scores.mean()


def random_interpolates(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """x̂ = real + α(fake - real) with one α ~ U(0, 1) per sample (Gulrajani et al.,
    Algorithm 1); points on the straight lines between real and generated samples."""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), device=real.device)
    return real + alpha * (fake - real)


def critic_gradient_norms(
    critic: Callable[..., torch.Tensor],
    images: torch.Tensor,
    labels: torch.Tensor | None = None,
    create_graph: bool = True,
) -> torch.Tensor:
    """‖∇ₓD(x)‖₂ per sample. `create_graph=True` keeps the graph so a penalty on the norms can
    be back-propagated into the critic's parameters (a second-order gradient)."""
    images = images.detach().requires_grad_(True)
    scores = critic(images, labels)
    (grads,) = torch.autograd.grad(scores.sum(), images, create_graph=create_graph)
    return torch.linalg.vector_norm(grads.flatten(1), dim=1)


def gradient_penalty(
    critic: Callable[..., torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """WGAN-GP's two-sided penalty mean (‖∇D(x̂)‖₂ - 1)² on random interpolates, and the
    per-sample norms (for logging).

    Computed in fp32 with autocast off: squared gradient norms of a half-precision forward
    under- and overflow. In a conditional run the critic sees each sample's label.
    """
    with torch.autocast(device_type=real.device.type, enabled=False):
        interpolates = random_interpolates(real.detach().float(), fake.detach().float())
        norms = critic_gradient_norms(critic, interpolates, labels)
        return (norms - 1.0).pow(2).mean(), norms


@torch.no_grad()
def clip_weights(module: torch.nn.Module, clip_value: float) -> None:
    """The original WGAN's Lipschitz constraint: clamp every parameter to [-c, c]."""
    for parameter in module.parameters():
        parameter.clamp_(-clip_value, clip_value)
