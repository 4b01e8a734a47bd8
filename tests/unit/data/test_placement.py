"""Where training batches come from: the GPU-resident path runs here on the `meta` device,
through the same code (`place`, `TensorImages.__getitems__`, the data module's loader)."""

import pytest
import torch
from torch.utils.data import Dataset

from ganlab.data import placement
from ganlab.data.base import TensorImages
from ganlab.data.mnist import MNISTDataModule
from ganlab.data.placement import place
from ganlab.errors import UsageError

META = torch.device("meta")


def tensor_images(count: int = 32) -> TensorImages:
    images = torch.arange(count, dtype=torch.uint8)[:, None, None, None].expand(count, 1, 4, 4)
    return TensorImages(images.contiguous(), torch.arange(count) % 10)


class Files(Dataset):
    """Stands in for images decoded from files."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int):
        return torch.zeros(1, 4, 4), 0


def test_tensor_data_goes_to_the_device_and_drops_workers():
    result = place(tensor_images(), META, on_device=True, num_workers=3, pin_memory=True)
    assert result.on_device and result.dataset.device == META
    assert (result.num_workers, result.pin_memory) == (0, False)


def test_batches_are_indexed_where_the_images_are():
    dataset = tensor_images().to(META)
    images, labels = dataset.__getitems__([3, 1, 2])
    assert images.device == META and labels.device == META
    assert images.shape == (3, 1, 4, 4) and images.dtype == torch.float32


def test_on_cpu_nothing_moves_and_nothing_is_pinned():
    dataset = tensor_images()
    result = place(dataset, torch.device("cpu"), on_device=None, num_workers=0, pin_memory=None)
    assert result.dataset is dataset and not result.on_device and result.pin_memory is False


def test_auto_holds_on_an_accelerator_only_when_it_fits(monkeypatch):
    monkeypatch.setattr(placement, "fits_on", lambda nbytes, device: False)
    result = place(tensor_images(), META, on_device=None, num_workers=2, pin_memory=False)
    assert not result.on_device and result.num_workers == 2
    monkeypatch.setattr(placement, "fits_on", lambda nbytes, device: True)
    assert place(tensor_images(), META, on_device=None, num_workers=2, pin_memory=None).on_device
    assert not place(
        tensor_images(), META, on_device=False, num_workers=0, pin_memory=None
    ).on_device


def test_file_images_are_pinned_for_cuda_and_refuse_the_device():
    result = place(Files(), torch.device("cuda"), on_device=None, num_workers=2, pin_memory=None)
    assert result.dataset.__class__ is Files and result.pin_memory is True
    assert result.num_workers == 2
    with pytest.raises(UsageError, match=r"data\.on_device=null"):
        place(Files(), torch.device("cuda"), on_device=True, num_workers=2, pin_memory=None)


def test_the_data_module_loader_serves_device_batches(mnist_root):
    datamodule = MNISTDataModule(
        root=str(mnist_root), splits=["test"], batch_size=8, on_device=True, num_workers=2
    )
    datamodule.setup("fit")
    datamodule.placement = lambda: place(datamodule.train_set, META, True, 2, None)
    loader = datamodule.train_dataloader()
    assert loader.num_workers == 0 and not loader.pin_memory
    images, labels = next(iter(loader))
    assert images.device == META and images.shape == (8, 1, 28, 28)
    assert labels.device == META
    assert datamodule.train_set.device.type == "cpu"  # the host copy stays for other uses
