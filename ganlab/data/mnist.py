"""MNIST (and Fashion-MNIST) from torchvision's on-disk layout, `ROOT/MNIST/raw/*-ubyte[.gz]`.

Unlike torchvision's `MNIST` class this trains from whichever splits are present, so a root
holding only the gzipped test split (as on an offline machine) works.
"""

import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.datasets import MNIST, FashionMNIST

from ganlab.data.base import ImageDataModule, TensorImages
from ganlab.data.idx import read_split
from ganlab.errors import DataNotFoundError
from ganlab.options import Rule, at_least, subset_of

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def default_root() -> str:
    return os.environ.get("GANLAB_DATA", "data")


def find_idx_file(raw: Path, name: str) -> Path | None:
    """The IDX file, uncompressed or gzipped, or None."""
    for candidate in (raw / name, raw / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


class MNISTDataModule(ImageDataModule):
    folder = "MNIST"
    torchvision_class = MNIST
    class_names = [str(digit) for digit in range(10)]
    label_values = 10
    """The label values the IDX files hold (checked on reading)."""
    rules = (
        *ImageDataModule.rules,
        Rule("splits", "choice", "a non-empty subset of [train, test]", subset_of(SPLIT_FILES)),
        Rule("image_size", "integer", ">= 8", at_least(8)),
    )

    def __init__(
        self,
        root: str | None = None,
        splits: tuple[str, ...] | list[str] = ("train", "test"),
        image_size: int = 28,
        download: bool = True,
        batch_size: int = 128,
        num_workers: int = 0,
        pin_memory: bool | None = None,
        on_device: bool | None = None,
        limit: int | None = None,
    ):
        self.check_values({"splits": list(splits), "image_size": image_size})
        super().__init__(batch_size, num_workers, pin_memory, on_device, limit=limit)
        self.root = Path(root or default_root()).expanduser()
        self.splits = list(splits)
        self.image_size = image_size
        self.download = download
        self.image_shape = (1, image_size, image_size)
        self.save_hyperparameters()

    @property
    def raw_folder(self) -> Path:
        return self.root / self.folder / "raw"

    def missing_files(self) -> list[str]:
        return [
            name
            for split in self.splits
            for name in SPLIT_FILES[split]
            if find_idx_file(self.raw_folder, name) is None
        ]

    def prepare_data(self) -> None:
        missing = self.missing_files()
        if not missing:
            return
        if self.download:
            try:
                for split in self.splits:
                    self.torchvision_class(str(self.root), train=split == "train", download=True)
            except Exception as error:  # no network, blocked mirror, read-only root …
                reason = f"download failed ({type(error).__name__}: {error})"
            else:
                return
        else:
            reason = "download is off (data.download=false)"
        raise DataNotFoundError(
            f"{self.folder} files not found in {self.raw_folder}: missing "
            f"{', '.join(missing)} (each may be gzipped, .gz); {reason}. Put the IDX files "
            f"there, or point data.root (or the GANLAB_DATA environment variable) at a folder "
            f"holding {self.folder}/raw/, or choose other splits with data.splits=[test]"
        )

    def load_split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        image_name, label_name = SPLIT_FILES[split]
        return read_split(
            find_idx_file(self.raw_folder, image_name),
            find_idx_file(self.raw_folder, label_name),
            self.label_values,
        )

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        self.prepare_data()
        parts = [self.load_split(split) for split in self.splits]
        images = torch.cat([p[0] for p in parts])
        labels = torch.cat([p[1] for p in parts])
        if self.image_size != images.shape[-1]:
            resized = F.interpolate(
                images.float(), size=self.image_size, mode="bilinear", antialias=True
            )
            images = resized.round().clamp(0, 255).to(torch.uint8)
        self.train_set = TensorImages(images, labels)


class FashionMNISTDataModule(MNISTDataModule):
    folder = "FashionMNIST"
    torchvision_class = FashionMNIST
    class_names = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip
