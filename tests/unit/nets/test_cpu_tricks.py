"""`cpu_tricks` is one switch: on, the image-side layers are ganlab's CPU routings; off, every
layer is a stock torch.nn one, computing the same function."""

import pytest
import torch
from hydra import compose, initialize_config_dir
from torch import nn

from ganlab.bench.plain import copy_networks
from ganlab.nets import dcgan28, dcgan64
from ganlab.nets.build import transformed
from ganlab.nets.image_conv import ImageConv2d, ImageConvTranspose2d
from ganlab.nets.layers import Dropout
from ganlab.run.config import CONF_DIR
from ganlab.run.fit import build_model

pytestmark = pytest.mark.usefixtures("one_thread")
TRICKS = (ImageConv2d, ImageConvTranspose2d, Dropout)


def ganlab_layers(net: nn.Module) -> list[str]:
    return [type(m).__name__ for m in net.modules() if isinstance(m, TRICKS)]


def only_stock_leaves(net: nn.Module) -> bool:
    leaves = [m for m in net.modules() if not list(m.children())]
    return all(type(m).__module__.startswith("torch.nn") for m in leaves)


@pytest.mark.parametrize(
    ("family", "size"), [(dcgan28, 28), (dcgan64, 32)], ids=["dcgan28", "dcgan64"]
)
def test_switch_chooses_the_layers_not_the_function(family, size):
    torch.manual_seed(0)
    shape = (1, size, size)
    nets = {
        on: (
            transformed(family.Generator(8, shape), {"cpu_tricks": on}),
            transformed(family.Discriminator(shape, dropout=0.3), {"cpu_tricks": on}),
        )
        for on in (True, False)
    }
    assert ganlab_layers(nets[True][0]) == ["ImageConvTranspose2d"]
    assert set(ganlab_layers(nets[True][1])) == {"ImageConv2d", "Dropout"}
    assert all(only_stock_leaves(net) for net in nets[False])
    for tricked, plain in zip(nets[True], nets[False], strict=True):
        plain.load_state_dict(tricked.state_dict())
        tricked.eval(), plain.eval()
    z = torch.randn(4, 8)
    images = nets[True][0](z)
    torch.testing.assert_close(images, nets[False][0](z))
    image = images.detach().requires_grad_(True)
    score = nets[True][1](image).sum()
    (tricked_grad,) = torch.autograd.grad(score, image)
    image = images.detach().requires_grad_(True)
    (plain_grad,) = torch.autograd.grad(nets[False][1](image).sum(), image)
    torch.testing.assert_close(tricked_grad, plain_grad)


def compose_model(*overrides: str):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("train", overrides=list(overrides))

    class Shape:
        image_shape, num_classes, class_names = (1, 28, 28), 10, []

    return build_model(cfg, Shape())


def test_the_config_key_reaches_every_network():
    assert ganlab_layers(compose_model().discriminator)
    off = compose_model("cpu_tricks=false")
    assert only_stock_leaves(off.generator) and only_stock_leaves(off.discriminator)


def test_the_benchmark_contender_is_built_from_stock_layers():
    module = compose_model()
    assert ganlab_layers(module.generator)
    generator, discriminator = copy_networks(module, "cpu")
    assert only_stock_leaves(generator) and only_stock_leaves(discriminator)
