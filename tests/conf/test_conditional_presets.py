"""The conditional presets say what they claim: conditioning on, the book's CGAN settings,
and the label input option reaching the networks."""

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from ganlab.nets.conditioning import LabelVector
from ganlab.run.config import CONF_DIR


def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


def build(cfg, shape, num_classes=2):
    return instantiate(
        cfg.model,
        image_shape=list(shape),
        num_classes=num_classes,
        class_names=[str(c) for c in range(num_classes)],
        _recursive_=False,
    )


@pytest.mark.parametrize("preset", ["cgan", "cdcgan", "cwgan_gp"])
def test_conditional_presets_condition(preset):
    assert composed(f"model={preset}").model.conditional is True


def test_book_cgan_experiment_is_the_notebook():
    cfg = composed("experiment=book_cgan_celeba_blond")
    model = cfg.model
    assert model._target_ == "ganlab.models.WGAN"
    assert (model.latent_dim, model.n_critic, model.penalty_weight) == (32, 3, 10.0)
    assert (model.optim.lr, model.optim.beta1, model.optim.beta2) == (5e-5, 0.5, 0.9)
    assert model.net.discriminator.norm == "none"
    assert cfg.data.condition_on == "Blond_Hair" and cfg.data.batch_size == 128
    assert (cfg.data.image_size, cfg.data.channels, cfg.data.crop) == (64, 3, None)
    assert cfg.trainer.max_steps == 2000

    module = build(cfg, (3, 64, 64))
    widths = [
        m.out_channels
        for m in module.generator.modules()
        if isinstance(m, torch.nn.ConvTranspose2d)
    ]
    assert widths == [128, 128, 128, 64, 3]
    # z (32) and the one-hot label (2) enter the first transposed convolution
    assert module.generator.net[0].in_channels == 34
    critic = [m for m in module.discriminator.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in critic] == [64, 128, 128, 128, 1]
    # three image channels plus one constant plane per class
    assert critic[0].in_channels == 5
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in module.discriminator.modules())


@pytest.mark.parametrize(("preset", "size"), [("cgan", 28), ("cdcgan", 28), ("cwgan_gp", 32)])
def test_label_mode_embedding_reaches_both_networks(preset, size):
    cfg = composed(
        f"model={preset}",
        "model.net.generator.label_mode=embedding",
        "model.net.discriminator.label_mode=embedding",
        "model.net.discriminator.conditioning=concat",  # a projection embeds the label itself
    )
    module = build(cfg, (1, size, size), num_classes=10)
    for network in (module.generator, module.discriminator):
        vectors = [m for m in network.modules() if isinstance(m, LabelVector)]
        assert [v.mode for v in vectors] == ["embedding"]
        assert isinstance(vectors[0].embedding, torch.nn.Embedding)


@pytest.mark.parametrize("experiment", ["rdfia_cgan_mnist", "rdfia_cdcgan_mnist"])
def test_rdfia_experiments_are_the_study_baseline(experiment):
    cfg = composed(f"experiment={experiment}")
    assert cfg.model.conditional is True
    assert (cfg.model.latent_dim, cfg.model.optim.lr, cfg.model.optim.beta1) == (100, 2e-4, 0.5)
    assert cfg.data._target_ == "ganlab.data.mnist.MNISTDataModule"
    assert cfg.data.batch_size == 128
    # the sources concatenate the label (model=cdcgan's discriminator projects it)
    assert cfg.model.net.discriminator.conditioning == "concat"
    assert (cfg.model.loss, cfg.model.net.discriminator.spectral_norm) == ("ns", False)
