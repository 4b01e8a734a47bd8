"""GAN losses, each a small function on the discriminator's logits (or a critic's scores), and
the penalties on its input gradient. A new loss is its two functions and one line in `LOSSES`
(`model.loss`); a new penalty is its function and one line in `GRADIENT_PENALTIES`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

Critic = Callable[..., Tensor]
Labels = Tensor | None
"""What the networks see besides images: the batch's labels in a conditional run, else None."""
Penalty = tuple[Tensor, Tensor]
"""A penalty's unweighted value and per-sample gradient norms (logged). Penalties run in fp32,
autocast off: squared gradient norms of a half-precision forward under- and overflow."""


def discriminator_targets(
    logits: Tensor, real: bool, smoothing: float = 0.0, noise: float = 0.0, flip: float = 0.0
) -> Tensor:
    """Binary cross-entropy targets with the classic label tricks: one-sided `smoothing` (real
    targets 1 - s, Salimans et al.), the book's `noise` (real + noise·U(0,1), fake -
    noise·U(0,1)), and `flip`, the probability of swapping a real target with a fake one."""
    target = torch.full_like(logits, 1.0 - smoothing if real else 0.0)
    if noise > 0:
        jitter = noise * torch.rand_like(logits)
        target = target + jitter if real else target - jitter
    if flip > 0:
        target = torch.where(torch.rand_like(logits) < flip, 1.0 - target, target)
    return target


def discriminator_bce_loss(
    real_logits: Tensor,
    fake_logits: Tensor,
    real_target: Tensor | None = None,
    fake_target: Tensor | None = None,
) -> Tensor:
    """-log D(x) - log(1 - D(G(z))), each half's mean; the targets are 1 and 0 unless given."""
    real_target = torch.ones_like(real_logits) if real_target is None else real_target
    fake_target = torch.zeros_like(fake_logits) if fake_target is None else fake_target
    real_loss = F.binary_cross_entropy_with_logits(real_logits, real_target)
    return real_loss + F.binary_cross_entropy_with_logits(fake_logits, fake_target)


def generator_nonsaturating_loss(fake_logits: Tensor) -> Tensor:
    """-log D(G(z)) (Goodfellow et al.'s non-saturating generator loss)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def generator_minimax_loss(fake_logits: Tensor) -> Tensor:
    """log(1 - D(G(z))), Goodfellow et al.'s minimax game: its gradient vanishes while the
    discriminator rejects the fakes confidently."""
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def discriminator_hinge_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """mean max(0, 1 - D(x)) + mean max(0, 1 + D(G(z))) (Lim & Ye 2017; Miyato et al. 2018)."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def generator_hinge_loss(fake_logits: Tensor) -> Tensor:
    """-mean D(G(z)), the generator side of the hinge loss."""
    return -fake_logits.mean()


def discriminator_least_squares_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """½ mean (D(x) - 1)² + ½ mean D(G(z))² (Mao et al. 2017, targets a = 0, b = 1)."""
    return 0.5 * (real_logits - 1.0).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()


def generator_least_squares_loss(fake_logits: Tensor) -> Tensor:
    """½ mean (D(G(z)) - 1)²: the generator pulls its fakes' outputs to the real target c = 1."""
    return 0.5 * (fake_logits - 1.0).pow(2).mean()


def critic_wasserstein_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """mean D(G(z)) - mean D(x): the critic maximises the Wasserstein estimate (Arjovsky et al.)."""
    return fake_scores.mean() - real_scores.mean()


def generator_wasserstein_loss(fake_scores: Tensor) -> Tensor:
    """-mean D(G(z)): the generator pushes its samples up the critic's score."""
    return -fake_scores.mean()


def discriminator_rpgan_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """mean softplus(D(G(z)) - D(x)), each real paired with a fake: the relativistic pairing
    loss (Jolicoeur-Martineau 2019; R3GAN's, Huang et al. 2024)."""
    return F.softplus(fake_logits - real_logits).mean()


def generator_rpgan_loss(fake_logits: Tensor, real_logits: Tensor) -> Tensor:
    """mean softplus(D(x) - D(G(z))): the generator's side, which needs D's outputs on reals."""
    return F.softplus(real_logits - fake_logits).mean()


@dataclass(frozen=True)
class AdversarialLoss:
    """What each network minimises: `discriminator(real_logits, fake_logits)` and
    `generator(fake_logits)`, and what the diagnosis judges them by. `label_targets`: the
    discriminator's loss also takes `real_target`/`fake_target` (cross-entropy: the label tricks
    apply). `decision_threshold`: the output above which D says real (None: a critic).
    `nonsaturating`: the generator minimises -log D(G(z)). `relativistic`: the generator's loss
    also takes D's outputs on the real images, `generator(fake_logits, real_logits)`."""

    discriminator: Callable[..., Tensor]
    generator: Callable[..., Tensor]
    label_targets: bool = False
    decision_threshold: float | None = 0.0
    nonsaturating: bool = False
    relativistic: bool = False

    def traits(self) -> dict[str, bool]:
        """What the diagnosis judges a run's losses by (see `ganlab.diagnosis.rules`)."""
        return {"cross_entropy": self.label_targets, "nonsaturating": self.nonsaturating}


LOSSES: dict[str, AdversarialLoss] = {
    "ns": AdversarialLoss(
        discriminator_bce_loss, generator_nonsaturating_loss, True, nonsaturating=True
    ),
    "minimax": AdversarialLoss(discriminator_bce_loss, generator_minimax_loss, True),
    "hinge": AdversarialLoss(discriminator_hinge_loss, generator_hinge_loss),
    "ls": AdversarialLoss(
        discriminator_least_squares_loss, generator_least_squares_loss, decision_threshold=0.5
    ),
    "wasserstein": AdversarialLoss(
        critic_wasserstein_loss, generator_wasserstein_loss, decision_threshold=None
    ),
    "rpgan": AdversarialLoss(
        discriminator_rpgan_loss, generator_rpgan_loss, decision_threshold=None, relativistic=True
    ),
}
"""`model.loss`: each adversarial loss by name."""


def auxiliary_classifier_loss(labels: Tensor, *class_logits: Tensor) -> tuple[Tensor, list[Tensor]]:
    """AC-GAN's class term (Odena et al. 2017): the cross-entropy of each set of the
    discriminator's class logits (reals', fakes') against the labels, summed; and the share of
    each set it classifies right (for logging)."""
    loss = sum(F.cross_entropy(logits, labels) for logits in class_logits)
    right = [(logits.detach().argmax(1) == labels).float().mean() for logits in class_logits]
    return loss, right  # type: ignore[return-value]


def random_interpolates(real: Tensor, fake: Tensor) -> Tensor:
    """x̂ = real + α(fake - real), one α ~ U(0, 1) per sample (Gulrajani et al., Algorithm 1)."""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.ndim - 1), device=real.device)
    return real + alpha * (fake - real)


def critic_gradient_norms(
    critic: Critic, images: Tensor, labels: Labels = None, create_graph: bool = True
) -> Tensor:
    """‖∇ₓD(x)‖₂ per sample; `create_graph` keeps the graph, so that a penalty on the norms
    back-propagates into the critic's parameters (a second-order gradient)."""
    images = images.detach().requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(images, labels).sum(), images, create_graph=create_graph)
    return torch.linalg.vector_norm(grads.flatten(1), dim=1)


def gradient_penalty(critic: Critic, real: Tensor, fake: Tensor, labels: Labels = None) -> Penalty:
    """WGAN-GP's two-sided penalty, mean (‖∇D(x̂)‖₂ - 1)² on random interpolates."""
    with torch.autocast(device_type=real.device.type, enabled=False):
        interpolates = random_interpolates(real.detach().float(), fake.detach().float())
        norms = critic_gradient_norms(critic, interpolates, labels)
        return (norms - 1.0).pow(2).mean(), norms


def half_squared_gradient(critic: Critic, images: Tensor, labels: Labels) -> Penalty:
    """½ mean ‖∇D(images)‖₂², the R1 and R2 penalties."""
    with torch.autocast(device_type=images.device.type, enabled=False):
        norms = critic_gradient_norms(critic, images.detach().float(), labels)
        return 0.5 * norms.pow(2).mean(), norms


def r1_penalty(critic: Critic, real: Tensor, fake: Tensor, labels: Labels = None) -> Penalty:
    """Mescheder et al.'s R1, ½ mean ‖∇D(x)‖₂² on the real images, so that its weight is their
    gamma (and StyleGAN2's); `fake` is unused."""
    return half_squared_gradient(critic, real, labels)


def r2_penalty(critic: Critic, real: Tensor, fake: Tensor, labels: Labels = None) -> Penalty:
    """R2, ½ mean ‖∇D(G(z))‖₂² on the generated images (Roth et al. 2017); `real` is unused."""
    return half_squared_gradient(critic, fake, labels)


def r1_r2_penalty(critic: Critic, real: Tensor, fake: Tensor, labels: Labels = None) -> Penalty:
    """R1 + R2, R3GAN's pair, and the norms of both (reals first)."""
    r1, real_norms = r1_penalty(critic, real, fake, labels)
    r2, fake_norms = r2_penalty(critic, real, fake, labels)
    return r1 + r2, torch.cat([real_norms, fake_norms])


GRADIENT_PENALTIES: dict[str, tuple[Callable[..., Penalty], str]] = {
    "gradient_penalty": (gradient_penalty, "gp"),
    "r1": (r1_penalty, "r1"),
    "r2": (r2_penalty, "r2"),
    "r1_r2": (r1_r2_penalty, "r1_r2"),
}
"""`model.penalty`: the function of (critic, real, fake, labels) and the short name its value
is logged under (`c_gp`, `d_r1`)."""


@torch.no_grad()
def clip_weights(module: torch.nn.Module, clip_value: float) -> None:
    """The original WGAN's Lipschitz constraint: clamp every parameter to [-c, c]."""
    for parameter in module.parameters():
        parameter.clamp_(-clip_value, clip_value)
