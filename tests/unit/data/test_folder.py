import logging
import os

import pytest
import torch

from ganlab.data.folder import ImageFolderDataModule
from ganlab.data.images import ImageFiles, default_num_workers
from ganlab.errors import UsageError
from tests.helpers.layouts import write_folder


def module(path, **kwargs) -> ImageFolderDataModule:
    return ImageFolderDataModule(path=str(path), num_workers=0, **kwargs)


def test_every_image_recursively_and_unreadable_files_are_counted(tmp_path, caplog):
    write_folder(tmp_path, {"cats": 3, "dogs": 2}, corrupt=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.png").write_bytes((tmp_path / "dogs" / "1.png").read_bytes())
    datamodule = module(tmp_path, image_size=32, batch_size=2)
    with caplog.at_level(logging.WARNING, logger="ganlab.data.folder"):
        datamodule.prepare_data()
    assert "skipped 1 unreadable image files" in caplog.text  # garbage.png
    names = sorted(path.name for path in datamodule.index())
    assert names == ["0.jpg", "0.jpg", "1.png", "1.png", "2.jpg", "truncated.png"]
    assert datamodule.num_classes == 0
    datamodule.setup()
    images, labels = next(iter(datamodule.train_dataloader()))
    assert images.shape == (2, 3, 32, 32) and set(labels.tolist()) == {0}


def test_a_truncated_file_is_replaced_not_fatal(tmp_path, caplog):
    write_folder(tmp_path, {"cats": 2}, corrupt=True)
    datamodule = module(tmp_path, image_size=16)
    datamodule.setup()
    truncated = list(datamodule.train_set.paths).index(str(tmp_path / "cats" / "truncated.png"))
    with caplog.at_level(logging.WARNING, logger="ganlab.data.images"):
        image, _ = datamodule.train_set[truncated]
        every = [datamodule.train_set[i][0] for i in range(len(datamodule.train_set))]
    assert image.shape == (3, 16, 16) and len(every) == 3
    assert caplog.text.count("skipping unreadable image") == 1
    assert "truncated.png" in caplog.text


def test_sub_folders_as_labels(tmp_path):
    write_folder(tmp_path, {"dogs": 2, "cats": 3}, corrupt=False)
    datamodule = module(tmp_path, labels=True, channels=1, image_size=16)
    assert datamodule.class_names == ["cats", "dogs"]
    datamodule.setup()
    labels = datamodule.train_set.labels.tolist()
    assert sorted(labels) == [0, 0, 0, 1, 1]
    for path, label in zip(datamodule.train_set.paths, labels, strict=True):
        assert f"/{datamodule.class_names[label]}/" in path
    assert datamodule.train_set[0][0].shape == (1, 16, 16)


def test_limit_keeps_the_first_files(tmp_path):
    write_folder(tmp_path, {"dogs": 2, "cats": 3}, corrupt=False)
    whole, first = module(tmp_path, labels=True), module(tmp_path, labels=True, limit=2)
    whole.setup()
    first.setup()
    assert list(first.train_set.paths) == list(whole.train_set.paths[:2])
    assert first.train_set.labels.tolist() == whole.train_set.labels[:2].tolist()


def test_labels_need_class_folders(tmp_path):
    write_folder(tmp_path, {"cats": 2}, corrupt=False)
    (tmp_path / "loose.png").write_bytes((tmp_path / "cats" / "1.png").read_bytes())
    with pytest.raises(UsageError, match=r"loose\.png"):
        module(tmp_path, labels=True).prepare_data()


def test_square_crop_keeps_the_aspect(tmp_path):
    from PIL import Image

    wide = torch.zeros(3, 20, 60, dtype=torch.uint8)
    wide[:, :, 20:40] = 255  # a white centre square between black side bands
    Image.fromarray(wide.permute(1, 2, 0).numpy()).save(tmp_path / "wide.png")
    square = ImageFiles([tmp_path / "wide.png"], None, 3, 20, "square")[0][0]
    squashed = ImageFiles([tmp_path / "wide.png"], None, 3, 20, None)[0][0]
    assert square.min() == 1.0
    assert squashed.min() == -1.0


def test_antialias_false_resizes_as_keras(tmp_path):
    """A 64x64 image shrunk to 8x8: bilinear without antialiasing (Keras' `tf.image.resize`)
    reads only the 2x2 pixels around each output pixel's centre (rows and columns 8i+3, 8i+4),
    so a bright pixel at 8i+3 is a quarter of it and one at 8i is not seen; the antialiased
    resize spreads both over their 8x8 block."""
    from PIL import Image

    image = torch.zeros(64, 64, dtype=torch.uint8)
    image[3::8, 3::8] = 255  # seen by the 2x2 read, at weight 1/4
    image[0::8, 0::8] = 255  # outside it
    Image.fromarray(image.numpy()).save(tmp_path / "dots.png")
    keras = ImageFiles([tmp_path / "dots.png"], None, 1, 8, None, antialias=False)[0][0]
    smooth = ImageFiles([tmp_path / "dots.png"], None, 1, 8, None)[0][0]
    expected = round(255 / 4) / 127.5 - 1
    torch.testing.assert_close(keras, torch.full((1, 8, 8), expected))
    assert smooth.max() < expected  # the dots' light spread over more pixels
    folder = module(tmp_path, antialias=False)
    folder.prepare_data()
    folder.setup("fit")
    assert folder.train_set.antialias is False


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "no images under"),
        (lambda p: (p / "notes.txt").write_text("hi"), "no images under"),
        (lambda p: (p / "bad.png").write_bytes(b"nope"), "1 files could not be read"),
    ],
)
def test_a_folder_without_images_is_a_clear_error(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(UsageError, match=message):
        module(tmp_path).prepare_data()


def test_path_is_required_and_must_be_a_folder(tmp_path):
    with pytest.raises(UsageError, match=r"data\.path=DIR"):
        ImageFolderDataModule()
    with pytest.raises(UsageError, match="is not a folder"):
        module(tmp_path / "absent").prepare_data()


def test_root_is_an_alias_of_path(tmp_path):
    write_folder(tmp_path, {"cats": 2}, corrupt=False)
    assert ImageFolderDataModule(root=str(tmp_path)).path == tmp_path


def test_bad_image_options():
    with pytest.raises(UsageError, match=r"data\.channels"):
        ImageFolderDataModule(path="x", channels=2)
    with pytest.raises(UsageError, match=r"data\.crop"):
        ImageFolderDataModule(path="x", crop="middle")
    with pytest.raises(UsageError, match=r"data\.antialias must be true or false, got 'no'"):
        ImageFolderDataModule(path="x", antialias="no")


@pytest.mark.parametrize(("cpus", "workers"), [(1, 0), (2, 1), (4, 3), (32, 8)])
def test_default_workers_leave_a_core_for_training(monkeypatch, cpus, workers):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert default_num_workers() == workers
