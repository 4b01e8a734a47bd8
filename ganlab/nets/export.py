"""A trained generator as a file plain PyTorch runs without ganlab: TorchScript or torch.export.

The file holds the generator's graph and weights in eval mode (batch-norm running statistics,
no dropout) behind a fixed signature, `forward(z)` or `forward(z, labels)`, returning images
in [-1, 1]; the batch size is free. Beside the graph it carries `ganlab.json`, which says what
to feed it (latent size, classes) and what comes out, readable with torch alone.
"""

import json
import warnings
from collections.abc import Mapping
from typing import Any, BinaryIO

import torch
from torch import nn

METADATA_FILE = "ganlab.json"
EXAMPLE_BATCH = 2


class UnconditionalGenerator(nn.Module):
    """`forward(z)`: (N, latent_dim) float32 -> (N, C, H, W) images in [-1, 1]."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)


class ConditionalGenerator(nn.Module):
    """`forward(z, labels)`: (N, latent_dim) float32 and (N,) int64 class indices ->
    (N, C, H, W) images in [-1, 1]."""

    def __init__(self, generator: nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.generator(z, labels)


def standalone_generator(generator: nn.Module, num_classes: int) -> nn.Module:
    """The generator on the CPU in eval mode behind the exported signature (0 classes:
    unconditional)."""
    wrapper = ConditionalGenerator(generator) if num_classes else UnconditionalGenerator(generator)
    return wrapper.cpu().eval()


def example_inputs(latent_dim: int, num_classes: int) -> tuple[torch.Tensor, ...]:
    z = torch.randn(EXAMPLE_BATCH, latent_dim)
    if not num_classes:
        return (z,)
    return z, torch.arange(EXAMPLE_BATCH) % num_classes


def save_torchscript(
    module: nn.Module, inputs: tuple[torch.Tensor, ...], metadata: Mapping[str, Any], file: BinaryIO
) -> None:
    """`torch.jit.load(path)` reads it back."""
    with torch.no_grad(), warnings.catch_warnings():
        # torch marks torch.jit deprecated in favour of torch.export (format=pt2); the user
        # asked for TorchScript, and the warning is about this call, not about their run
        warnings.filterwarnings("ignore", r".*torch\.jit.*deprecated", FutureWarning)
        traced = torch.jit.trace(module, inputs)
        torch.jit.save(traced, file, _extra_files={METADATA_FILE: json.dumps(dict(metadata))})


def save_pt2(
    module: nn.Module, inputs: tuple[torch.Tensor, ...], metadata: Mapping[str, Any], file: BinaryIO
) -> None:
    """`torch.export.load(path).module()` reads it back as a callable module."""
    batch = torch.export.Dim("batch")
    names = ("z", "labels")[: len(inputs)]
    with torch.no_grad():
        program = torch.export.export(
            module, inputs, dynamic_shapes={name: {0: batch} for name in names}
        )
    torch.export.save(program, file, extra_files={METADATA_FILE: json.dumps(dict(metadata))})


SAVERS = {"torchscript": save_torchscript, "pt2": save_pt2}
SUFFIXES = {"torchscript": ".pt", "pt2": ".pt2"}
