"""The real images a generator is compared with, as uint8 tensors, and what identifies them.

`source` names the data (data-module class and the arguments that choose the images, or an
`.npz` file with its size and modification time): the reference cache keys on it.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import LightningDataModule
from omegaconf import OmegaConf
from torch.utils.data import DataLoader

from ganlab.data.scaling import to_uint8
from ganlab.errors import UsageError
from ganlab.sampling.files import load_npz

# data-module arguments that change how images are served, not which images
SERVING_ARGUMENTS = {"batch_size", "num_workers", "pin_memory", "download"}


@dataclass
class RealImages:
    images: torch.Tensor
    labels: torch.Tensor | None
    class_names: list[str]
    source: dict[str, Any] = field(default_factory=dict)
    # positions of these images in the data set (None: all of them, in its order)
    indices: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.images)

    def take(self, index: torch.Tensor) -> "RealImages":
        labels = None if self.labels is None else self.labels[index]
        positions = index if self.indices is None else self.indices[index]
        return RealImages(self.images[index], labels, self.class_names, self.source, positions)


def describe(datamodule: LightningDataModule) -> dict[str, Any]:
    """The data module's class and image-choosing arguments; paths made absolute."""
    hparams = OmegaConf.to_container(OmegaConf.create(dict(datamodule.hparams)), resolve=True)
    arguments = {
        key: str(Path(value).expanduser().resolve()) if key in ("root", "path") else value
        for key, value in hparams.items()
        if key not in SERVING_ARGUMENTS
    }
    cls = type(datamodule)
    return {"datamodule": f"{cls.__module__}.{cls.__qualname__}", **arguments}


def datamodule_images(datamodule: LightningDataModule) -> RealImages:
    """Every training image of a ganlab data module (ordered as its data set holds them)."""
    datamodule.prepare_data()
    datamodule.setup("fit")
    dataset = datamodule.train_set
    if hasattr(dataset, "images") and dataset.images.dtype == torch.uint8:
        images, labels = dataset.images, dataset.labels
    else:
        loader = DataLoader(dataset, batch_size=256, num_workers=datamodule.num_workers)
        parts = [(to_uint8(x), y) for x, y in loader]
        images = torch.cat([p[0] for p in parts])
        labels = torch.cat([p[1] for p in parts])
    labelled = datamodule.num_classes > 0
    return RealImages(
        images,
        labels.long() if labelled else None,
        list(datamodule.class_names),
        describe(datamodule),
    )


def npz_real_images(path: str | Path) -> RealImages:
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise UsageError(f"real={path}: no such file; give a data preset name or an .npz")
    images, labels = load_npz(path)
    stat = path.stat()
    source = {"npz": str(path), "bytes": stat.st_size, "mtime": stat.st_mtime}
    classes = [] if labels is None else [str(c) for c in range(int(labels.max()) + 1)]
    return RealImages(images, labels, classes, source)


def split_reference(
    real: RealImages, real_n: int | None, held_out: int = 0
) -> tuple[RealImages, RealImages | None, RealImages]:
    """Three views of the real images, drawn by one fixed permutation (seed 0) so the same
    `real_n` always means the same reference images:

    - the reference set: `real_n` images (all by default);
    - `held_out` other images when asked (scored in place of generated ones: the
      real-vs-real floor), disjoint from the reference set;
    - the nearest-neighbour pool: every real image except the held-out ones.
    """
    total = len(real)
    real_n = total if real_n is None else real_n
    if not 2 <= real_n <= total:
        raise UsageError(f"real_n must be between 2 and {total} (the real images), got {real_n}")
    if held_out and real_n + held_out > total:
        raise UsageError(
            f"samples=real needs real_n + n <= {total} real images (disjoint sets), got "
            f"{real_n} + {held_out}: lower real_n or n"
        )
    order = torch.randperm(total, generator=torch.Generator().manual_seed(0))
    reference = real.take(order[:real_n])
    reference.source = {**real.source, "real_n": real_n}
    if not held_out:
        return reference, None, real
    held = real.take(order[real_n : real_n + held_out])
    pool = real.take(torch.cat([order[:real_n], order[real_n + held_out :]]))
    return reference, held, pool
