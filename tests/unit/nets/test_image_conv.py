"""The image-side convolutions compute what nn.Conv2d / nn.ConvTranspose2d compute, with the
same first and second derivatives (WGAN-GP differentiates the input gradient again)."""

import pytest
import torch
from torch import nn

from ganlab.nets.image_conv import ImageConv2d, ImageConvTranspose2d, _InputGradOnTorchKernels

pytestmark = pytest.mark.usefixtures("one_thread")


def copy_as(module: nn.Module, cls: type) -> nn.Module:
    twin = cls.__new__(cls)
    twin.__dict__ = {**module.__dict__}
    return twin


def test_image_conv_matches_conv2d_values_and_gradients():
    torch.manual_seed(0)
    conv = ImageConv2d(1, 6, 5, stride=2, padding=2)
    reference = copy_as(conv, nn.Conv2d)
    x = torch.randn(4, 1, 12, 12, requires_grad=True)
    ours, theirs = conv(x), reference(x)
    assert torch.allclose(ours, theirs, atol=1e-5)
    grad = torch.randn_like(ours)
    got = torch.autograd.grad(ours, [x, conv.weight, conv.bias], grad)
    want = torch.autograd.grad(theirs, [x, reference.weight, reference.bias], grad)
    for a, b in zip(got, want, strict=True):
        assert torch.allclose(a, b, atol=1e-4)


def test_image_conv_passes_gradcheck_and_gradgradcheck():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(2, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(2, dtype=torch.float64, requires_grad=True)

    def conv(x, weight, bias):
        return _InputGradOnTorchKernels.apply(x, weight, bias, (2, 2), (1, 1), (1, 1), 1)

    assert torch.autograd.gradcheck(conv, (x, weight, bias))
    assert torch.autograd.gradgradcheck(conv, (x, weight, bias))


def test_gradient_penalty_through_image_conv_matches_conv2d():
    torch.manual_seed(0)
    critic = nn.Sequential(ImageConv2d(1, 4, 3, stride=2, padding=1), nn.Tanh(), nn.Flatten())
    reference = nn.Sequential(copy_as(critic[0], nn.Conv2d), nn.Tanh(), nn.Flatten())
    x = torch.randn(3, 1, 8, 8)

    def penalty_grads(net):
        points = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(net(points).sum(), points, create_graph=True)
        penalty = (grad.flatten(1).norm(dim=1) - 1).pow(2).mean()
        return torch.autograd.grad(penalty, list(net.parameters()))

    for a, b in zip(penalty_grads(critic), penalty_grads(reference), strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_under_bf16_autocast_gradients_keep_their_dtypes():
    conv = ImageConv2d(1, 4, 3, padding=1)
    x = torch.randn(2, 1, 8, 8, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = conv(x)
    assert y.dtype == torch.bfloat16
    y.float().sum().backward()
    assert x.grad.dtype == torch.float32 and conv.weight.grad.dtype == torch.float32


@pytest.mark.parametrize("channels", [1, 3, 8])
def test_image_conv_transpose_matches(channels):
    torch.manual_seed(0)
    layer = ImageConvTranspose2d(16, channels, 5, stride=2, padding=2, output_padding=1)
    reference = copy_as(layer, nn.ConvTranspose2d)
    x = torch.randn(2, 16, 7, 7)
    assert layer(x).shape == (2, channels, 14, 14)
    assert torch.allclose(layer(x), reference(x), atol=1e-5)
