"""The diagnosis rules on made-up signal series: each verdict where its signals say so, with
the steps where it held and remedies worked out from the run's settings."""

import math

import pytest
import torch

from ganlab.diagnosis.remedies import remedies
from ganlab.diagnosis.rules import (
    DISCRIMINATOR_DOMINATES,
    DIVERGENCE,
    HEALTHY,
    MODE_COLLAPSE,
    VANISHING_GRADIENT,
    windows,
)
from ganlab.diagnosis.signals import (
    decision_accuracy,
    gradient_norm,
    mean_pairwise_distance,
    separation_accuracy,
)
from ganlab.diagnosis.timeline import describe, summary, timeline
from ganlab.losses import LOSSES
from ganlab.metrics.class_stats import expected_modes

HEALTHY_SIGNALS = {
    "d_loss": 1.1,
    "g_loss": 1.5,
    "d_acc_real": 0.8,
    "d_acc_fake": 0.7,
    "grad_norm_g": 5.0,
    "grad_norm_d": 4.0,
}
SETTINGS = {
    "model.optim.lr": 2e-4,
    "model.optim.lr_g": None,
    "model.optim.lr_d": None,
    "model.label_noise": 0.0,
    "model.label_flip": 0.0,
    "model.net.discriminator.dropout": 0.3,
    "model.latent_dim": 2,
    "data.batch_size": 64,
}


def series(steps: range, **changed: float) -> dict[str, list[tuple[int, float]]]:
    values = HEALTHY_SIGNALS | changed
    return {name: [(step, value) for step in steps] for name, value in values.items()}


def joined(*parts: dict) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    for part in parts:
        for name, points in part.items():
            out.setdefault(name, []).extend(points)
    return out


def verdicts(points, size=10) -> list[tuple[int, int, str]]:
    return [(p.start, p.end, p.verdict) for p in timeline(windows(points, size), settings=SETTINGS)]


def test_a_healthy_run_is_one_healthy_phase():
    assert verdicts(series(range(40))) == [(0, 39, HEALTHY)]


def test_a_discriminator_that_wins_everything_dominates_where_it_does():
    points = joined(
        series(range(20)),
        series(range(20, 50), d_acc_real=0.99, d_acc_fake=0.98, d_loss=0.05, g_loss=9.0),
    )
    phases = timeline(windows(points, 10), settings=SETTINGS)
    assert [(p.start, p.end, p.verdict) for p in phases] == [
        (0, 19, HEALTHY),
        (20, 49, DISCRIMINATOR_DOMINATES),
    ]
    assert phases[1].remedies == [
        "model.optim.lr_d=5e-05",
        "model.net.discriminator.dropout=0.5",
        "model.label_noise=0.1",
        "model.label_flip=0.05",
    ]
    assert "d_loss 0.05 (< 0.2)" in describe(phases[1])


def test_an_accurate_discriminator_still_losing_some_confidence_is_healthy():
    """Early in training D separates real from fake but is not sure of it (d_loss ~0.6)."""
    assert verdicts(series(range(30), d_acc_real=1.0, d_acc_fake=1.0, d_loss=0.6)) == [
        (0, 29, HEALTHY)
    ]


def test_the_loss_rules_read_only_the_losses_they_know():
    """A hinge or least-squares d_loss is no cross-entropy; a minimax g_loss is <= 0."""
    dominated = series(range(10), d_acc_real=1.0, d_acc_fake=1.0, d_loss=0.05)
    fooled = series(range(10), d_acc_fake=0.0, g_loss=-0.7)
    for points, losses in ((dominated, ("hinge", "ls")), (fooled, ("minimax",))):
        for loss in losses:
            phases = timeline(windows(points, 10), settings=SETTINGS, loss=LOSSES[loss].traits())
            assert [p.verdict for p in phases] == [HEALTHY]


def test_a_fading_generator_gradient_is_vanishing():
    points = joined(series(range(20), grad_norm_g=5.0), series(range(20, 40), grad_norm_g=0.2))
    assert verdicts(points) == [(0, 19, HEALTHY), (20, 39, VANISHING_GRADIENT)]


def test_a_discriminator_fooled_by_every_fake_gives_a_vanishing_gradient():
    points = joined(series(range(10)), series(range(10, 30), d_acc_fake=0.0, g_loss=0.06))
    assert verdicts(points) == [(0, 9, HEALTHY), (10, 29, VANISHING_GRADIENT)]
    fooled_a_little = series(range(10), d_acc_fake=0.0, g_loss=0.3)
    assert verdicts(fooled_a_little) == [(0, 9, HEALTHY)]


def test_low_sample_diversity_is_mode_collapse_until_a_grid_says_otherwise():
    diversity = {"sample_diversity": [(9, 0.6), (19, 0.05), (39, 0.7)]}
    points = joined(series(range(50)), diversity)
    assert verdicts(points) == [(0, 9, HEALTHY), (10, 29, MODE_COLLAPSE), (30, 49, HEALTHY)]
    # a generator at initialisation: one blur for every z, a variety it never had to lose
    rising = joined(series(range(20)), {"sample_diversity": [(9, 0.01), (19, 0.3)]})
    assert verdicts(rising) == [(0, 19, HEALTHY)]
    phase = timeline(windows(points, 10), settings=SETTINGS)[1]
    assert phase.remedies == [
        "model.optim.lr_g=0.0001",
        "model.net.discriminator.dropout=0.1",
        "data.batch_size=128",
        "model.latent_dim=100",
    ]


def test_samples_narrowed_to_a_few_digits_are_mode_collapse_though_their_pixels_vary():
    # the tutorial-network runs' kept checkpoints: 0.68-0.90 while training well, 0.10 when
    # 96 % of the samples were ones, 0.38 at the end of the slope-0.03 run (docs/diagnosis.md)
    coverage = {"sample_class_entropy": [(9, 0.9), (19, 0.1), (29, 0.38), (39, 0.8)]}
    points = joined(series(range(50), sample_diversity=0.6), coverage)
    assert verdicts(points) == [(0, 9, HEALTHY), (10, 29, MODE_COLLAPSE), (30, 49, HEALTHY)]
    phase = timeline(windows(points, 10), settings=SETTINGS)[1]
    assert phase.evidence == "class entropy of the samples 0.38 (< 0.5), down from 0.90"
    # a generator at initialisation reads as one digit: coverage it never had to lose
    rising = joined(series(range(20)), {"sample_class_entropy": [(9, 0.0), (19, 0.45)]})
    assert verdicts(rising) == [(0, 19, HEALTHY)]
    # fewer digits than at the peak, but still more than about three
    narrower = joined(series(range(20)), {"sample_class_entropy": [(9, 0.95), (19, 0.55)]})
    assert verdicts(narrower) == [(0, 19, HEALTHY)]


def test_stacked_mnist_modes_far_below_the_real_datas_count_are_mode_collapse():
    # 1,000 samples a count: real stacks cover 632 of the 1,000 modes on average
    real = expected_modes(1000, 1000)
    counts = {"modes": [(9, 560.0), (19, 99.0), (29, 410.0)], "modes_real": [(9, real)]}
    points = joined(series(range(40), sample_diversity=0.6), counts)
    assert verdicts(points) == [(0, 9, HEALTHY), (10, 19, MODE_COLLAPSE), (20, 39, HEALTHY)]
    phase = timeline(windows(points, 10), settings=SETTINGS)[1]
    assert phase.evidence == "99 modes, 0.16 of the 632 as many real stacks cover (< 0.5)"
    # a count alone (no real count to compare with) decides nothing
    alone = joined(series(range(20)), {"modes": [(9, 5.0)]})
    assert verdicts(alone) == [(0, 19, HEALTHY)]


def test_the_real_count_is_what_uniform_draws_cover():
    assert expected_modes(1, 1000) == pytest.approx(1.0)
    assert expected_modes(2000, 1000) == pytest.approx(1000 * (1 - math.exp(-2)), rel=1e-3)
    assert expected_modes(26000, 1000) == pytest.approx(1000.0, abs=1e-6)


@pytest.mark.parametrize("bad", [{"g_loss": math.nan}, {"grad_norm_d": 1e6}])
def test_non_finite_or_exploding_signals_are_divergence(bad):
    points = joined(series(range(10)), series(range(10, 20), **bad))
    assert verdicts(points) == [(0, 9, HEALTHY), (10, 19, DIVERGENCE)]
    assert remedies(DIVERGENCE, SETTINGS)[0] == "model.optim.lr=2e-05"


def test_remedies_name_only_keys_the_run_has():
    wgan = {"model.optim.lr": 1e-4, "model.optim.lr_d": None, "data.batch_size": 64}
    assert remedies(DISCRIMINATOR_DOMINATES, wgan) == ["model.optim.lr_d=2.5e-05"]
    assert remedies(HEALTHY, SETTINGS) == []


def test_summary_lists_the_problems_with_their_steps():
    points = joined(series(range(10)), series(range(10, 20), g_loss=math.inf))
    phases = timeline(windows(points, 10))
    record = {"timeline": [p.as_record() for p in phases]}
    assert summary(record) == "divergence 10-19"
    assert summary({"timeline": [phases[0].as_record()]}) == HEALTHY
    assert summary(None) is None


def test_the_signals():
    real, fake = torch.tensor([2.0, -2.0, 3.0, 1.0]), torch.tensor([-2.0, 1.5, -3.0, -1.0])
    assert [v.item() for v in decision_accuracy(real, fake)] == [0.75, 0.75]
    # a critic: real mean 1.0, fake mean -1.125
    assert [v.item() for v in separation_accuracy(real, fake)] == [0.75, 0.75]
    layer = torch.nn.Linear(3, 1)
    layer(torch.ones(2, 3)).sum().backward()
    expected = torch.cat([layer.weight.grad.flatten(), layer.bias.grad]).norm()
    assert torch.isclose(gradient_norm(layer.parameters()), expected)
    same = torch.zeros(4, 1, 2, 2)
    assert mean_pairwise_distance(same).item() == 0.0
    two = torch.stack([torch.full((1, 2, 2), -1.0), torch.full((1, 2, 2), 1.0)])
    assert mean_pairwise_distance(two).item() == pytest.approx(2.0)
    assert mean_pairwise_distance(two.repeat(2, 1, 1, 1), torch.tensor([0, 1, 0, 1])).item() == (
        pytest.approx(0.0)
    )
