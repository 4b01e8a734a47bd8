"""The study presets (conf/sweep/) and launcher presets compose into the sweeps they promise."""

import itertools

import pytest

from tests.helpers.studies import GRID_STUDIES, PLUGINS, STUDIES, composed, jobs


def needs(plugin: str) -> None:
    pytest.importorskip(PLUGINS[plugin], reason="an optional extra: pip install -e '.[sweep]'")


JOBS = {"smoke": 4, "rdfia": 5, "rdfia_mnist": 5, "rdfia_grid": 12, "slope003_bn": 2, "recipes": 8}
FACTORS = ("model.optim.lr", "model.optim.beta1", "model.latent_dim")


@pytest.mark.parametrize("study", STUDIES)
def test_every_study_is_a_multirun_of_the_dcgan_procedure(study):
    if study in PLUGINS:
        needs(study)
    cfg = composed(f"sweep={study}")
    assert cfg.hydra.mode.name == "MULTIRUN"
    assert cfg.model._target_ == "ganlab.models.DCGAN"
    assert cfg.hydra.sweep.dir.startswith(f"outputs/sweeps/{study}/")
    assert set(cfg.hydra.sweeper.params) <= {
        *FACTORS, "model.optim.beta2", "+rdfia_variant", "model.net.generator.norm", "+recipe"
    }  # fmt: skip


@pytest.mark.parametrize("study", GRID_STUDIES)
def test_every_study_launches_its_number_of_jobs(study):
    assert len(jobs(study)) == JOBS[study]


def factors(cfg) -> tuple:
    return (cfg.model.optim.lr, cfg.model.optim.beta1, cfg.model.latent_dim)


@pytest.mark.parametrize("study", ["rdfia", "rdfia_mnist"])
def test_rdfia_studies_change_one_factor_at_a_time_from_the_baseline(study):
    changed = {}
    for job in jobs(study):
        (variant,) = [override.partition("=")[2] for override in job]
        changed[variant] = factors(composed(f"sweep={study}", *job))
    assert changed == {
        "baseline": (2e-4, 0.5, 100),
        "lr_1e-3": (1e-3, 0.5, 100),
        "beta1_0.9": (2e-4, 0.9, 100),
        "latent_10": (2e-4, 0.5, 10),
        "latent_1000": (2e-4, 0.5, 1000),
    }


def test_rdfia_is_the_face_dcgan_and_rdfia_mnist_the_tutorial_networks():
    faces = composed("sweep=rdfia")
    assert faces.hydra.runtime.choices.experiment == "rdfia_dcgan_celeba"
    assert faces.data._target_ == "ganlab.data.celeba.CelebADataModule"
    digits = composed("sweep=rdfia_mnist")
    assert digits.model.net.generator._target_ == "ganlab.nets.dcgan28.Generator"
    assert digits.data._target_ == "ganlab.data.mnist.MNISTDataModule"
    assert digits.hydra.runtime.choices.experiment == "rdfia_dcgan_mnist"
    assert digits.trainer.max_steps == 8000


def test_rdfia_grid_is_lr_x_beta1_x_latent_size():
    params = composed("sweep=rdfia_grid").hydra.sweeper.params
    assert list(params) == list(FACTORS)
    assert {
        tuple(override.partition("=")[2] for override in job) for job in jobs("rdfia_grid")
    } == {
        (str(lr), str(b1), str(z))
        for lr, b1, z in itertools.product(("0.0002", "0.001"), (0.5, 0.9), (10, 100, 1000))
    }


def test_slope003_bn_ablates_the_generators_batch_norm():
    norms = set()
    for job in jobs("slope003_bn"):
        cfg = composed("sweep=slope003_bn", *job)
        assert cfg.model.net.generator.negative_slope == 0.03
        norms.add(cfg.model.net.generator.norm)
    assert norms == {"batch", "none"}


def test_smoke_is_small_and_short():
    cfg = composed("sweep=smoke")
    assert len(jobs("smoke")) == 4
    assert cfg.trainer.max_steps == 100


def test_a_study_takes_another_model_from_the_command_line():
    cfg = composed("sweep=rdfia_grid", "model=dcgan64")
    assert cfg.model.net.generator._target_ == "ganlab.nets.dcgan64.Generator"


def test_default_run_returns_no_objective():
    assert composed().optimized_metric is None


def test_joblib_launcher_composes():
    needs("joblib")
    launcher = composed("sweep=smoke", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert launcher.hydra.launcher._target_.endswith("JoblibLauncher")
    assert launcher.hydra.launcher.n_jobs == 2


def test_each_recipe_changes_what_its_name_says_and_nothing_else():
    default = composed("sweep=recipes", "+recipe=default")
    changes = {
        "dcgan_init": lambda c: (
            c.model.net.generator.init == c.model.net.discriminator.init == "dcgan"
        ),
        "ema": lambda c: c.model.ema.decay is not None,
        "hinge_sn": lambda c: c.model.loss == "hinge" and c.model.net.discriminator.spectral_norm,
        "ns_r1": lambda c: c.model.loss == "ns" and c.model.penalty == "r1",
        "wgan_gp28": lambda c: (
            c.model._target_ == "ganlab.models.WGAN"
            and c.model.net.generator._target_ == default.model.net.generator._target_
        ),
        "small_data": lambda c: c.data.limit == 1000 and c.model.augment is None,
        "small_data_diffaugment": lambda c: (
            c.data.limit == 1000 and list(c.model.augment) == ["translation", "cutout"]
        ),
    }
    assert not changes["ema"](default) and default.data.get("limit") is None
    for job in jobs("recipes"):
        (recipe,) = [override.partition("=")[2] for override in job]
        cfg = composed("sweep=recipes", *job)
        assert (cfg.trainer.max_steps, cfg.data.batch_size) == (2000, 64)
        assert recipe == "default" or changes[recipe](cfg), recipe
