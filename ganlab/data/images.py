"""Image files decoded lazily from disk: what the big data sets (bricks, CelebA, a user's folder)
share. Each image is decoded, converted to grayscale or RGB, center-cropped, resized with
bilinear interpolation and scaled to [-1, 1] in the loader's worker processes. The resize is
antialiased (as PIL's, so the PyTorch tutorials' pipelines) unless `antialias=False`, which
is Keras' `image_dataset_from_directory` / `tf.image.resize` default: a downscale then reads
only the 2x2 pixels nearest each output pixel's centre.

Any mode PIL opens is mapped onto 8-bit values by what it means, not clipped: 16-bit
grayscale (I;16, and I holding 0-65535) is scaled by 255/65535, float images (F) must lie in
[0, 1], alpha (LA, RGBA, PA, palette transparency) is composited over black (what a decoder
that drops alpha shows for the usual transparent black pixels), CMYK and YCbCr go through
PIL's conversion. An image whose values cannot be read that way (negative or beyond 16 bits,
a float outside [0, 1]), a decompression bomb (more than PIL's `Image.MAX_IMAGE_PIXELS`), or
a file that fails to decode is skipped and counted.
"""

import logging
import os
import warnings
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
from ganlab.options import Rule, at_least, is_int

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
    Rule("antialias", "boolean"),
)
"""What the image-file data modules (bricks, CelebA, a folder) take."""


def default_num_workers() -> int:
    """Loader worker processes sized to the machine: one core is left to the training loop."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(8, max((cpus or 1) - 1, 0))


class UnusableImage(ValueError):
    """An image PIL decodes whose values ganlab cannot map onto [-1, 1] (the reason says why)."""


SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
ALPHA_MODES = ("LA", "La", "RGBA", "RGBa", "PA")
SKIPPED_ERRORS = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)
"""What decoding a bad file raises: skip the image (UnusableImage is a ValueError)."""


def opened(path: str | Path) -> Image.Image:
    """`Image.open`, with PIL's decompression-bomb warning (an image over MAX_IMAGE_PIXELS)
    raised as an error, so that image is skipped rather than decoded into memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(path)
        except Image.DecompressionBombWarning as warning:
            raise Image.DecompressionBombError(str(warning)) from None


def eight_bit(image: Image.Image) -> Image.Image:
    """An L or RGB image holding what `image` shows, in 8 bits per channel."""
    if image.mode in SIXTEEN_BIT_MODES:
        values = np.asarray(image).astype(np.int64)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise UnusableImage(
                f"mode {image.mode} with values in [{values.min()}, {values.max()}], outside "
                "the 16-bit range 0-65535"
            )
        return Image.fromarray(np.round(values * (255 / 65535)).astype(np.uint8), "L")
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        finite = np.isfinite(values).all()
        if values.size and not (finite and 0 <= values.min() <= values.max() <= 1):
            raise UnusableImage(
                f"float image (mode F) with values in [{np.nanmin(values)}, {np.nanmax(values)}]"
                ": ganlab reads float images as intensities in [0, 1]"
            )
        return Image.fromarray(np.round(values * 255).astype(np.uint8), "L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ALPHA_MODES:
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(black, rgba).convert("RGB")
    if image.mode in ("L", "RGB"):
        return image
    return image.convert("RGB")  # 1, CMYK, YCbCr, LAB, HSV: PIL's conversions


def load_image(
    path: str | Path, channels: int, size: int, crop: Crop, antialias: bool = True
) -> torch.Tensor:
    """uint8 (channels, size, size) from an image file."""
    with opened(path) as image:
        image = eight_bit(image)
        image = image.convert("L" if channels == 1 else "RGB")
    tensor = pil_to_tensor(image)
    if crop == "square":
        tensor = center_crop(tensor, min(tensor.shape[-2:]))
    elif crop is not None:
        tensor = center_crop(tensor, crop)
    return resize(tensor, [size, size], InterpolationMode.BILINEAR, antialias=antialias)


def is_readable_image(path: Path) -> bool:
    """Cheap check (the header only) that PIL recognises the file as an image."""
    try:
        with opened(path) as image:
            image.size  # noqa: B018
    except SKIPPED_ERRORS:
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
        antialias: bool = True,
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
        self.antialias = antialias
        self.skipped: set[int] = set()

    def __len__(self) -> int:
        return len(self.paths)

    def first(self, count: int) -> "ImageFiles":
        """The first `count` files, in order."""
        labels = self.labels[:count].tolist()
        return ImageFiles(
            self.paths[:count], labels, self.channels, self.size, self.crop, self.antialias
        )

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        for offset in range(len(self.paths)):
            current = (index + offset) % len(self.paths)
            if current in self.skipped:
                continue
            try:
                image = load_image(
                    self.paths[current], self.channels, self.size, self.crop, self.antialias
                )
            except SKIPPED_ERRORS as error:
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
