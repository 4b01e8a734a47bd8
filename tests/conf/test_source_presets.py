"""Each source preset builds the source's networks: its parameter counts (Keras' model
summaries, PyTorch's sums), its initialisation, batch-norm settings and biases."""

import functools

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from torch import nn

from ganlab.run.config import CONF_DIR
from tests.helpers.parameters import keras_counts, torch_count

pytestmark = pytest.mark.usefixtures("one_thread")


@functools.cache
def composed(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose("train", overrides=list(overrides))


@functools.cache
def built(experiment: str, num_classes: int = 0):
    cfg = composed(f"experiment={experiment}")
    shape = [cfg.data.get("channels", 1), cfg.data.image_size, cfg.data.image_size]
    return cfg, instantiate(
        cfg.model,
        image_shape=shape,
        num_classes=num_classes,
        class_names=[str(c) for c in range(num_classes)],
        _recursive_=False,
    )


def batch_norms(network: nn.Module) -> set[tuple[float, float]]:
    return {
        (m.momentum, m.eps)
        for m in network.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    }


def weighted(network: nn.Module) -> list[nn.Module]:
    return [
        m for m in network.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))
    ]


def glorot_bound(layer: nn.Module) -> float:
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
    return (6 / (fan_in + fan_out)) ** 0.5


def assert_keras_init(network: nn.Module) -> None:
    """Glorot-uniform kernels (the largest weight near the bound) and zero biases."""
    for layer in weighted(network):
        bound = glorot_bound(layer)
        assert layer.weight.abs().max().item() == pytest.approx(bound, rel=0.05)
        assert layer.bias is None or not layer.bias.any()


# (experiment, classes): (generator, discriminator) counts as Keras' summaries print them
KERAS_COUNTS = {
    # the TensorFlow tutorial's summaries
    ("tf_tutorial_mnist", 0): ((2_330_944, 25_472), (212_865, 0)),
    # from the book notebooks' layers (the published notebooks have their outputs cleared)
    ("book_wgan_gp_celeba", 0): ((3_808_003, 1_920), (2_764_737, 0)),
    ("book_cgan_celeba_blond", 2): ((729_859, 896), (662_977, 0)),
    # from the Keras code the report's layer list matches (GANs in Action, chapter 4)
    ("report_dcgan_mnist", 0): ((1_637_121, 384), (95_489, 384)),
}


@pytest.mark.parametrize(("experiment", "classes"), list(KERAS_COUNTS))
def test_keras_presets_have_the_sources_parameter_counts_and_settings(experiment, classes):
    cfg, module = built(experiment, classes)
    generator, discriminator = KERAS_COUNTS[experiment, classes]
    assert keras_counts(module.generator) == generator
    assert keras_counts(module.discriminator) == discriminator
    for network in (module.generator, module.discriminator):
        assert_keras_init(network)
    assert cfg.model.optim.eps == 1e-7


def test_tf_tutorial_preset_is_the_notebook():
    cfg, module = built("tf_tutorial_mnist")
    assert batch_norms(module.generator) == {(0.01, 1e-3)}
    assert all(layer.bias is None for layer in weighted(module.generator))
    assert all(layer.bias is not None for layer in weighted(module.discriminator))
    slopes = {m.negative_slope for m in module.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.3}
    dropouts = {m.p for m in module.discriminator.modules() if isinstance(m, nn.Dropout)}
    assert dropouts == {0.3}
    assert cfg.model["update"] == "simultaneous" and cfg.data.splits == ["train"]
    assert (cfg.model.optim.lr, cfg.model.optim.beta1, cfg.model.optim.beta2) == (1e-4, 0.9, 0.999)
    assert (cfg.data.batch_size, cfg.trainer.max_epochs) == (256, 50)
    assert cfg.callbacks.sample_grid.nrow == 4 and cfg.model.sample_count == 16  # a 4x4 plot


@pytest.mark.parametrize(
    ("experiment", "classes"), [("book_wgan_gp_celeba", 0), ("book_cgan_celeba_blond", 2)]
)
def test_book_wgan_presets_have_the_notebooks_batch_norm_and_biases(experiment, classes):
    _, module = built(experiment, classes)
    assert batch_norms(module.generator) == {(0.1, 1e-3)}
    assert batch_norms(module.discriminator) == set()
    convs = weighted(module.generator)
    assert all(layer.bias is None for layer in convs[:-1]) and convs[-1].bias is not None
    assert all(layer.bias is not None for layer in weighted(module.discriminator))


@pytest.mark.parametrize(
    ("experiment", "antialias"),
    [
        ("book_dcgan_bricks", False),
        ("book_wgan_gp_celeba", False),
        ("book_cgan_celeba_blond", False),
        ("rdfia_dcgan_celeba", True),
    ],
)
def test_image_presets_resize_as_their_sources(experiment, antialias):
    """Keras' image_dataset_from_directory resizes without antialiasing; the PyTorch
    tutorial's torchvision Resize on PIL images with it."""
    data = instantiate(composed(f"experiment={experiment}").data, root="unused", num_workers=0)
    assert data.antialias is antialias


def test_rdfia_face_dcgan_is_the_pytorch_tutorial():
    cfg, module = built("rdfia_dcgan_celeba")
    # the tutorial's netG and netD, summed as PyTorch code sums them
    assert torch_count(module.generator) == 3_576_704
    assert torch_count(module.discriminator) == 2_765_568
    for network in (module.generator, module.discriminator):
        layers = weighted(network)
        assert all(layer.bias is None for layer in layers)
        weights = torch.cat([layer.weight.flatten() for layer in layers])
        assert weights.std().item() == pytest.approx(0.02, rel=0.02)
        scales = torch.cat([m.weight for m in network.modules() if isinstance(m, nn.BatchNorm2d)])
        assert scales.mean().item() == pytest.approx(1.0, abs=0.005)
        assert batch_norms(network) == {(0.1, 1e-5)}
    assert any(isinstance(m, nn.ReLU) for m in module.generator.modules())
    assert not any(isinstance(m, nn.LeakyReLU) for m in module.generator.modules())
    assert {
        m.negative_slope for m in module.discriminator.modules() if isinstance(m, nn.LeakyReLU)
    } == {0.2}
    assert all(m.p == 0 for m in module.discriminator.modules() if isinstance(m, nn.Dropout))
    assert module.reuse_fakes and module.hparams["update"] == "alternating"
    optim = cfg.model.optim
    assert (optim.lr, optim.beta1, optim.beta2, cfg.model.latent_dim) == (2e-4, 0.5, 0.999, 100)
    data = cfg.data
    assert (data.image_size, data.crop, data.batch_size) == (64, 178, 128)
    assert list(data.splits) == ["train", "valid", "test"] and cfg.trainer.max_epochs == 5


def test_report_dcgan_has_the_reports_shapes():
    cfg, module = built("report_dcgan_mnist")
    grid = cfg.callbacks.sample_grid
    assert (grid.nrow, grid.every_n_steps, cfg.model.sample_count) == (4, 1000, 16)
    images = module.generator(torch.randn(2, 100))
    assert images.shape == (2, 1, 28, 28)
    maps = []
    for layer in module.discriminator.features:
        images = layer(images)
        if isinstance(layer, nn.Conv2d):
            maps.append(tuple(images.shape[1:]))
    # 3x3 'same' kernels: the last map is 4x4x128 (the report writes 3x3x128)
    assert maps == [(32, 14, 14), (64, 7, 7), (128, 4, 4)]
    norms = [m for m in module.discriminator.features if isinstance(m, nn.BatchNorm2d)]
    assert [m.num_features for m in norms] == [64, 128]
    assert not module.reuse_fakes


def test_slope_003_preset_is_the_tutorial_with_a_gentler_slope():
    base, tutorial = built("tf_tutorial_mnist")
    cfg, module = built("report_slope003_mnist")
    slopes = {m.negative_slope for m in module.modules() if isinstance(m, nn.LeakyReLU)}
    assert slopes == {0.03}
    assert keras_counts(module.generator) == keras_counts(tutorial.generator)
    assert cfg.model.optim == base.model.optim and cfg.data == base.data


@pytest.mark.parametrize(
    ("experiment", "steps"), [("rdfia_cdcgan_mnist", 8000), ("rdfia_cgan_mnist", 4200)]
)
def test_rdfia_conditional_presets_run_the_reports_iterations(experiment, steps):
    cfg = composed(f"experiment={experiment}")
    assert (cfg.trainer.max_steps, cfg.trainer.max_epochs) == (steps, -1)
