"""The three-convolution 28x28 pair builds every multiple of 4, conditional or not, and its
options reach the layers."""

import pytest
import torch
from torch import nn

from ganlab.nets.build import transformed
from ganlab.nets.three_conv28 import Discriminator, Generator

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize(
    ("shape", "classes"), [((1, 28, 28), 0), ((3, 32, 32), 0), ((1, 28, 28), 10)]
)
def test_builds_and_back_propagates_at_its_sizes(shape, classes):
    generator = Generator(8, shape, num_classes=classes)
    discriminator = Discriminator(shape, num_classes=classes)
    labels = torch.arange(2) if classes else None
    images = generator(torch.randn(2, 8), labels)
    assert images.shape == (2, *shape)
    logits = discriminator(images, labels)
    assert logits.shape == (2,)
    logits.mean().backward()
    assert all(p.grad is not None for p in generator.parameters())


def test_a_size_it_cannot_build_names_the_sizes_it_can():
    with pytest.raises(ValueError, match="divisible by 4 and >= 8"):
        Generator(8, (1, 30, 30))
    with pytest.raises(ValueError, match="divisible by 4 and >= 8"):
        Discriminator((1, 30, 30))


def test_options_reach_the_layers():
    generator = Generator(8, (1, 28, 28), activation="relu", norm="none", bias=False)
    transformed(generator, {"init": "dcgan"})
    assert not any(isinstance(m, nn.BatchNorm2d) for m in generator.modules())
    assert any(isinstance(m, nn.ReLU) for m in generator.modules())
    layers = [m for m in generator.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d))]
    assert all(m.bias is None for m in layers)
    assert layers[0].weight.std().item() == pytest.approx(0.02, rel=0.05)
    discriminator = Discriminator((1, 28, 28), dropout=0.4, bn_momentum=0.1, bn_eps=1e-5)
    norms = [m for m in discriminator.modules() if isinstance(m, nn.BatchNorm2d)]
    assert {(m.momentum, m.eps) for m in norms} == {(0.1, 1e-5)}
    assert {m.p for m in discriminator.modules() if isinstance(m, nn.Dropout)} == {0.4}
