"""Wasserstein losses, the gradient penalty and weight clipping, on cases checkable by hand."""

import pytest
import torch
from torch import nn

from ganlab.losses import (
    clip_weights,
    critic_gradient_norms,
    critic_wasserstein_loss,
    generator_wasserstein_loss,
    gradient_penalty,
    random_interpolates,
)


class LinearCritic(nn.Module):
    """D(x) = w·x (+ a per-class offset): its input gradient is w everywhere."""

    def __init__(self, w: torch.Tensor, num_classes: int = 0):
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.offset = nn.Parameter(torch.zeros(max(num_classes, 1)))
        self.seen_labels: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        self.seen_labels = labels
        score = (x.flatten(1) * self.w.flatten()).sum(1)
        return score + (self.offset[labels] if labels is not None else 0)


class QuadraticCritic(nn.Module):
    """D(x) = ½‖x‖²: its input gradient is x, so the norm depends on where x̂ lies."""

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return 0.5 * x.flatten(1).pow(2).sum(1)


def test_wasserstein_losses_by_hand():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0, 4.0])
    assert critic_wasserstein_loss(real, fake).item() == pytest.approx(1.0 - 2.0)
    assert generator_wasserstein_loss(fake).item() == pytest.approx(-1.0)


@pytest.mark.parametrize("w_norm", [0.25, 1.0, 3.0])
def test_linear_critic_penalty_is_exactly_norm_minus_one_squared(w_norm):
    torch.manual_seed(0)
    w = torch.randn(1, 4, 4)
    w = w / w.norm() * w_norm
    critic = LinearCritic(w)
    real, fake = torch.randn(6, 1, 4, 4), torch.randn(6, 1, 4, 4)
    penalty, norms = gradient_penalty(critic, real, fake)
    assert penalty.item() == pytest.approx((w_norm - 1) ** 2, rel=1e-5, abs=1e-7)
    assert torch.allclose(norms, torch.full((6,), w_norm), rtol=1e-5)


def test_penalty_backpropagates_into_the_critic_parameters():
    w = torch.full((1, 2, 2), 1.0)  # ‖w‖ = 2, penalty (‖w‖-1)², d/dw = 2(‖w‖-1) w/‖w‖
    critic = LinearCritic(w)
    penalty, _ = gradient_penalty(critic, torch.zeros(3, 1, 2, 2), torch.ones(3, 1, 2, 2))
    penalty.backward()
    assert torch.allclose(critic.w.grad, 2 * (2 - 1) * w / 2)


def test_alpha_is_uniform_and_per_sample():
    torch.manual_seed(0)
    real, fake = torch.zeros(4000, 1, 2, 2), torch.ones(4000, 1, 2, 2)
    alpha = random_interpolates(real, fake)
    # one α per sample: every pixel of a sample takes the same value
    assert torch.equal(alpha, alpha[:, :1, :1, :1].expand_as(alpha))
    values = alpha[:, 0, 0, 0]
    assert values.min() >= 0 and values.max() <= 1
    assert values.mean().item() == pytest.approx(0.5, abs=0.02)
    assert values.var().item() == pytest.approx(1 / 12, abs=0.005)  # U(0,1), not N(0,1)
    assert (values < 0.1).float().mean().item() == pytest.approx(0.1, abs=0.02)


def test_penalty_is_taken_on_the_interpolates():
    torch.manual_seed(1)
    real, fake = torch.zeros(2000, 1, 1, 1), torch.ones(2000, 1, 1, 1)
    # D = ½x²: ‖∇D(x̂)‖ = α, so E(α - 1)² = 1/3 for α ~ U(0, 1)
    penalty, norms = gradient_penalty(QuadraticCritic(), real, fake)
    assert penalty.item() == pytest.approx(1 / 3, abs=0.02)
    assert norms.min() >= 0 and norms.max() <= 1


def test_labels_reach_the_critic():
    critic = LinearCritic(torch.ones(1, 2, 2), num_classes=3)
    labels = torch.tensor([2, 0])
    gradient_penalty(critic, torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2), labels)
    assert torch.equal(critic.seen_labels, labels)


def test_penalty_is_fp32_under_autocast():
    critic = LinearCritic(torch.ones(1, 2, 2) / 4)
    real = torch.zeros(2, 1, 2, 2, dtype=torch.bfloat16)
    fake = torch.ones(2, 1, 2, 2, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        penalty, norms = gradient_penalty(critic, real, fake)
    assert penalty.dtype == torch.float32 and norms.dtype == torch.float32


def test_gradient_norms_without_graph_are_detached():
    norms = critic_gradient_norms(QuadraticCritic(), torch.ones(3, 1, 2, 2), create_graph=False)
    assert torch.allclose(norms, torch.full((3,), 2.0)) and not norms.requires_grad


def test_clip_weights_keeps_every_parameter_in_range():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(1))
    net(torch.randn(2, 1, 5, 5))
    for p in net.parameters():
        p.data.mul_(10)
    clip_weights(net, 0.01)
    for p in net.parameters():
        assert p.abs().max() <= 0.01
    assert any((p.abs() == 0.01).any() for p in net.parameters())
