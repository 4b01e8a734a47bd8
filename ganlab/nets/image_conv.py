"""The convolutions next to the image (1 or 3 channels), routed around a slow oneDNN kernel.

On the CPU, oneDNN computes a convolution whose result has only a few channels - the
generator's last transposed convolution, and the discriminator's first convolution's gradient
with respect to its input image - at ~7 GFLOP/s on a Xeon, where its wide layers run at ~170:
20-25 ms each of a 0.85 s MNIST DCGAN step on one core. torch's own im2col kernels take
3-7 ms for the same results. Only these two computations are routed; every other convolution
(and every device but the CPU) stays where torch puts it.

The networks are built from stock `nn.Conv2d` / `nn.ConvTranspose2d`; `cpu_tricks=true` (the
training config's key, the default) routes a built network (`route_to_torch_kernels`).
docs/performance.md has the measured gain.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn.grad import conv2d_input, conv2d_weight

from ganlab.nets.layers import Dropout

FEW_CHANNELS = 3


@contextmanager
def torch_cpu_kernels() -> Iterator[None]:
    """Convolutions inside use torch's native CPU kernels instead of oneDNN."""
    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = previous


class ImageConvTranspose2d(nn.ConvTranspose2d):
    """A transposed convolution producing the image: forward on torch's kernel on the CPU
    (its gradients stay on oneDNN, which computes those fast)."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if x.device.type == "cpu" and self.out_channels <= FEW_CHANNELS:
            with torch_cpu_kernels():
                return super().forward(x, output_size)
        return super().forward(x, output_size)


class ImageConv2d(nn.Conv2d):
    """A convolution reading the image: when the image needs a gradient (generated images,
    the gradient penalty's interpolates), that gradient comes from torch's kernel on the CPU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (
            x.device.type == "cpu"
            and self.in_channels <= FEW_CHANNELS
            and x.requires_grad
            and torch.is_grad_enabled()
            and self.padding_mode == "zeros"
            and not isinstance(self.padding, str)
        ):
            return _InputGradOnTorchKernels.apply(
                x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
            )
        return super().forward(x)


class _InputGradOnTorchKernels(torch.autograd.Function):
    """conv2d whose backward computes the input gradient with torch's kernel. The backward
    is made of differentiable ops, so a gradient of it (WGAN-GP's penalty) is exact too."""

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        ctx.save_for_backward(x, weight)
        ctx.conv = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        ctx.has_bias = bias is not None
        return torch.nn.functional.conv2d(x, weight, bias, **ctx.conv)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            with torch_cpu_kernels():
                grad_x = conv2d_input(x.shape, weight.to(grad.dtype), grad, **ctx.conv)
            grad_x = grad_x.to(x.dtype)
        if ctx.needs_input_grad[1]:
            grad_weight = conv2d_weight(x.to(grad.dtype), weight.shape, grad, **ctx.conv)
            grad_weight = grad_weight.to(weight.dtype)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad.sum((0, 2, 3)).to(weight.dtype)
        return grad_x, grad_weight, grad_bias, None, None, None, None


def route_to_torch_kernels(network: nn.Module) -> nn.Module:
    """`cpu_tricks`, in place: the convolutions that read an image (<= 3 input channels) and
    the transposed ones that write one become the routed classes, and every dropout draws the
    cheaper mask (`ganlab.nets.layers.Dropout`). Each is a subclass holding the same
    parameters, so only the class changes: the weights and the checkpoint's keys stay."""
    for layer in network.modules():
        if type(layer) is nn.Conv2d and layer.in_channels <= FEW_CHANNELS:
            layer.__class__ = ImageConv2d
        elif type(layer) is nn.ConvTranspose2d and layer.out_channels <= FEW_CHANNELS:
            layer.__class__ = ImageConvTranspose2d
        elif type(layer) is nn.Dropout:
            layer.__class__ = Dropout
    return network
