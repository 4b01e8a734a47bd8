"""The study presets (conf/sweep/) and launcher presets compose into the sweeps they promise."""

import itertools
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from ganlab.run.config import CONF_DIR

PLUGINS = {
    "optuna": "hydra_plugins.hydra_optuna_sweeper",
    "joblib": "hydra_plugins.hydra_joblib_launcher",
    "slurm": "hydra_plugins.hydra_submitit_launcher",
}
STUDIES = sorted(p.stem for p in (Path(CONF_DIR) / "sweep").glob("*.yaml"))


def needs(plugin: str) -> None:
    pytest.importorskip(PLUGINS[plugin], reason="an optional extra: pip install -e '.[sweep]'")


def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides), return_hydra_config=True)


def grid(params) -> list[tuple[str, ...]]:
    return list(itertools.product(*(str(v).split(",") for v in params.values())))


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_is_a_multirun_of_the_dcgan(study):
    if study in PLUGINS:
        needs(study)
    cfg = composed(f"sweep={study}")
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert cfg.hydra.runtime.choices.model == "dcgan"
    assert cfg.hydra.sweep.dir.startswith(f"outputs/sweeps/{study}/")
    assert set(cfg.hydra.sweeper.params) <= {
        "model.optim.lr", "model.optim.beta1", "model.optim.beta2", "model.latent_dim"
    }  # fmt: skip


def test_rdfia_is_lr_x_beta1_x_latent_size():
    params = composed("sweep=rdfia").hydra.sweeper.params
    assert list(params) == ["model.optim.lr", "model.optim.beta1", "model.latent_dim"]
    jobs = grid(params)
    assert len(jobs) == 12
    assert {(float(lr), float(b1), int(z)) for lr, b1, z in jobs} == set(
        itertools.product((2e-4, 1e-3), (0.5, 0.9), (10, 100, 1000))
    )


def test_smoke_is_small_and_short():
    cfg = composed("sweep=smoke")
    assert len(grid(cfg.hydra.sweeper.params)) == 4
    assert cfg.trainer.max_steps == 100


def test_a_study_takes_another_model_from_the_command_line():
    cfg = composed("sweep=rdfia", "model=dcgan64")
    assert cfg.model.net.generator._target_ == "ganlab.nets.dcgan64.Generator"


def test_optuna_study_minimises_the_returned_metric():
    needs("optuna")
    cfg = composed("sweep=optuna")
    assert cfg.optimized_metric == "g_loss_epoch"
    assert cfg.hydra.sweeper._target_.endswith("OptunaSweeper")
    assert cfg.hydra.sweeper.direction == "minimize" and cfg.hydra.sweeper.sampler.seed == 42


def test_default_run_returns_no_objective():
    assert composed().optimized_metric is None


def test_joblib_launcher_composes():
    needs("joblib")
    launcher = composed("sweep=smoke", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert launcher.hydra.launcher._target_.endswith("JoblibLauncher")
    assert launcher.hydra.launcher.n_jobs == 2
