"""Where the training images live and how batches reach the training device.

MNIST-sized tensor data sets (`TensorImages`) are moved to the accelerator once and indexed
there: no per-batch host→device copy, no loader workers. Images decoded from files stay in
host memory, decoded by loader workers into pinned (page-locked) buffers that the device
copies from asynchronously.
"""

from dataclasses import dataclass

import torch
from torch.utils.data import Dataset

from ganlab.data.base import TensorImages
from ganlab.errors import UsageError

DEVICE_SHARE = 0.25
"""The largest share of the device's free memory a data set may take to be held there."""


@dataclass(frozen=True)
class Placement:
    """The data set as the loader should serve it, and the loader settings that go with it."""

    dataset: Dataset
    num_workers: int
    pin_memory: bool

    @property
    def on_device(self) -> bool:
        return isinstance(self.dataset, TensorImages) and self.dataset.device.type != "cpu"


def fits_on(nbytes: int, device: torch.device) -> bool:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return nbytes <= DEVICE_SHARE * free
    return True


def place(
    dataset: Dataset,
    device: torch.device,
    on_device: bool | None,
    num_workers: int,
    pin_memory: bool | None,
) -> Placement:
    """on_device: True holds a tensor data set on `device`, None does so on an accelerator
    when it fits, False never. pin_memory: None pins exactly when batches are copied to a
    CUDA device."""
    if on_device and not isinstance(dataset, TensorImages):
        raise UsageError(
            "data.on_device=true needs an in-memory tensor data set (MNIST, Fashion-MNIST); "
            "images decoded from files stay in host memory: set data.on_device=null"
        )
    if isinstance(dataset, TensorImages) and (
        on_device
        or (on_device is None and device.type != "cpu" and fits_on(dataset.nbytes, device))
    ):
        return Placement(dataset.to(device), num_workers=0, pin_memory=False)
    if pin_memory is None:
        pin_memory = device.type == "cuda"
    return Placement(dataset, num_workers, pin_memory)
