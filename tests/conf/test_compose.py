"""Every preset composes and builds its networks for the data it names."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from ganlab.run.config import CONF_DIR

CONF = Path(CONF_DIR)
MODELS = sorted(p.stem for p in (CONF / "model").glob("*.yaml"))
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides), return_hydra_config=False)


@pytest.mark.parametrize("model", MODELS)
def test_model_presets_share_the_common_keys(model):
    cfg = composed(f"model={model}")
    for key in ("latent_dim", "optim.lr", "optim.beta1", "optim.beta2"):
        assert cfg.model.get(key.split(".")[0]) is not None, key
    assert cfg.model.optim.lr > 0


@pytest.mark.parametrize("model", MODELS)
def test_model_presets_build(model):
    cfg = composed(f"model={model}")
    size = 64 if "dcgan64" in cfg.model.net.generator._target_ else 28
    module = instantiate(
        cfg.model,
        image_shape=[1, size, size],
        num_classes=10,
        class_names=[str(i) for i in range(10)],
        _recursive_=False,
    )
    assert module.generator is not None and module.discriminator is not None


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiments_compose(experiment):
    cfg = composed(f"experiment={experiment}")
    assert cfg.model._target_ and cfg.data._target_


def test_tf_tutorial_experiment_is_the_tutorial():
    cfg = composed("experiment=tf_tutorial_mnist")
    assert cfg.model["update"] == "simultaneous"
    assert (cfg.model.optim.lr, cfg.model.optim.beta1) == (1e-4, 0.9)
    assert cfg.data.batch_size == 256 and cfg.trainer.max_epochs == 50


@pytest.mark.fault
def test_runs_started_in_the_same_second_get_their_own_folders():
    """The default folder names carry microseconds: two jobs launched together never meet."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        folders = [compose("train", return_hydra_config=True).hydra.run.dir for _ in range(2)]
    assert folders[0] != folders[1] and all(f.startswith("outputs/train/runs/") for f in folders)
