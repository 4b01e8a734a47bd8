"""Spectral normalisation as a network option: on every weighted layer of every family, each
normalised weight's largest singular value is 1 after power iterations, and the option survives
compile, a checkpoint and an export."""

import copy
import io

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganlab.nets import dcgan28, dcgan64, mlp, three_conv28
from ganlab.nets.build import transformed
from ganlab.nets.export import SAVERS, example_inputs, standalone_generator
from ganlab.nets.spectral import NORMALISED

pytestmark = pytest.mark.usefixtures("one_thread")

# small networks: the test runs 50 power iterations (measured: the largest
# singular value within 0.004 of 1 after them)
FAMILIES = {
    "dcgan28": (dcgan28, (1, 8, 8), {}),
    "dcgan64": (dcgan64, (3, 12, 12), {"base_channels": 4, "max_channels": 8}),
    "mlp": (mlp, (1, 8, 8), {}),
    "three_conv28": (three_conv28, (1, 8, 8), {}),
}
MLP_WIDTHS = {"generator": {"hidden": (16, 32)}, "discriminator": {"hidden": (32, 16)}}


def pair(family: str, num_classes: int = 0, **options) -> tuple[nn.Module, nn.Module]:
    module, shape, sizes = FAMILIES[family]
    g_sizes = MLP_WIDTHS["generator"] if family == "mlp" else sizes
    d_sizes = MLP_WIDTHS["discriminator"] if family == "mlp" else sizes
    torch.manual_seed(0)
    generator = module.Generator(8, shape, num_classes=num_classes, **g_sizes)
    generator = transformed(generator, options)
    discriminator = module.Discriminator(shape, num_classes=num_classes, **d_sizes)
    return generator, transformed(discriminator, options)


def weighted(network: nn.Module) -> list[nn.Module]:
    return [m for m in network.modules() if isinstance(m, NORMALISED)]


def largest_singular_value(layer: nn.Module) -> float:
    """σ₁ of the weight as a matrix, rows the dimension torch normalises over (a transposed
    convolution's output channels, its dim 1; every other layer's dim 0)."""
    weight = layer.weight.detach()
    if isinstance(layer, nn.ConvTranspose2d):
        weight = weight.transpose(0, 1)
    return torch.linalg.matrix_norm(weight.flatten(1), ord=2).item()


def train_forwards(generator: nn.Module, discriminator: nn.Module, count: int) -> None:
    """`count` forward passes in train mode: one power iteration per normalised layer each."""
    generator.train(), discriminator.train()
    labels = torch.arange(4) % 3 if generator.num_classes else None
    with torch.no_grad():
        for _ in range(count):
            discriminator(generator(torch.randn(4, 8), labels), labels)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("num_classes", [0, 3])
def test_every_weighted_layer_is_normalised_to_unit_spectral_norm(family, num_classes):
    plain_g, plain_d = pair(family, num_classes)
    generator, discriminator = pair(family, num_classes, spectral_norm=True)
    unnormalised = [largest_singular_value(m) for m in weighted(plain_g) + weighted(plain_d)]
    assert max(abs(sigma - 1) for sigma in unnormalised) > 0.3
    train_forwards(generator, discriminator, 50)
    for network in (generator, discriminator):
        layers = weighted(network)
        assert len(layers) == len(weighted(plain_d if network is discriminator else plain_g))
        for layer in layers:
            assert parametrize.is_parametrized(layer, "weight")
            assert largest_singular_value(layer) == pytest.approx(1.0, abs=1e-2)


def test_off_by_default_and_the_same_network_as_before():
    plain_g, plain_d = pair("dcgan28")
    generator, discriminator = pair("dcgan28", spectral_norm=False)
    for before, after in ((plain_g, generator), (plain_d, discriminator)):
        assert not any(parametrize.is_parametrized(m) for m in after.modules())
        assert before.state_dict().keys() == after.state_dict().keys()


def test_the_trained_parameter_is_the_unnormalised_weight():
    # what an optimizer, DDP and a checkpoint see: original weight + power-iteration buffers
    _, discriminator = pair("dcgan28", spectral_norm=True)
    names = dict(discriminator.named_parameters())
    assert "classify.parametrizations.weight.original" in names
    assert "classify.weight" not in names
    vectors = {f"classify.parametrizations.weight.0.{name}" for name in ("_u", "_v")}
    assert vectors <= dict(discriminator.named_buffers()).keys()


def test_eval_mode_holds_the_weights_still():
    generator, discriminator = pair("dcgan64", spectral_norm=True)
    generator.eval(), discriminator.eval()
    before = [layer.weight.clone() for layer in weighted(discriminator)]
    with torch.no_grad():
        discriminator(generator(torch.randn(4, 8)))
    after = [layer.weight for layer in weighted(discriminator)]
    assert all(torch.equal(b, a) for b, a in zip(before, after, strict=True))


def test_not_a_boolean_is_refused():
    with pytest.raises(ValueError, match="spectral_norm must be true or false, got 'yes'"):
        pair("mlp", spectral_norm="yes")


def test_compiled_discriminator_matches_eager_and_keeps_iterating():
    # aot_eager: AOTAutograd without a C++ toolchain (inductor measured equal to 1e-7)
    torch.manual_seed(0)
    eager = mlp.Discriminator((1, 8, 8), hidden=(32, 16), dropout=0.0)
    transformed(eager, {"spectral_norm": True})
    compiled = copy.deepcopy(eager)
    compiled.compile(backend="aot_eager")
    images = torch.randn(4, 1, 8, 8)
    power_iteration = compiled.body[0].parametrizations.weight[0]
    u_start = power_iteration._u.clone()
    for _ in range(2):
        eager_out, compiled_out = eager(images), compiled(images)
        eager_out.sum().backward()
        compiled_out.sum().backward()
        assert torch.allclose(eager_out, compiled_out, atol=1e-6)
    for name, buffer in compiled.named_buffers():
        assert torch.allclose(buffer, dict(eager.named_buffers())[name], atol=1e-6), name
    assert not torch.equal(power_iteration._u, u_start)
    eager_grads = {n: p.grad for n, p in eager.named_parameters()}
    for name, parameter in compiled.named_parameters():
        assert torch.allclose(parameter.grad, eager_grads[name], atol=1e-6), name


@pytest.mark.parametrize("fmt", SAVERS)
def test_a_normalised_generator_exports(fmt):
    generator, discriminator = pair("dcgan28", spectral_norm=True)
    train_forwards(generator, discriminator, 3)
    file = io.BytesIO()
    SAVERS[fmt](standalone_generator(generator, 0), example_inputs(8, 0), {}, file)
    file.seek(0)
    loaded = torch.jit.load(file) if fmt == "torchscript" else torch.export.load(file).module()
    z = torch.randn(5, 8)
    with torch.no_grad():
        assert torch.allclose(loaded(z), generator.eval()(z), atol=1e-6)
