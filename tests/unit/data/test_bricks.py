import sys
from pathlib import Path

import pytest
import torch

from ganlab.data import kaggle
from ganlab.data.bricks import BricksDataModule, brick_type
from ganlab.data.kaggle import kagglehub_module as real_kagglehub_module
from ganlab.errors import DataNotFoundError
from tests.helpers.layouts import BRICK_TYPES, brick_files, write_bricks, write_zip


class FakeKaggleApi:
    """Stands in for kaggle's KaggleApi: 'downloads' a prepared zip the way the real client
    writes it (PATH/<dataset name>.zip)."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files
        self.calls: list[tuple[str, str, bool]] = []

    def dataset_download_files(self, dataset, path=None, quiet=True, unzip=False, **_):
        self.calls.append((dataset, path, unzip))
        write_zip(Path(path) / f"{dataset.split('/')[1]}.zip", self.files)


class FakeKagglehub:
    """Stands in for the kagglehub package: 'downloads' the data set unpacked into a cache
    folder, the way the real one lays it out, and returns that folder."""

    def __init__(self, cache: Path, files: dict[str, bytes]):
        self.cache = cache
        self.files = files
        self.calls: list[str] = []

    def dataset_download(self, handle: str) -> str:
        self.calls.append(handle)
        folder = self.cache / "datasets" / handle / "versions" / "1"
        for name, data in self.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        return str(folder)


def test_brick_type_comes_from_the_file_name():
    assert brick_type(Path("3003 Brick 2x2 000L.png")) == "3003 Brick 2x2"
    assert brick_type(Path("2357 Brick corner 1x2x2 399R.png")) == "2357 Brick corner 1x2x2"
    assert brick_type(Path("odd.png")) == "odd"


def test_reads_the_unpacked_kaggle_layout(tmp_path):
    write_bricks(tmp_path, per_type=4)
    datamodule = BricksDataModule(root=str(tmp_path), batch_size=4, num_workers=0, download=False)
    datamodule.prepare_data()
    assert datamodule.class_names == sorted(BRICK_TYPES) and datamodule.num_classes == 3
    datamodule.setup("fit")
    assert len(datamodule.train_set) == 12
    images, labels = next(iter(datamodule.train_dataloader()))
    assert images.shape == (4, 1, 64, 64) and images.dtype == torch.float32
    assert images.min() >= -1 and images.max() <= 1 and images.std() > 0
    assert labels.dtype == torch.int64 and set(labels.tolist()) <= {0, 1, 2}
    # the label is the type in the file name
    path = datamodule.train_set.paths[0]
    assert datamodule.class_names[datamodule.train_set.labels[0]] in path


def test_size_and_channels_are_configurable(tmp_path):
    write_bricks(tmp_path, per_type=2)
    datamodule = BricksDataModule(
        root=str(tmp_path), image_size=32, channels=3, num_workers=0, download=False
    )
    datamodule.setup()
    assert datamodule.image_shape == (3, 32, 32)
    assert datamodule.train_set[0][0].shape == (3, 32, 32)


def test_a_zip_in_the_root_is_unpacked_without_network(tmp_path):
    write_zip(tmp_path / "lego-brick-images.zip", brick_files(per_type=2))
    datamodule = BricksDataModule(root=str(tmp_path), num_workers=0, download=False)
    datamodule.setup()
    assert len(list((tmp_path / "lego-brick-images" / "dataset").glob("*.png"))) == 6
    assert len(datamodule.train_set) == 6
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.unpacked"))


def test_kagglehub_is_tried_first_and_its_files_are_used(tmp_path, monkeypatch):
    hub = FakeKagglehub(tmp_path / "cache", brick_files(per_type=2))
    api = FakeKaggleApi(brick_files(per_type=1))
    monkeypatch.setattr(kaggle, "kagglehub_module", lambda: hub)
    monkeypatch.setattr(kaggle, "kaggle_api", lambda: api)
    datamodule = BricksDataModule(root=str(tmp_path / "data"), num_workers=0)
    datamodule.setup()
    assert hub.calls == ["joosthazelzet/lego-brick-images"] and api.calls == []
    placed = sorted((tmp_path / "data" / "lego-brick-images" / "dataset").glob("*.png"))
    assert len(placed) == 6 and datamodule.num_classes == 3 and len(datamodule.train_set) == 6
    cached = tmp_path / "cache" / "datasets" / "joosthazelzet" / "lego-brick-images"
    assert len(list(cached.glob("versions/1/dataset/*.png"))) == 6, "kagglehub's cache is kept"
    assert not list((tmp_path / "data").glob("**/*.partial"))


def test_a_kagglehub_failure_falls_back_to_the_kaggle_api(tmp_path, monkeypatch):
    """kagglehub fails as offline (the tests' default): the Kaggle API's zip is used."""
    api = FakeKaggleApi(brick_files(per_type=2))
    monkeypatch.setattr(kaggle, "kaggle_api", lambda: api)
    datamodule = BricksDataModule(root=str(tmp_path), num_workers=0)
    datamodule.setup()
    assert api.calls == [("joosthazelzet/lego-brick-images", str(tmp_path), False)]
    assert len(datamodule.train_set) == 6


def test_a_kagglehub_copy_without_the_images_falls_back_too(tmp_path, monkeypatch):
    hub = FakeKagglehub(tmp_path / "cache", {"README.md": b"moved"})
    api = FakeKaggleApi(brick_files(per_type=2))
    monkeypatch.setattr(kaggle, "kagglehub_module", lambda: hub)
    monkeypatch.setattr(kaggle, "kaggle_api", lambda: api)
    datamodule = BricksDataModule(root=str(tmp_path / "data"), num_workers=0)
    datamodule.setup()
    assert hub.calls and api.calls and len(datamodule.train_set) == 6


def test_kaggle_download_lands_where_the_loader_reads(tmp_path, monkeypatch):
    api = FakeKaggleApi(brick_files(per_type=2))
    monkeypatch.setattr(kaggle, "kaggle_api", lambda: api)
    datamodule = BricksDataModule(root=str(tmp_path), num_workers=0)
    datamodule.setup()
    assert api.calls == [("joosthazelzet/lego-brick-images", str(tmp_path), False)]
    assert len(list((tmp_path / "lego-brick-images" / "dataset").glob("*.png"))) == 6
    assert datamodule.num_classes == 3 and len(datamodule.train_set) == 6


def test_missing_credentials_give_the_manual_steps(tmp_path, monkeypatch):
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "home" / ".kaggle"))
    datamodule = BricksDataModule(root=str(tmp_path / "data"), num_workers=0)
    with pytest.raises(DataNotFoundError) as error:
        datamodule.prepare_data()
    message = str(error.value)
    for text in (
        "kagglehub could not fetch joosthazelzet/lego-brick-images (ConnectionError",
        "kagglehub (pip install kagglehub) needs no credentials",
        "no usable Kaggle credentials",
        "kaggle.json",
        "KAGGLE_USERNAME",
        str(tmp_path / "data" / "lego-brick-images.zip"),
        str(tmp_path / "data" / "lego-brick-images" / "dataset"),
        "joosthazelzet/lego-brick-images",
    ):
        assert text in message


def test_a_partial_zip_says_so_and_leaves_nothing_half_unpacked(tmp_path):
    whole = write_zip(tmp_path / "whole.zip", brick_files(per_type=2)).read_bytes()
    (tmp_path / "lego-brick-images.zip").write_bytes(whole[: len(whole) // 2])
    datamodule = BricksDataModule(root=str(tmp_path), num_workers=0, download=False)
    with pytest.raises(DataNotFoundError, match="incomplete or corrupt"):
        datamodule.prepare_data()
    assert not (tmp_path / "lego-brick-images").exists()
    assert not list(tmp_path.glob("lego-brick-images.*/"))


def test_download_off_and_nothing_there(tmp_path):
    datamodule = BricksDataModule(root=str(tmp_path), num_workers=0, download=False)
    with pytest.raises(DataNotFoundError, match="download is off"):
        datamodule.setup()


def test_no_network_names_the_failure_and_the_manual_steps(tmp_path, monkeypatch):
    class OfflineApi:
        def dataset_download_files(self, *args, **kwargs):
            raise ConnectionError("Failed to resolve 'www.kaggle.com'")

    monkeypatch.setattr(kaggle, "kaggle_api", OfflineApi)
    with pytest.raises(DataNotFoundError) as error:
        BricksDataModule(root=str(tmp_path), num_workers=0).prepare_data()
    message = str(error.value)
    assert "download of joosthazelzet/lego-brick-images failed (ConnectionError" in message
    assert str(tmp_path / "lego-brick-images.zip") in message
    assert not list(tmp_path.iterdir())


def test_without_kagglehub_installed_the_kaggle_api_is_next(tmp_path, monkeypatch):
    monkeypatch.setattr(kaggle, "kagglehub_module", real_kagglehub_module)
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # what `import` sees when it is absent
    with pytest.raises(kaggle.KaggleUnavailable, match=r"kagglehub is not installed \(pip"):
        kaggle.kagglehub_download("joosthazelzet/lego-brick-images")
    api = FakeKaggleApi(brick_files(per_type=2))
    monkeypatch.setattr(kaggle, "kaggle_api", lambda: api)
    assert len(BricksDataModule(root=str(tmp_path), num_workers=0).index()) == 6
