import pytest
import torch

from ganlab.data.mnist import MNISTDataModule
from ganlab.errors import DataNotFoundError, UsageError
from tests.helpers import write_mnist


@pytest.mark.parametrize("gz", [True, False])
def test_reads_the_torchvision_layout(tmp_path, gz):
    write_mnist(tmp_path, splits=("test",), count=20, gz=gz)
    datamodule = MNISTDataModule(root=str(tmp_path), splits=["test"], download=False, batch_size=8)
    datamodule.setup("fit")
    images, labels = next(iter(datamodule.train_dataloader()))
    assert images.shape == (8, 1, 28, 28) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() == 1
    assert labels.dtype == torch.int64 and labels.min() >= 0 and labels.max() <= 9
    assert datamodule.image_shape == (1, 28, 28)
    assert datamodule.num_classes == 10 and datamodule.class_names[3] == "3"


def test_both_splits_are_concatenated(tmp_path):
    write_mnist(tmp_path, splits=("train", "test"), count=12, gz=False)
    datamodule = MNISTDataModule(root=str(tmp_path), splits=["train", "test"], download=False)
    datamodule.setup()
    assert len(datamodule.train_set) == 24


def test_limit_keeps_the_first_images_in_order(tmp_path):
    write_mnist(tmp_path, splits=("test",), count=30, gz=False)
    whole = MNISTDataModule(root=str(tmp_path), splits=["test"], download=False)
    first = MNISTDataModule(root=str(tmp_path), splits=["test"], download=False, limit=7)
    whole.setup()
    first.setup()
    assert len(first.train_set) == 7
    assert torch.equal(first.train_set.images, whole.train_set.images[:7])
    assert torch.equal(first.train_set.labels, whole.train_set.labels[:7])


def test_a_limit_below_one_is_refused(tmp_path):
    with pytest.raises(UsageError, match=r"data\.limit"):
        MNISTDataModule(root=str(tmp_path), splits=["test"], download=False, limit=0)


def test_resizes_for_other_networks(tmp_path):
    write_mnist(tmp_path, count=10)
    datamodule = MNISTDataModule(root=str(tmp_path), splits=["test"], image_size=32, download=False)
    datamodule.setup()
    assert datamodule.image_shape == (1, 32, 32)
    assert datamodule.train_set[0][0].shape == (1, 32, 32)


def test_missing_files_name_the_fix(tmp_path):
    datamodule = MNISTDataModule(root=str(tmp_path), splits=["test"], download=False)
    with pytest.raises(DataNotFoundError) as error:
        datamodule.setup()
    message = str(error.value)
    for text in (
        "t10k-images-idx3-ubyte",
        str(tmp_path / "MNIST" / "raw"),
        "data.root",
        "GANLAB_DATA",
    ):
        assert text in message


def test_env_variable_is_the_default_root(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLAB_DATA", str(tmp_path))
    assert MNISTDataModule(splits=["test"]).root == tmp_path


def test_batch_larger_than_data_is_a_usage_error(tmp_path):
    write_mnist(tmp_path, count=10)
    datamodule = MNISTDataModule(root=str(tmp_path), splits=["test"], download=False, batch_size=16)
    datamodule.setup()
    with pytest.raises(UsageError, match=r"data\.batch_size"):
        datamodule.train_dataloader()


def test_bad_splits_and_batch_size():
    with pytest.raises(UsageError, match=r"data\.splits"):
        MNISTDataModule(splits=["validation"])
    with pytest.raises(UsageError, match=r"data\.batch_size"):
        MNISTDataModule(batch_size=0)
