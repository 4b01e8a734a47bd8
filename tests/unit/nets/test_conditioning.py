"""Every network family, with one-hot or embedded labels, really uses the label."""

import importlib

import pytest
import torch

from ganlab.errors import UsageError
from ganlab.nets import dcgan28, dcgan64, mlp
from ganlab.nets.build import build_pair
from ganlab.nets.conditioning import ClassBatchNorm, LabelPlanes, LabelVector

FAMILIES = {
    "mlp": (mlp, (1, 28, 28), {"hidden": [16, 32]}, {"hidden": [32, 16]}),
    "mlp-label-layer": (
        mlp,
        (1, 28, 28),
        {"hidden": [16, 32], "label_features": 8},
        {"hidden": [32, 16], "label_features": 8},
    ),
    "dcgan28": (dcgan28, (1, 28, 28), {}, {}),
    "dcgan64": (dcgan64, (3, 32, 32), {"base_channels": 8}, {"base_channels": 8, "norm": "none"}),
}
MODES = ("onehot", "embedding")
CLASSES = 4


def pair(family: str, mode: str):
    module, shape, g_kwargs, d_kwargs = FAMILIES[family]
    torch.manual_seed(0)
    generator = module.Generator(8, shape, CLASSES, label_mode=mode, **g_kwargs)
    discriminator = module.Discriminator(shape, CLASSES, label_mode=mode, **d_kwargs)
    return generator.eval(), discriminator.eval(), shape


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", FAMILIES)
def test_with_fixed_z_the_label_changes_the_image(family, mode):
    generator, _, _ = pair(family, mode)
    z = torch.randn(1, 8).expand(CLASSES, -1)
    with torch.no_grad():
        images = generator(z, torch.arange(CLASSES))
    for a in range(CLASSES):
        for b in range(a + 1, CLASSES):
            assert (images[a] - images[b]).abs().max() > 1e-4, (a, b)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", FAMILIES)
def test_discriminator_output_depends_on_the_label(family, mode):
    _, discriminator, shape = pair(family, mode)
    label_input = []

    def track(module, inputs, output):
        """Keep the gradient of the label vector/planes the network sees (a one-hot input
        becomes a leaf that takes gradients)."""
        if output.requires_grad:
            output.retain_grad()
        else:
            output = output.clone().requires_grad_(True)
        label_input.append(output)
        return output

    discriminator.labels.register_forward_hook(track)
    images = torch.randn(CLASSES, *shape).clamp(-1, 1)
    labels = torch.tensor([0, 1, 2, 3])
    scores = discriminator(images, labels)
    scores.sum().backward()
    gradient = label_input[0].grad
    assert gradient is not None
    # every sample's score moves with its own label input
    assert (gradient.flatten(1).abs().sum(1) > 0).all()
    if mode == "embedding":
        (vector,) = [m for m in discriminator.modules() if isinstance(m, LabelVector)]
        assert vector.embedding.weight.grad.abs().sum(1).gt(0).all()
    # and the same image scores differently under another label
    with torch.no_grad():
        same = images[:1].expand(CLASSES, *shape)
        assert discriminator(same, labels).unique().numel() == CLASSES


def test_embedding_sizes_and_one_hot_values():
    one_hot = LabelVector(5, "onehot")
    assert one_hot(torch.tensor([2])).tolist() == [[0, 0, 1, 0, 0]]
    assert LabelVector(5, "embedding", embed_dim=3)(torch.tensor([1, 4])).shape == (2, 3)
    planes = LabelPlanes(5, "onehot")(torch.tensor([3]), 4, 6)
    assert planes.shape == (1, 5, 4, 6)
    assert planes[0, 3].eq(1).all() and planes[0, [0, 1, 2, 4]].eq(0).all()
    with pytest.raises(ValueError, match="onehot' or 'embedding"):
        LabelVector(5, "bits")


@pytest.mark.parametrize("family", FAMILIES)
def test_conditional_networks_refuse_missing_labels_and_unconditional_refuse_labels(family):
    module, shape, g_kwargs, _ = FAMILIES[family]
    conditional = module.Generator(8, shape, CLASSES, **g_kwargs)
    with pytest.raises(ValueError, match="pass class labels"):
        conditional(torch.randn(2, 8))
    unconditional = module.Generator(8, shape, 0, **g_kwargs)
    with pytest.raises(ValueError, match="takes no labels"):
        unconditional(torch.randn(2, 8), torch.tensor([0, 1]))


CONDITIONED = {
    "dcgan28": ("ganlab.nets.dcgan28", (1, 28, 28), {}),
    "dcgan64": ("ganlab.nets.dcgan64", (1, 32, 32), {"base_channels": 8, "max_channels": 16}),
    "three_conv28": ("ganlab.nets.three_conv28", (1, 28, 28), {}),
    "mlp": ("ganlab.nets.mlp", (1, 28, 28), {"hidden": (32, 16)}),
}


def built_pair(family: str, generator: str, discriminator: str, **g_options):
    module, shape, sizes = CONDITIONED[family]
    torch.manual_seed(0)
    g_sizes = {"hidden": (16, 32)} if family == "mlp" else sizes
    net = {
        "generator": {
            "_target_": f"{module}.Generator",
            "conditioning": generator,
            **g_sizes,
            **g_options,
        },
        "discriminator": {
            "_target_": f"{module}.Discriminator",
            "conditioning": discriminator,
            "dropout": 0.0,
            **sizes,
        },
    }
    g, d = build_pair(net, 8, shape, 10)
    return g.eval(), d.eval(), shape


@pytest.mark.parametrize("family", CONDITIONED)
def test_none_takes_the_labels_and_ignores_them(family):
    generator, discriminator, shape = built_pair(family, "none", "none")
    z, images = torch.randn(4, 8), torch.rand(4, *shape) * 2 - 1
    zeros, nines = torch.zeros(4, dtype=torch.long), torch.full((4,), 9)
    with torch.no_grad():
        assert torch.equal(generator(z, zeros), generator(z, nines))
        assert torch.equal(discriminator(images, zeros), discriminator(images, nines))
    with pytest.raises(ValueError, match="this network is conditional: pass class labels"):
        generator(z)
    assert not any(isinstance(m, (LabelVector, LabelPlanes)) for m in generator.modules())


@pytest.mark.parametrize("family", CONDITIONED)
def test_projection_adds_a_class_term_that_starts_at_zero(family):
    _, concat, shape = built_pair(family, "concat", "none")
    _, projected, _ = built_pair(family, "concat", "projection")
    images = torch.rand(4, *shape) * 2 - 1
    labels = torch.tensor([0, 3, 5, 9])
    with torch.no_grad():
        untrained = projected(images, labels)
        for p in projected.parameters():  # only the projection's embedding differs from 'none'
            if p.ndim == 2 and p.shape[0] == 10:
                p.normal_()
        trained = projected(images, labels)
        swapped = projected(images, labels.flip(0))
    assert torch.allclose(untrained, concat(images, labels), atol=1e-6)  # same weights, term 0
    assert not torch.allclose(trained, swapped)  # the class now changes the score


def test_a_conditioning_a_network_cannot_take_is_a_usage_error():
    generators = r"\('concat', 'none', 'batch_norm'\)"
    with pytest.raises(UsageError, match=rf"conditioning must be one of {generators}"):
        built_pair("dcgan28", "projection", "concat")
    with pytest.raises(UsageError, match=r"one of \('concat', 'none', 'projection'\)"):
        built_pair("dcgan28", "concat", "batch_norm")


@pytest.mark.parametrize("init", ["default", "dcgan", "glorot"])
@pytest.mark.parametrize("family", CONDITIONED)
def test_class_batch_norm_starts_as_plain_batch_norm_and_learns_per_class(family, init):
    generator, _, _ = built_pair(family, "batch_norm", "concat", init=init)
    norms = [m for m in generator.modules() if isinstance(m, ClassBatchNorm)]
    assert norms and not any(isinstance(m, (LabelVector, LabelPlanes)) for m in generator.modules())
    for norm in norms:  # one gain and bias per class and channel, 1 and 0 whatever the init
        assert norm.gain.shape == norm.bias.shape == (10, norm.norm.num_features)
        assert norm.gain.eq(1).all() and norm.bias.eq(0).all() and not norm.norm.affine
    z, labels = torch.randn(4, 8), torch.tensor([0, 3, 5, 9])
    with torch.no_grad():  # untrained, the class changes nothing (batch statistics here)
        assert torch.equal(generator.train()(z, labels), generator(z, labels.flip(0)))
        for norm in norms:
            norm.gain.normal_(1.0, 0.5)
            norm.bias.normal_()
        trained = generator.eval()(z[:1].expand(4, -1), labels)
    for a in range(4):  # the same z under each class: four different images
        for b in range(a + 1, 4):
            assert (trained[a] - trained[b]).abs().max() > 1e-4, (a, b)
    # the class's gain and bias reach the parameters through the loss
    generator.zero_grad()
    generator.train()(torch.randn(4, 8), labels).square().sum().backward()
    assert norms[0].gain.grad[labels].abs().sum(1).gt(0).all()
    assert norms[0].gain.grad[[1, 2]].eq(0).all()  # classes not in the batch: no gradient


@pytest.mark.parametrize("family", CONDITIONED)
def test_class_batch_norm_without_batch_norm_is_one_clear_error(family):
    with pytest.raises(UsageError, match=r"norm is 'none': set model.net.generator.norm=batch"):
        built_pair(family, "batch_norm", "concat", norm="none")


def test_an_unconditional_generator_keeps_its_plain_batch_norm():
    module = importlib.import_module(CONDITIONED["dcgan28"][0])
    generator = module.Generator(8, (1, 28, 28), 0, conditioning="batch_norm")
    assert not any(isinstance(m, ClassBatchNorm) for m in generator.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) and m.affine for m in generator.modules())
