"""Every preset builds networks that train at every size its family supports, the network
options reach the networks from the config, and the book's bricks DCGAN has the book's
parameter counts."""

import functools
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch import nn

from ganlab.run.config import CONF_DIR
from tests.helpers.parameters import keras_counts

CONF = Path(CONF_DIR)
MODELS = sorted(p.stem for p in (CONF / "model").glob("*.yaml"))
EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
CLASSES = 10

pytestmark = pytest.mark.usefixtures("one_thread")


@functools.cache
def composed(*overrides: str):
    """The composed config (cached: composing takes ~1 s here, building the networks less)."""
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


def build(cfg, shape):
    return instantiate(
        cfg.model,
        image_shape=list(shape),
        num_classes=CLASSES,
        class_names=[str(c) for c in range(CLASSES)],
        _recursive_=False,
    )


def trains_one_step(module, shape) -> None:
    """Generator → discriminator → backward: every parameter of both networks gets a
    finite gradient."""
    labels = torch.arange(2) if module.conditional else None
    images = module.generator(torch.randn(2, module.latent_dim), labels)
    assert images.shape == (2, *shape)
    real = module.discriminator(torch.rand(2, *shape) * 2 - 1, labels)
    fake = module.discriminator(images, labels)
    assert real.shape == fake.shape == (2,)
    (fake.mean() - real.mean()).backward()
    for network in (module.generator, module.discriminator):
        for name, parameter in network.named_parameters():
            assert parameter.grad is not None and parameter.grad.isfinite().all(), name


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 32, 32), (3, 32, 32), (1, 64, 64)])
@pytest.mark.parametrize("model", MODELS)
def test_every_model_preset_trains_at_every_size(model, shape):
    module = build(composed(f"model={model}"), shape)
    trains_one_step(module, shape)


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_builds_its_networks_for_its_data(experiment):
    cfg = composed(f"experiment={experiment}")
    shape = (cfg.data.get("channels", 1), cfg.data.image_size, cfg.data.image_size)
    module = build(cfg, shape)
    labels = torch.zeros(2, dtype=torch.long) if module.conditional else None
    assert module.generator(torch.randn(2, module.latent_dim), labels).shape == (2, *shape)


def test_network_options_reach_the_networks_from_the_config():
    cfg = composed(
        "model=dcgan64",
        "model.net.generator.init=dcgan",
        "model.net.generator.activation=relu",
        "model.net.generator.norm=none",
        "model.net.discriminator.bn_momentum=0.01",
        "model.net.discriminator.bn_eps=0.001",
        "model.net.discriminator.bias=false",
    )
    module = build(cfg, (1, 64, 64))
    generator, discriminator = module.generator, module.discriminator
    convs = [m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert convs[1].weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert any(isinstance(m, nn.ReLU) for m in generator.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in generator.modules())
    norms = [m for m in discriminator.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and {(m.momentum, m.eps) for m in norms} == {(0.01, 1e-3)}
    assert all(m.bias is None for m in discriminator.modules() if isinstance(m, nn.Conv2d))


def test_book_bricks_dcgan_has_the_books_parameter_counts():
    cfg = composed("experiment=book_dcgan_bricks")
    module = build(cfg, (cfg.data.channels, cfg.data.image_size, cfg.data.image_size))
    assert keras_counts(module.discriminator) == (2_765_312, 1_792)
    assert keras_counts(module.generator) == (3_576_576, 1_920)
    # and the Keras settings the book gets by default: momentum 0.9, epsilon 1e-3
    for network in (module.generator, module.discriminator):
        norms = [m for m in network.modules() if isinstance(m, nn.BatchNorm2d)]
        assert {(m.momentum, m.eps) for m in norms} == {(0.1, 1e-3)}
    for name in ("generator", "discriminator"):
        assert cfg.model.net[name].init == "glorot"


def test_book_bricks_resize_conv_generator_from_the_config():
    """The book's Example 4-6 variant: upsampling + convolution, the same parameter count."""
    cfg = composed("experiment=book_dcgan_bricks", "model.net.generator.upsampling=resize_conv")
    module = build(cfg, (cfg.data.channels, cfg.data.image_size, cfg.data.image_size))
    generator = module.generator
    assert sum(isinstance(m, nn.Upsample) for m in generator.modules()) == 4
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in generator.modules()) == 1
    assert keras_counts(generator) == (3_576_576, 1_920)
    assert all(m.bias is None for m in generator.modules() if isinstance(m, nn.Conv2d))
