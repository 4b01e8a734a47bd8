"""Images from a trained module's generator, in batches, on the device asked for."""

import torch

from ganlab.data.scaling import to_uint8
from ganlab.errors import UsageError


def resolve_device(spec: str) -> torch.device:
    """`auto` (CUDA when present, else CPU), `cpu` or `cuda[:i]`."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(f"device={spec} but no CUDA device is available: use device=cpu")
        return torch.device(spec)
    raise UsageError(f"device must be auto, cpu or cuda, got {spec!r}")


def generate_images(
    model, z: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256
) -> torch.Tensor:
    """Float images in [-1, 1] on the CPU, generated in batches on the model's device with
    the module's `generate` (eval mode, no gradients)."""
    parts = []
    for start in range(0, len(z), batch_size):
        batch_z = z[start : start + batch_size].to(model.device)
        batch_labels = None if labels is None else labels[start : start + batch_size]
        if batch_labels is not None:
            batch_labels = batch_labels.to(model.device)
        parts.append(model.generate(batch_z, batch_labels).float().cpu())
    return torch.cat(parts)


def render(
    model,
    z: torch.Tensor,
    labels: torch.Tensor | None = None,
    batch_size: int = 256,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """uint8 images (N, C, H, W) on the CPU for latent vectors z (and labels, if conditional)."""
    return to_uint8(generate_images(model.to(device), z, labels, batch_size))
