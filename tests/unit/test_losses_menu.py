"""The loss table's entries and the R1 penalty against values computed by hand."""

import math
import re

import pytest
import torch
from torch import nn

from ganlab import losses
from ganlab.losses import GRADIENT_PENALTIES, LOSSES, r1_penalty, r1_r2_penalty, r2_penalty
from tests.helpers import REPO

REAL = torch.tensor([2.0, 0.5, -1.0])
FAKE = torch.tensor([-2.0, 0.0, 1.5])


def test_the_table_names_the_six_losses():
    assert list(LOSSES) == ["ns", "minimax", "hinge", "ls", "wasserstein", "rpgan"]
    assert [name for name, loss in LOSSES.items() if loss.label_targets] == ["ns", "minimax"]


def test_hinge_on_known_logits():
    # max(0, 1 - real): 0, 0.5, 2 → mean 2.5/3; max(0, 1 + fake): 0, 1, 2.5 → mean 3.5/3
    assert LOSSES["hinge"].discriminator(REAL, FAKE).item() == pytest.approx(2.0)
    assert LOSSES["hinge"].generator(FAKE).item() == pytest.approx(0.5 / 3)


def test_least_squares_on_known_logits():
    # ½ mean (real - 1)² = ½ (1 + 0.25 + 4)/3; ½ mean fake² = ½ (4 + 0 + 2.25)/3
    assert LOSSES["ls"].discriminator(REAL, FAKE).item() == pytest.approx(11.5 / 6)
    # ½ mean (fake - 1)² = ½ (9 + 1 + 0.25)/3
    assert LOSSES["ls"].generator(FAKE).item() == pytest.approx(10.25 / 6)


def test_minimax_generator_minimises_log_one_minus_d():
    sigmoid = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    expected = sum(math.log(1 - sigmoid(v)) for v in FAKE.tolist()) / 3
    assert LOSSES["minimax"].generator(FAKE).item() == pytest.approx(expected, rel=1e-6)
    assert LOSSES["minimax"].discriminator is LOSSES["ns"].discriminator


def test_wasserstein_on_known_scores():
    # mean fake - mean real = -0.5/3 - 1.5/3
    assert LOSSES["wasserstein"].discriminator(REAL, FAKE).item() == pytest.approx(-2.0 / 3)
    assert LOSSES["wasserstein"].generator(FAKE).item() == pytest.approx(0.5 / 3)


def test_relativistic_pairing_on_known_logits():
    """R3GAN's loss: softplus of each pair's difference, the generator's the other way round."""
    softplus = lambda v: math.log1p(math.exp(v))  # noqa: E731
    pairs = list(zip(REAL.tolist(), FAKE.tolist(), strict=True))
    rpgan = LOSSES["rpgan"]
    expected_d = sum(softplus(f - r) for r, f in pairs) / 3
    expected_g = sum(softplus(r - f) for r, f in pairs) / 3
    assert rpgan.discriminator(REAL, FAKE).item() == pytest.approx(expected_d, rel=1e-6)
    assert rpgan.generator(FAKE, REAL).item() == pytest.approx(expected_g, rel=1e-6)
    assert rpgan.relativistic and rpgan.decision_threshold is None
    # pairing, not means: swapping two fakes changes the loss
    swapped = FAKE[[1, 0, 2]]
    assert rpgan.discriminator(REAL, swapped).item() != pytest.approx(expected_d)


class Critic(nn.Module):
    """A small nonlinear critic taking labels, as ganlab's discriminators do."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.Tanh(), nn.Linear(5, 1))
        self.embed = nn.Embedding(3, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        scores = self.body(x).squeeze(1)
        return scores if labels is None else scores * self.embed(labels).squeeze(1)


@pytest.mark.parametrize("conditional", [False, True])
def test_r1_is_half_the_mean_squared_input_gradient_norm(conditional):
    torch.manual_seed(0)
    critic = Critic()
    real = torch.randn(4, 3, 2, 2)
    labels = torch.tensor([0, 1, 2, 1]) if conditional else None

    def score(image: torch.Tensor, label: torch.Tensor | None) -> torch.Tensor:
        return critic(image[None], None if label is None else label[None])[0]

    grads = torch.func.vmap(torch.func.grad(score), in_dims=(0, None if labels is None else 0))(
        real, labels
    )
    expected = 0.5 * grads.flatten(1).pow(2).sum(1).mean()
    penalty, norms = r1_penalty(critic, real, torch.full_like(real, 9.0), labels)
    assert penalty.item() == pytest.approx(expected.item(), rel=1e-5)
    assert torch.allclose(norms, grads.flatten(1).norm(dim=1), rtol=1e-5)
    # differentiable in the critic's parameters (a second-order gradient)
    (weight_grad,) = torch.autograd.grad(penalty, critic.body[1].weight)
    assert weight_grad.abs().sum() > 0
    assert GRADIENT_PENALTIES["r1"] == (r1_penalty, "r1")


def input_gradients(critic, images, labels):
    def score(image: torch.Tensor, label: torch.Tensor | None) -> torch.Tensor:
        return critic(image[None], None if label is None else label[None])[0]

    return torch.func.vmap(torch.func.grad(score), in_dims=(0, None if labels is None else 0))(
        images, labels
    )


@pytest.mark.parametrize("conditional", [False, True])
def test_r2_is_r1_on_the_fakes_and_r1_r2_is_both(conditional):
    torch.manual_seed(0)
    critic = Critic()
    real, fake = torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2)
    labels = torch.tensor([0, 1, 2, 1]) if conditional else None
    on_fakes = input_gradients(critic, fake, labels).flatten(1)
    r2, fake_norms = r2_penalty(critic, torch.full_like(real, 9.0), fake, labels)
    assert r2.item() == pytest.approx(0.5 * on_fakes.pow(2).sum(1).mean().item(), rel=1e-5)
    assert torch.allclose(fake_norms, on_fakes.norm(dim=1), rtol=1e-5)
    both, norms = r1_r2_penalty(critic, real, fake, labels)
    r1, real_norms = r1_penalty(critic, real, fake, labels)
    assert both.item() == pytest.approx((r1 + r2).item(), rel=1e-6)
    assert torch.equal(norms, torch.cat([real_norms, fake_norms]))
    (weight_grad,) = torch.autograd.grad(both, critic.body[1].weight)
    assert weight_grad.abs().sum() > 0
    assert GRADIENT_PENALTIES["r1_r2"] == (r1_r2_penalty, "r1_r2")


def test_the_new_loss_in_docs_extending_is_what_it_says():
    """docs/extending.md's worked example, run as written: its functions beside the others in
    `ganlab.losses` and its line of the table (any entry is an option of both procedures:
    tests/unit/models/test_recipe.py)."""
    page = (REPO / "docs" / "extending.md").read_text()
    section = page[page.index("## A new loss") : page.index("## A new procedure")]
    functions, table = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    namespace = vars(losses).copy()
    exec(functions + table, namespace)
    pearson = namespace["LOSSES"]["pearson"]
    # ½ mean (real - 1)² = ½ (1 + 0.25 + 4)/3; ½ mean (fake + 1)² = ½ (1 + 1 + 6.25)/3
    assert pearson.discriminator(REAL, FAKE).item() == pytest.approx(13.5 / 6)
    assert pearson.generator(FAKE).item() == pytest.approx(6.25 / 6)
    assert not pearson.label_targets
