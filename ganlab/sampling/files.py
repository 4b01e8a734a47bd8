"""The files samples go in: the common `.npz` convention that GAN and diffusion evaluators
read (uint8 images, NHWC, key `arr_0`, plus `labels` for conditional runs) and PNG grids; where
the tools put them by default, and the output paths checked before any work is done."""

import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torchvision.utils import make_grid, save_image

from ganlab.errors import UsageError
from ganlab.run.atomic import write_atomically


def save_npz(
    path: Path,
    images: torch.Tensor,
    labels: torch.Tensor | None = None,
    keep_existing: bool = False,
) -> None:
    """uint8 (N, C, H, W) → `arr_0` uint8 (N, H, W, C), plus int64 `labels` when given;
    `keep_existing`: refuse a file that appears at `path` meanwhile."""
    arrays = {"arr_0": images.permute(0, 2, 3, 1).contiguous().numpy()}
    if labels is not None:
        arrays["labels"] = labels.to(torch.int64).numpy()
    write_atomically(
        path, lambda file: np.savez(file, **arrays), "samples", keep_existing=keep_existing
    )


def load_npz(path: Path) -> tuple[torch.Tensor, torch.Tensor | None]:
    """An `.npz` in the convention above → uint8 (N, C, H, W) and the labels, if any.
    Never unpickles: an object array in the file is refused."""
    try:
        with np.load(path, allow_pickle=False) as data:
            images = data["arr_0"]
            labels = data["labels"] if "labels" in data.files else None
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


def save_grid(
    path: Path, images: torch.Tensor, nrow: int = 8, padding: int = 2, keep_existing: bool = False
) -> None:
    """uint8 (N, C, H, W) → one PNG, `nrow` images per row."""
    grid = make_grid(images.float().div(255), nrow=nrow, padding=padding, pad_value=1.0)
    write_atomically(
        path,
        lambda file: save_image(grid, file, format="png"),
        "image",
        keep_existing=keep_existing,
    )


def run_folder(ckpt: str | Path) -> Path:
    """RUN for RUN/checkpoints/x.ckpt, else the checkpoint's folder."""
    folder = Path(ckpt).resolve().parent
    return folder.parent if folder.name == "checkpoints" else folder


def writable_folder(folder: str | Path, key: str = "out") -> Path:
    """Create `folder` or stop with a message naming `key`, before any work."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(
            f"cannot create {key}={folder} or write there ({error.strerror}): choose another {key}="
        ) from None
    return folder


def writable_file(path: str | Path, suffix: str, key: str = "out", overwrite: bool = True) -> Path:
    """A file path with the right suffix in a writable folder; an existing file only with
    `overwrite` (ganlab does not replace a file it was not told to)."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{key}={path} must end in {suffix}")
    if path.is_dir():
        raise UsageError(f"{key}={path} is a folder: give a file name ending in {suffix}")
    writable_folder(path.parent, key)
    if path.exists() and not overwrite:
        raise UsageError(
            f"{key}={path} already exists: choose another {key}=, or replace it with overwrite=true"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{key}={path} exists and is not writable: choose another {key}=")
    return path
