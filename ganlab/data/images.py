"""Image files decoded lazily from disk: what the big data sets (bricks, CelebA, a user's folder)
share. Each image is decoded, converted to grayscale or RGB, center-cropped, resized with
antialiased bilinear interpolation and scaled to [-1, 1] in the loader's worker processes.
"""

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision.transforms.functional import InterpolationMode, center_crop, pil_to_tensor, resize

from ganlab.data.scaling import to_unit_range
from ganlab.errors import GanlabError
from ganlab.run.values import Rule, at_least, is_int

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

Crop = int | str | None
"""'square': the largest centered square; an int: a centered square of that many pixels
(CelebA's 178); None: no crop, the whole image is resized to a square (aspect not kept)."""


def valid_crop(crop: Any) -> bool:
    return crop is None or crop == "square" or (is_int(crop) and crop >= 1)


IMAGE_RULES = (
    Rule("channels", "choice", "1 (grayscale) or 3 (RGB)", lambda value: value in (1, 3)),
    Rule("image_size", "integer", ">= 8", at_least(8)),
    Rule("crop", "choice", "'square', a size in pixels >= 1, or null (no crop)", valid_crop),
)
"""What the image-file data modules (bricks, CelebA, a folder) take."""


def default_num_workers() -> int:
    """Loader worker processes sized to the machine: one core is left to the training loop."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(8, max((cpus or 1) - 1, 0))


def load_image(path: str | Path, channels: int, size: int, crop: Crop) -> torch.Tensor:
    """uint8 (channels, size, size) from an image file."""
    with Image.open(path) as image:
        image = image.convert("L" if channels == 1 else "RGB")
    tensor = pil_to_tensor(image)
    if crop == "square":
        tensor = center_crop(tensor, min(tensor.shape[-2:]))
    elif crop is not None:
        tensor = center_crop(tensor, crop)
    return resize(tensor, [size, size], InterpolationMode.BILINEAR, antialias=True)


def is_readable_image(path: Path) -> bool:
    """Cheap check (the header only) that PIL recognises the file as an image."""
    try:
        with Image.open(path) as image:
            image.size  # noqa: B018
    except (OSError, ValueError, SyntaxError):
        return False
    return True


def find_images(folder: Path) -> list[Path]:
    """Every image file under folder, recursively, in a stable order; hidden entries skipped."""
    found = [
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_EXTENSIONS
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.is_file()
    ]
    return sorted(found)


class ImageFiles(Dataset):
    """(image in [-1, 1], label) pairs decoded from files when the loader asks for them.

    A file that fails to decode (truncated, corrupt) is logged once per process and replaced
    by the next readable one, so a bad file never stops an epoch.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        labels: Sequence[int] | None,
        channels: int,
        size: int,
        crop: Crop,
    ):
        # a NumPy string array, not a list of str: worker processes then share its pages
        # instead of copying every object they touch (reference counts write to the page)
        self.paths = np.array([str(path) for path in paths])
        self.labels = torch.as_tensor(
            labels if labels is not None else [0] * len(self.paths), dtype=torch.long
        )
        self.channels = channels
        self.size = size
        self.crop = crop
        self.skipped: set[int] = set()

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        for offset in range(len(self.paths)):
            current = (index + offset) % len(self.paths)
            if current in self.skipped:
                continue
            try:
                image = load_image(self.paths[current], self.channels, self.size, self.crop)
            except (OSError, ValueError, SyntaxError) as error:
                self.skipped.add(current)
                log.warning(
                    "skipping unreadable image %s (%s); %d skipped so far in this process",
                    self.paths[current],
                    error,
                    len(self.skipped),
                )
                continue
            return to_unit_range(image), self.labels[current]
        raise GanlabError(f"none of the {len(self.paths)} images could be decoded")
