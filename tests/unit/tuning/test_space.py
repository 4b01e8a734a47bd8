"""The search space in Hydra's sweep syntax, as Optuna distributions, and back to overrides."""

import optuna
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from ganlab.errors import UsageError
from ganlab.tuning.space import distribution, overrides, suggested_overrides


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("interval(0, 0.9)", FloatDistribution(0.0, 0.9)),
        ("tag(log, interval(1e-5, 1e-2))", FloatDistribution(1e-5, 1e-2, log=True)),
        ("range(16, 129, 16)", IntDistribution(16, 128, step=16)),
        ("range(1, 4)", IntDistribution(1, 3)),
        ("choice(ns, hinge)", CategoricalDistribution(["ns", "hinge"])),
        (
            "choice([translation,cutout], [translation], 10)",
            CategoricalDistribution(["[translation,cutout]", "[translation]", "10"]),
        ),
    ],
)
def test_sweep_expressions_become_distributions(expression, expected):
    assert distribution("key", expression) == expected


@pytest.mark.parametrize(
    "expression", ["0.5", "interval(1, 1)", "range(0.5, 2.5, 0.5)", "range(5, 1)", "choice(a,"]
)
def test_what_is_not_a_search_range_is_refused_with_the_key(expression):
    with pytest.raises(UsageError, match=r"search_space model\.optim\.lr"):
        distribution("model.optim.lr", expression)


def test_a_trial_s_values_come_back_as_overrides_hydra_reads():
    space = {
        "model.optim.lr": distribution("model.optim.lr", "tag(log, interval(1e-5, 1e-2))"),
        "model.latent_dim": distribution("model.latent_dim", "range(16, 129, 16)"),
        "model.augment": distribution("model.augment", "choice([translation,cutout])"),
    }
    trial = optuna.create_study().ask()
    lines = suggested_overrides(trial, space)
    parsed = {o.key_or_group: o.value() for o in OverridesParser.create().parse_overrides(lines)}
    assert parsed == {
        "model.optim.lr": trial.params["model.optim.lr"],
        "model.latent_dim": trial.params["model.latent_dim"],
        "model.augment": ["translation", "cutout"],
    }


def test_a_settings_mapping_becomes_overrides():
    settings = {
        "data.root": "../shared/data",
        "data.splits": ["test"],
        "trainer.max_steps": 500,
        "model.optim.lr": 2e-4,
        "model.ema": None,
        "trainer.enable_progress_bar": False,
    }
    assert overrides(settings) == [
        "data.root=../shared/data",
        "data.splits=[test]",
        "trainer.max_steps=500",
        "model.optim.lr=0.0002",
        "model.ema=null",
        "trainer.enable_progress_bar=false",
    ]
