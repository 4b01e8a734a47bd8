"""What every ganlab data module shares: the shape contract and the training loader."""

from typing import TYPE_CHECKING

import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset

from ganlab.data.resumable import EpochShuffle, ResumableLoader
from ganlab.data.scaling import to_unit_range
from ganlab.errors import UsageError
from ganlab.options import Declared, Rule, at_least

if TYPE_CHECKING:
    from ganlab.data.placement import Placement


class TensorImages(Dataset):
    """uint8 images (N, C, H, W) and int64 labels held in memory, served a batch at a time.

    `__getitems__` lets the DataLoader fetch a whole batch with one indexing operation
    instead of one Python call per image, which matters for MNIST-sized images.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError("TensorImages wants uint8 images shaped (N, C, H, W)")
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return to_unit_range(self.images[index]), self.labels[index]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.as_tensor(indices)
        if self.images.device.type == "cuda":  # an asynchronous copy: no sync per batch
            index = index.pin_memory().to(self.images.device, non_blocking=True)
        elif self.images.device != index.device:
            index = index.to(self.images.device)
        return to_unit_range(self.images[index]), self.labels[index]

    def first(self, count: int) -> "TensorImages":
        """The first `count` images, in order."""
        return TensorImages(self.images[:count], self.labels[:count])

    @property
    def device(self) -> torch.device:
        return self.images.device

    @property
    def nbytes(self) -> int:
        return self.images.nbytes + self.labels.nbytes

    def to(self, device: torch.device | str) -> "TensorImages":
        """The same images held on another device (batches are then indexed there)."""
        return TensorImages(self.images.to(device), self.labels.to(device))


def keep_batch(batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Collate function for datasets that already return whole batches."""
    return batch


class ImageDataModule(LightningDataModule, Declared):
    """Subclasses fill `self.train_set` in `setup` and say what they hold.

    `batch_multiple` is set from the training procedure's `real_batches_per_step`: a WGAN
    with n_critic critic updates per generator update draws n_critic real batches per step.
    """

    config_prefix = "data."
    rules = (
        Rule("batch_size", "integer", ">= 1", at_least(1)),
        Rule("num_workers", "integer", ">= 0", at_least(0), nullable=True),
        Rule("limit", "integer", ">= 1", at_least(1), nullable=True),
    )

    image_shape: tuple[int, int, int]
    class_names: list[str] = []

    def __init__(
        self,
        batch_size: int = 128,
        num_workers: int = 0,
        pin_memory: bool | None = None,
        on_device: bool | None = None,
        limit: int | None = None,
    ):
        super().__init__()
        self.check_values({"batch_size": batch_size, "num_workers": num_workers, "limit": limit})
        self.limit = limit
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.on_device = on_device
        self.batch_multiple = 1
        self.train_set: Dataset | None = None

    @property
    def train_set(self) -> Dataset | None:
        return self._train_set

    @train_set.setter
    def train_set(self, dataset: Dataset | None) -> None:
        """`data.limit` keeps the first images only (small-data studies such as
        DiffAugment's): every training set ganlab builds has a `first(count)`."""
        if dataset is not None and self.limit is not None and len(dataset) > self.limit:
            dataset = dataset.first(self.limit)
        self._train_set = dataset

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def check_batch_fits(self) -> None:
        """Refuse a training set smaller than one loader batch (it would train zero steps)."""
        assert self.train_set is not None, "call setup('fit') first"
        loader_batch = self.batch_size * self.batch_multiple
        if len(self.train_set) < loader_batch:
            raise UsageError(
                f"the training set holds {len(self.train_set)} images, fewer than one batch of "
                f"{loader_batch} (data.batch_size={self.batch_size}"
                + (
                    f" x {self.batch_multiple} real batches per step"
                    if self.batch_multiple > 1
                    else ""
                )
                + "): lower data.batch_size or add data"
            )

    def train_dataloader(self) -> DataLoader:
        """Shuffled, whole batches only, in an order that a resumed run reproduces exactly
        (see `ganlab.data.resumable`)."""
        self.check_batch_fits()
        placement = self.placement()
        return ResumableLoader(
            placement.dataset,
            batch_size=self.batch_size * self.batch_multiple,
            sampler=EpochShuffle(len(placement.dataset), seed=torch.initial_seed()),
            generator=torch.Generator(),
            drop_last=True,
            num_workers=placement.num_workers,
            persistent_workers=placement.num_workers > 0,
            pin_memory=placement.pin_memory,
            collate_fn=keep_batch if hasattr(placement.dataset, "__getitems__") else None,
        )

    def placement(self) -> "Placement":
        """The training set where the training device wants it (see `ganlab.data.placement`)."""
        from ganlab.data.placement import place

        device = self.trainer.strategy.root_device if self.trainer else torch.device("cpu")
        return place(self.train_set, device, self.on_device, self.num_workers, self.pin_memory)
