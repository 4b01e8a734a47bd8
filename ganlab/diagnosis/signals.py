"""The health signals as tensors, computed where the values already are (logits in the
discriminator's update, gradients before each optimizer step, samples where the epoch grid is
rendered); none reads a value back to the host, so logging them costs no synchronisation."""

from collections.abc import Iterable

import torch


def gradient_norm(parameters: Iterable[torch.nn.Parameter]) -> torch.Tensor:
    """The total L2 norm of the parameters' gradients (those that have one), as clipping
    measures it; 0 when none has a gradient."""
    grads = [p.grad.detach() for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)).float())


def decision_accuracy(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, threshold: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A classifier discriminator's accuracy on real and on fake images: the fraction of real
    outputs above `threshold` (a logit above 0: D(x) > 0.5) and of fake ones at or below it."""
    real, fake = real_logits.detach(), fake_logits.detach()
    return (real > threshold).float().mean(), (fake <= threshold).float().mean()


def separation_accuracy(
    real_scores: torch.Tensor, fake_scores: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """A critic has no decision threshold (its scores shift freely): the fraction of real
    scores above the fake scores' mean, and of fake scores below the real scores' mean."""
    real, fake = real_scores.detach().float(), fake_scores.detach().float()
    return (real > fake.mean()).float().mean(), (fake < real.mean()).float().mean()


def mean_pairwise_distance(
    images: torch.Tensor, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """The mean distance between two different images, as a root-mean-square pixel difference
    (images in [-1, 1]: 0 for identical images, 2 at most), so it reads the same at any image
    size. With `labels`, only images of the same label are compared (a conditional grid's
    class rows differ by class whatever the generator does); NaN when no pair is compared."""
    flat = images.detach().float().flatten(1)
    distances = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    pairs = ~torch.eye(flat.shape[0], dtype=torch.bool, device=flat.device)
    if labels is not None:
        pairs &= labels.reshape(-1, 1) == labels.reshape(1, -1)
    return (distances * pairs).sum() / pairs.sum()
