"""Each network option, measured on the built module: initialisation statistics, batch-norm
settings, activations, normalisation, biases and dropout, on every family."""

import math

import pytest
import torch
from hydra.errors import InstantiationException
from torch import nn

from ganlab.nets import dcgan28, dcgan64, mlp
from ganlab.nets.build import TRANSFORMS, built, transformed

CONVS = (nn.Conv2d, nn.ConvTranspose2d)
WEIGHTED = (*CONVS, nn.Linear)
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)

# (module, image shape, generator kwargs, discriminator kwargs): full-width networks, so the
# initialisation statistics are measured on hundreds of thousands of weights
FAMILIES = {
    "dcgan28": (dcgan28, (1, 28, 28), {}, {"norm": "batch"}),
    "dcgan64": (dcgan64, (3, 64, 64), {}, {}),
    "mlp": (mlp, (1, 28, 28), {}, {"norm": "batch"}),
}


def networks(family: str, **options) -> tuple[nn.Module, nn.Module]:
    """The family's pair with `options`; `init` is applied as ganlab builds it."""
    module, shape, g_kwargs, d_kwargs = FAMILIES[family]
    build = {key: options.pop(key) for key in TRANSFORMS if key in options}
    torch.manual_seed(0)
    generator = transformed(module.Generator(100, shape, **g_kwargs, **options), build)
    discriminator = transformed(module.Discriminator(shape, **d_kwargs, **options), build)
    return generator, discriminator


def generator_of(family: str, **options) -> nn.Module:
    module, shape, g_kwargs, _ = FAMILIES[family]
    return module.Generator(100, shape, **g_kwargs, **options)


def layers(network: nn.Module, kinds) -> list[nn.Module]:
    return [m for m in network.modules() if isinstance(m, kinds)]


def keras_glorot_bound(layer: nn.Module) -> float:
    """Keras' glorot_uniform limit from its own kernel layout (kh, kw, in, out) / (in, out)."""
    if isinstance(layer, nn.Linear):
        fan_in, fan_out = layer.in_features, layer.out_features
    else:
        field = math.prod(layer.kernel_size)
        fan_in, fan_out = field * layer.in_channels, field * layer.out_channels
    return math.sqrt(6 / (fan_in + fan_out))


@pytest.mark.parametrize("family", FAMILIES)
def test_dcgan_init_is_normal_002_with_batch_norm_scales_around_one(family):
    for network in networks(family, init="dcgan"):
        weights = layers(network, WEIGHTED)
        largest = max(weights, key=lambda m: m.weight.numel())
        assert largest.weight.numel() > 100_000
        assert largest.weight.mean().item() == pytest.approx(0, abs=1e-3)
        assert largest.weight.std().item() == pytest.approx(0.02, rel=0.03)
        for layer in weights:
            assert layer.weight.std().item() == pytest.approx(0.02, rel=0.35)
            assert layer.bias is None or not layer.bias.any()
        norms = layers(network, BATCH_NORMS)
        assert norms
        scales = torch.cat([m.weight.detach() for m in norms])
        assert scales.mean().item() == pytest.approx(1, abs=0.005)
        assert scales.std().item() == pytest.approx(0.02, rel=0.15)
        assert not torch.cat([m.bias.detach() for m in norms]).any()


@pytest.mark.parametrize("family", FAMILIES)
def test_glorot_init_is_keras_uniform_with_zero_biases(family):
    for network in networks(family, init="glorot"):
        for layer in layers(network, WEIGHTED):
            bound = keras_glorot_bound(layer)
            weight = layer.weight.detach()
            assert weight.abs().max().item() <= bound
            if weight.numel() >= 10_000:
                assert weight.abs().max().item() > 0.99 * bound
                assert weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
            assert layer.bias is None or not layer.bias.any()
        for norm in layers(network, BATCH_NORMS):
            assert (norm.weight == 1).all() and not norm.bias.any()


def test_glorot_init_gives_a_label_embedding_keras_uniform_range():
    generator = dcgan28.Generator(8, (1, 28, 28), 10, label_mode="embedding")
    transformed(generator, {"init": "glorot"})
    table = generator.labels.embedding.weight.detach()
    assert table.abs().max().item() <= 0.05
    assert table.std().item() == pytest.approx(0.05 / math.sqrt(3), rel=0.3)


@pytest.mark.parametrize("family", FAMILIES)
def test_default_init_is_pytorchs_draw_for_draw(family):
    torch.manual_seed(0)
    plain = generator_of(family)
    explicit, _ = networks(family, init="default")
    for a, b in zip(plain.state_dict().values(), explicit.state_dict().values(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_norm_momentum_and_eps_reach_every_batch_norm(family):
    for network in networks(family, bn_momentum=0.01, bn_eps=1e-3):
        norms = layers(network, BATCH_NORMS)
        assert norms
        assert {(m.momentum, m.eps) for m in norms} == {(0.01, 1e-3)}
    for network in networks(family):
        assert {(m.momentum, m.eps) for m in layers(network, BATCH_NORMS)} == {(0.1, 1e-5)}


def test_keras_momentum_moves_the_running_mean_by_one_percent():
    """Keras' default momentum 0.99 is bn_momentum 0.01: one batch moves the running mean by
    1% of the batch mean."""
    generator = dcgan64.Generator(8, (1, 16, 16), base_channels=4, bn_momentum=0.01)
    first = generator.net[1]
    with torch.no_grad():
        features = generator.net[0](torch.randn(16, 8, 1, 1))
        generator.net[1](features)
    batch_mean = features.mean((0, 2, 3))
    assert torch.allclose(first.running_mean, 0.01 * batch_mean, atol=1e-6)


@pytest.mark.parametrize("family", FAMILIES)
def test_generator_activation_relu_replaces_leaky_relu(family):
    generator = generator_of(family, activation="relu")
    assert len(layers(generator, nn.ReLU)) >= 3
    assert not layers(generator, nn.LeakyReLU)
    generator = generator_of(family, activation="leaky_relu", negative_slope=0.03)
    assert {m.negative_slope for m in layers(generator, nn.LeakyReLU)} == {0.03}
    assert not layers(generator, nn.ReLU)


@pytest.mark.parametrize("family", ["dcgan28", "dcgan64"])
def test_generator_without_batch_norm_has_none_and_still_draws_images(family):
    module, shape, _, _ = FAMILIES[family]
    generator = module.Generator(16, shape, norm="none")
    assert not layers(generator, (*BATCH_NORMS, nn.GroupNorm, nn.LayerNorm, nn.InstanceNorm2d))
    images = generator(torch.randn(2, 16))
    assert images.shape == (2, *shape)


@pytest.mark.parametrize(
    ("family", "norm", "kind"),
    [
        ("dcgan28", "layer", (nn.LayerNorm, nn.GroupNorm)),
        ("dcgan64", "layer", nn.GroupNorm),
        ("dcgan64", "instance", nn.InstanceNorm2d),
        ("mlp", "layer", nn.LayerNorm),
    ],
)
def test_generator_norms(family, norm, kind):
    module, shape, _, _ = FAMILIES[family]
    generator = module.Generator(16, shape, norm=norm)
    assert layers(generator, kind) and not layers(generator, BATCH_NORMS)
    assert generator(torch.randn(2, 16)).shape == (2, *shape)


def test_a_vector_layer_refuses_instance_norm():
    with pytest.raises(ValueError, match="on fully connected features"):
        dcgan28.Generator(16, (1, 28, 28), norm="instance")


def test_dcgan64_bias_off_leaves_every_bias_out():
    for network in networks("dcgan64", bias=False):
        assert all(m.bias is None for m in layers(network, CONVS))
    # on: a bias wherever no normalisation follows, never before a batch norm
    generator, discriminator = networks("dcgan64")
    assert [m.bias is not None for m in layers(generator, CONVS)] == [False] * 4 + [True]
    assert [m.bias is not None for m in layers(discriminator, CONVS)] == [True] + [False] * 3 + [
        True
    ]
    critic = dcgan64.Discriminator((3, 64, 64), norm="none")
    assert all(m.bias is not None for m in layers(critic, CONVS))
    generator = dcgan64.Generator(100, (3, 64, 64), norm="none")
    assert all(m.bias is not None for m in layers(generator, CONVS))


def test_dcgan28_bias_switches_a_whole_network():
    generator, discriminator = networks("dcgan28")
    assert all(m.bias is None for m in layers(generator, WEIGHTED))
    assert all(m.bias is not None for m in layers(discriminator, WEIGHTED))
    generator = dcgan28.Generator(100, (1, 28, 28), bias=True)
    discriminator = dcgan28.Discriminator((1, 28, 28), bias=False)
    assert all(m.bias is not None for m in layers(generator, WEIGHTED))
    assert all(m.bias is None for m in layers(discriminator, WEIGHTED))


@pytest.mark.parametrize("family", ["dcgan28", "dcgan64"])
def test_discriminator_dropout(family):
    module, shape, _, _ = FAMILIES[family]
    dropouts = layers(module.Discriminator(shape, dropout=0.4), nn.Dropout)
    assert dropouts and {m.p for m in dropouts} == {0.4}
    assert {m.p for m in layers(module.Discriminator(shape, dropout=0.0), nn.Dropout)} == {0.0}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"init": "xavier"}, "init must be one of"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"bn_momentum": 1.5}, "bn_momentum must be in"),
        ({"bn_eps": 0.0}, "bn_eps must be > 0"),
        ({"norm": "group"}, "norm must be one of"),
    ],
)
@pytest.mark.parametrize("family", FAMILIES)
def test_bad_options_are_value_errors(family, options, message):
    module, shape, _, _ = FAMILIES[family]
    target = f"{module.__name__}.Generator"
    with pytest.raises((ValueError, InstantiationException), match=message):
        built({"_target_": target, **options}, latent_dim=8, image_shape=shape)
