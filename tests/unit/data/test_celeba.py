import pytest
import torch

from ganlab.data import celeba, kaggle
from ganlab.data.celeba import ATTRIBUTES, CelebADataModule
from ganlab.errors import DataNotFoundError, UsageError
from tests.helpers.layouts import celeba_kaggle_files, celeba_rows, write_celeba, write_zip


@pytest.fixture(scope="module")
def celeba_root(tmp_path_factory):
    return write_celeba(tmp_path_factory.mktemp("celeba"), count=20)


def module(root, **kwargs) -> CelebADataModule:
    return CelebADataModule(root=str(root), num_workers=0, download=False, **kwargs)


def test_reads_torchvision_layout_without_its_md5_check(celeba_root):
    datamodule = module(celeba_root, batch_size=4)
    datamodule.setup("fit")
    assert len(datamodule.train_set) == 20
    images, labels = next(iter(datamodule.train_dataloader()))
    assert images.shape == (4, 3, 64, 64) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1
    assert datamodule.num_classes == 0 and set(labels.tolist()) == {0}


def test_splits_follow_the_partition_file(celeba_root):
    splits = [split for _, split, _ in celeba_rows(20)]
    for chosen, codes in ((["train"], {0}), (["valid", "test"], {1, 2})):
        datamodule = module(celeba_root, splits=chosen)
        datamodule.setup()
        assert len(datamodule.train_set) == sum(s in codes for s in splits)


def test_condition_on_an_attribute_gives_two_classes(celeba_root):
    datamodule = module(celeba_root, condition_on="Blond_Hair")
    assert datamodule.class_names == ["not_Blond_Hair", "Blond_Hair"]
    datamodule.setup()
    expected = [1 if i % 3 == 0 else 0 for i in range(20)]
    assert datamodule.train_set.labels.tolist() == expected


def test_crop_then_resize(celeba_root):
    datamodule = module(celeba_root, image_size=32, crop=178)
    datamodule.setup()
    assert datamodule.image_shape == (3, 32, 32)
    assert datamodule.train_set[0][0].shape == (3, 32, 32)
    squashed = module(celeba_root, image_size=32, crop=None)
    squashed.setup()
    assert not torch.equal(squashed.train_set[0][0], datamodule.train_set[0][0])


def test_unknown_attribute_lists_the_valid_ones(tmp_path):
    with pytest.raises(UsageError) as error:
        module(tmp_path, condition_on="Blonde")
    assert "Blonde" in str(error.value)
    assert all(name in str(error.value) for name in ATTRIBUTES)


def test_bad_split_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match=r"data\.splits"):
        module(tmp_path, splits=["validation"])


def test_missing_images_are_reported_not_skipped(tmp_path):
    write_celeba(tmp_path, count=10)
    (tmp_path / "celeba" / "img_align_celeba" / "000004.jpg").unlink()
    with pytest.raises(DataNotFoundError, match=r"1 of the 10 images .* \(first: 000004\.jpg\)"):
        module(tmp_path).setup()


def test_torchvision_failure_falls_back_to_the_kaggle_mirror(tmp_path, monkeypatch):
    def quota_exceeded(root):
        raise RuntimeError("The daily quota of the file img_align_celeba.zip is exceeded")

    class FakeKaggleApi:
        def dataset_download_files(self, dataset, path=None, quiet=True, unzip=False):
            assert dataset == "jessicali9530/celeba-dataset"
            write_zip(tmp_path / "celeba-dataset.zip", celeba_kaggle_files(count=10))

    monkeypatch.setattr(celeba, "torchvision_download", quota_exceeded)
    monkeypatch.setattr(kaggle, "kaggle_api", FakeKaggleApi)
    datamodule = CelebADataModule(
        root=str(tmp_path), num_workers=0, condition_on="Smiling", splits=["train"]
    )
    datamodule.setup()
    folder = tmp_path / "celeba"
    assert len(list((folder / "img_align_celeba").glob("*.jpg"))) == 10
    # the mirror's CSVs were rewritten into torchvision's text files
    lines = (folder / "list_attr_celeba.txt").read_text().splitlines()
    assert lines[0] == "10" and lines[1].split() == list(ATTRIBUTES)
    assert (folder / "list_eval_partition.txt").read_text().startswith("000001.jpg 0\n")
    train = [(i, name) for i, (name, split, _) in enumerate(celeba_rows(10)) if split == 0]
    assert datamodule.train_set.labels.tolist() == [int(i % 2 == 0) for i, _ in train]
    assert not list(tmp_path.glob("*.unpacked")) and not list(tmp_path.glob("*.partial"))


def test_no_download_route_names_both_failures_and_the_fix(tmp_path, monkeypatch):
    def no_network(root):
        raise OSError("Name or service not known")

    def no_credentials():
        raise kaggle.KaggleUnavailable("no usable Kaggle credentials (SystemExit)")

    monkeypatch.setattr(celeba, "torchvision_download", no_network)
    monkeypatch.setattr(kaggle, "kaggle_api", no_credentials)
    with pytest.raises(DataNotFoundError) as error:
        CelebADataModule(root=str(tmp_path), num_workers=0).prepare_data()
    message = str(error.value)
    for text in (
        "torchvision's download failed (OSError)",
        "no usable Kaggle credentials",
        str(tmp_path / "celeba-dataset.zip"),
        "list_eval_partition.txt",
        "img_align_celeba",
        "data.root",
    ):
        assert text in message
