"""Images from a generator, and the files they go in.

Latent vectors are drawn on the CPU from a seeded generator, so a seed gives the same images
on any device and for any batch size. Samples for evaluation follow the common `.npz`
convention (what GAN and diffusion evaluators read): uint8 images, NHWC, key `arr_0`, plus
`labels` for conditional runs.
"""

from pathlib import Path

import numpy as np
import torch
from torchvision.utils import make_grid, save_image

from ganlab.errors import UsageError
from ganlab.models.base import GAN


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


def latent_vectors(n: int, latent_dim: int, seed: int) -> torch.Tensor:
    return torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))


def balanced_labels(n: int, num_classes: int) -> torch.Tensor:
    """n labels split evenly over the classes (counts differ by at most one), in class order."""
    counts = torch.full((num_classes,), n // num_classes)
    counts[: n % num_classes] += 1
    return torch.repeat_interleave(torch.arange(num_classes), counts)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] → uint8 [0, 255] (the inverse of the data modules' scaling)."""
    return images.add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8)


def generate_images(
    model: GAN, z: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 256
) -> torch.Tensor:
    """Float images in [-1, 1] on the CPU, generated in batches on the model's device."""
    parts = []
    for start in range(0, len(z), batch_size):
        batch_z = z[start : start + batch_size].to(model.device)
        batch_labels = None if labels is None else labels[start : start + batch_size]
        if batch_labels is not None:
            batch_labels = batch_labels.to(model.device)
        parts.append(model.generate(batch_z, batch_labels).float().cpu())
    return torch.cat(parts)


def render(
    model: GAN,
    z: torch.Tensor,
    labels: torch.Tensor | None = None,
    batch_size: int = 256,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """uint8 images (N, C, H, W) on the CPU for latent vectors z (and labels, if conditional)."""
    return to_uint8(generate_images(model.to(device), z, labels, batch_size))


def save_npz(path: Path, images: torch.Tensor, labels: torch.Tensor | None = None) -> None:
    """uint8 (N, C, H, W) → `arr_0` uint8 (N, H, W, C), plus int64 `labels` when given."""
    arrays = {"arr_0": images.permute(0, 2, 3, 1).contiguous().numpy()}
    if labels is not None:
        arrays["labels"] = labels.to(torch.int64).numpy()
    np.savez(path, **arrays)


def load_npz(path: Path) -> tuple[torch.Tensor, torch.Tensor | None]:
    """An `.npz` in the convention above → uint8 (N, C, H, W) and the labels, if any."""
    try:
        with np.load(path) as data:
            images = data["arr_0"]
            labels = data.get("labels")
    except (OSError, ValueError, KeyError) as error:
        raise UsageError(
            f"{path} is not an .npz of images with key arr_0 ({error}): write one with "
            "`python -m ganlab.generate` or numpy.savez(path, arr_0=uint8 NHWC images)"
        ) from None
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise UsageError(
            f"{path}: arr_0 must be uint8 images shaped (N, H, W, 1 or 3), got "
            f"{images.dtype} {images.shape}"
        )
    tensor = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    return tensor, None if labels is None else torch.from_numpy(labels).long()


def save_grid(path: Path, images: torch.Tensor, nrow: int = 8, padding: int = 2) -> None:
    """uint8 (N, C, H, W) → one PNG, `nrow` images per row."""
    grid = make_grid(images.float().div(255), nrow=nrow, padding=padding, pad_value=1.0)
    save_image(grid, path)
