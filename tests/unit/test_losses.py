import math

import pytest
import torch

from ganlab.losses import (
    discriminator_bce_loss,
    discriminator_targets,
    generator_nonsaturating_loss,
)


def test_discriminator_bce_by_hand():
    real = torch.tensor([0.0, 2.0])
    fake = torch.tensor([-1.0])
    sigmoid = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    expected = -(math.log(sigmoid(0.0)) + math.log(sigmoid(2.0))) / 2 - math.log(1 - sigmoid(-1.0))
    assert discriminator_bce_loss(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_generator_loss_is_non_saturating():
    fake = torch.tensor([-3.0, 0.0])
    expected = -(math.log(1 / (1 + math.exp(3.0))) + math.log(0.5)) / 2
    assert generator_nonsaturating_loss(fake).item() == pytest.approx(expected, rel=1e-6)


def test_label_smoothing_is_one_sided():
    logits = torch.zeros(4)
    assert torch.equal(
        discriminator_targets(logits, real=True, smoothing=0.1), torch.full((4,), 0.9)
    )
    assert torch.equal(discriminator_targets(logits, real=False, smoothing=0.1), torch.zeros(4))


def test_label_noise_moves_targets_apart_like_the_book():
    torch.manual_seed(0)
    logits = torch.zeros(1000)
    real = discriminator_targets(logits, real=True, noise=0.1)
    fake = discriminator_targets(logits, real=False, noise=0.1)
    assert real.min() >= 1.0 and real.max() <= 1.1 and real.std() > 0
    assert fake.min() >= -0.1 and fake.max() <= 0.0


def test_label_flip_swaps_a_fraction():
    torch.manual_seed(0)
    targets = discriminator_targets(torch.zeros(10000), real=True, flip=0.2)
    assert set(targets.unique().tolist()) == {0.0, 1.0}
    assert (targets == 0).float().mean().item() == pytest.approx(0.2, abs=0.02)
