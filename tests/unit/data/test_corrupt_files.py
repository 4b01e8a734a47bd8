"""Corrupt copies of every data format ganlab reads: a file that cannot be parsed is one
`CorruptDataError` line naming it and what is wrong; an image that cannot be decoded is
skipped and counted; every PIL mode becomes the right [-1, 1] values or is refused with a
reason; a reference cache that cannot be read is rebuilt with a warning."""

import gzip
import logging
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from ganlab.data import images as image_files
from ganlab.data.bricks import BricksDataModule
from ganlab.data.celeba import CelebADataModule, write_torchvision_files
from ganlab.data.images import ImageFiles, load_image
from ganlab.data.mnist import MNISTDataModule
from ganlab.errors import CorruptDataError
from ganlab.metrics.reference import cache_file, cached_features
from tests.helpers import write_idx, write_mnist
from tests.helpers.layouts import brick_files, celeba_kaggle_files, write_celeba, write_zip

IMAGES = "t10k-images-idx3-ubyte"
LABELS = "t10k-labels-idx1-ubyte"


def mnist_error(root) -> str:
    with pytest.raises(CorruptDataError) as raised:
        MNISTDataModule(root=str(root), splits=["test"], download=False).setup()
    assert "\n" not in str(raised.value) and raised.value.exit_code == 2
    return str(raised.value)


def raw(root):
    return root / "MNIST" / "raw"


def test_a_truncated_gzip_names_the_file(tmp_path):
    write_mnist(tmp_path, count=16, gz=True)
    path = raw(tmp_path) / f"{IMAGES}.gz"
    path.write_bytes(path.read_bytes()[:-40])
    assert mnist_error(tmp_path).startswith(f"{path} is a truncated or damaged gzip file")


def test_a_gz_name_on_data_that_is_not_gzip(tmp_path):
    write_mnist(tmp_path, count=16, gz=True)
    path = raw(tmp_path) / f"{LABELS}.gz"
    path.write_bytes(b"<html>quota exceeded</html>")
    assert mnist_error(tmp_path).startswith(f"{path} is not gzip data")


def test_a_wrong_magic_number(tmp_path):
    write_mnist(tmp_path, count=16, gz=False)
    path = raw(tmp_path) / IMAGES
    path.write_bytes(struct.pack(">I", 0x00000801) + path.read_bytes()[4:])  # a labels magic
    assert mnist_error(tmp_path).startswith(
        f"{path} has the magic number 0x00000801, not 0x00000803"
    )


def test_a_body_shorter_than_its_header_promises(tmp_path):
    write_mnist(tmp_path, count=16, gz=False)
    path = raw(tmp_path) / IMAGES
    path.write_bytes(path.read_bytes()[:-100])
    message = mnist_error(tmp_path)
    assert message.startswith(f"{path} is truncated: its header promises (16, 28, 28)")


def test_image_and_label_counts_that_disagree(tmp_path):
    write_mnist(tmp_path, count=16, gz=True)
    write_idx(raw(tmp_path) / LABELS, np.zeros(15, np.uint8), gz=True)
    message = mnist_error(tmp_path)
    assert "holds 16 images but" in message and "holds 15 labels" in message


def test_a_label_outside_the_classes(tmp_path):
    write_mnist(tmp_path, count=16, gz=True)
    write_idx(raw(tmp_path) / LABELS, np.full(16, 12, np.uint8), gz=True)
    assert "holds the label 12, outside 0-9" in mnist_error(tmp_path)


def test_the_intact_gzip_reads_the_same_as_the_raw_file(tmp_path):
    gz = MNISTDataModule(root=str(write_mnist(tmp_path / "a", count=16, gz=True)), download=False,
                         splits=["test"])  # fmt: skip
    plain = MNISTDataModule(root=str(write_mnist(tmp_path / "b", count=16, gz=False)),
                            download=False, splits=["test"])  # fmt: skip
    gz.setup(), plain.setup()
    assert torch.equal(gz.train_set.images, plain.train_set.images)
    assert gz.train_set.images.shape == (16, 1, 28, 28)


def celeba_error(root, **kwargs) -> str:
    with pytest.raises(CorruptDataError) as raised:
        CelebADataModule(root=str(root), download=False, num_workers=0, **kwargs).setup()
    assert "\n" not in str(raised.value)
    return str(raised.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("000001.jpg 0\n000002.jpg train\n", "line 2 is '000002.jpg train', not '<file> <0|1|2>'"),
        ("", "it lists no images"),
        ("000001.jpg 0 extra\n", "line 1 is"),
    ],
)
def test_a_malformed_partition_file(tmp_path, text, problem):
    write_celeba(tmp_path, count=5)
    path = tmp_path / "celeba" / "list_eval_partition.txt"
    path.write_text(text)
    assert celeba_error(tmp_path).startswith(f"{path} is malformed: {problem}")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda lines: ["5", *lines[1:3]], "its first line promises 5 images, it lists 1"),
        (lambda lines: ["x", *lines[1:]], "it does not start with the image count"),
        (lambda lines: [*lines[:2], lines[2][:30]], "line 3 is not a file name and 40 values"),
    ],
)
def test_a_malformed_attribute_file(tmp_path, edit, problem):
    write_celeba(tmp_path, count=5)
    path = tmp_path / "celeba" / "list_attr_celeba.txt"
    path.write_text("\n".join(edit(path.read_text().splitlines())) + "\n")
    message = celeba_error(tmp_path, condition_on="Smiling")
    assert message.startswith(f"{path} is malformed: {problem}")


def test_binary_garbage_as_an_attribute_file(tmp_path):
    write_celeba(tmp_path, count=5)
    path = tmp_path / "celeba" / "list_attr_celeba.txt"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert celeba_error(tmp_path, condition_on="Smiling").startswith(f"{path} is malformed")


def test_a_malformed_mirror_csv(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, data in celeba_kaggle_files(4).items():
        if name.endswith(".csv"):
            (mirror / name).write_bytes(data)
    (mirror / "list_eval_partition.csv").write_text("image_id,partition\n000001.jpg,0,9\n")
    with pytest.raises(CorruptDataError, match=r"list_eval_partition\.csv is malformed: row 2"):
        write_torchvision_files(mirror, tmp_path)
    assert not (tmp_path / "list_attr_celeba.txt").exists(), "nothing half-arranged"


def test_unpacking_the_mirror_keeps_images_already_in_the_folder(tmp_path):
    folder = tmp_path / "celeba" / "img_align_celeba"
    folder.mkdir(parents=True)
    (folder / "000001.jpg").write_bytes(b"the user's own copy")
    (folder / "notes.txt").write_text("mine")
    write_zip(tmp_path / "celeba-dataset.zip", celeba_kaggle_files(5))
    CelebADataModule(root=str(tmp_path), download=False).prepare_data()
    assert (folder / "000001.jpg").read_bytes() == b"the user's own copy"
    assert (folder / "notes.txt").read_text() == "mine"
    assert len(list(folder.glob("*.jpg"))) == 5


def test_unpacking_bricks_keeps_what_the_folder_held(tmp_path):
    folder = tmp_path / "lego-brick-images" / "dataset"
    folder.mkdir(parents=True)
    (folder / "README.txt").write_text("mine")
    write_zip(tmp_path / "lego-brick-images.zip", brick_files(2))
    BricksDataModule(root=str(tmp_path), download=False).prepare_data()
    assert (folder / "README.txt").read_text() == "mine"
    assert len(list(folder.glob("*.png"))) == 6


def saved(tmp_path, image: Image.Image, name: str):
    path = tmp_path / name
    image.save(path)
    return path


GRAY = 0.5
MODES = {
    "I;16": (lambda: Image.fromarray(np.full((8, 8), 32896, np.uint16)), "png", 128),
    "I": (lambda: Image.fromarray(np.full((8, 8), 65535, np.int32)), "tif", 255),
    "F": (lambda: Image.fromarray(np.full((8, 8), 0.5, np.float32)), "tif", 128),
    "P": (lambda: Image.new("RGB", (8, 8), (51, 51, 51)).convert("P"), "png", 51),
    "LA": (lambda: Image.new("LA", (8, 8), (200, 128)), "png", 100),
    "RGBA": (lambda: Image.new("RGBA", (8, 8), (250, 250, 250, 0)), "png", 0),
    "CMYK": (lambda: Image.new("CMYK", (8, 8), (0, 0, 0, 127)), "tif", 128),
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_every_mode_becomes_its_8_bit_values(tmp_path, mode):
    make, suffix, expected = MODES[mode]
    path = saved(tmp_path, make(), f"image.{suffix}")
    with Image.open(path) as opened:
        assert opened.mode == mode
    for channels in (1, 3):
        tensor = load_image(path, channels, 8, None)
        assert tensor.shape == (channels, 8, 8)
        assert (tensor.int() - expected).abs().max() <= 1, (mode, tensor.unique())


@pytest.mark.parametrize(
    ("array", "reason"),
    [
        (np.full((8, 8), 2.0, np.float32), "float image (mode F) with values in [2.0, 2.0]"),
        (np.full((8, 8), -5, np.int32), "mode I with values in [-5, -5]"),
    ],
)
def test_values_that_mean_nothing_in_8_bits_are_skipped_with_the_reason(
    tmp_path, caplog, array, reason
):
    bad = saved(tmp_path, Image.fromarray(array), "bad.tif")
    good = saved(tmp_path, Image.new("L", (8, 8), 255), "good.png")
    dataset = ImageFiles([bad, good], None, 1, 8, None)
    with caplog.at_level(logging.WARNING):
        image, _ = dataset[0]
    assert torch.all(image == 1), "replaced by the next readable image"
    assert reason in caplog.text and "1 skipped so far" in caplog.text


def test_a_decompression_bomb_is_skipped_not_decoded(tmp_path, caplog, monkeypatch):
    big = saved(tmp_path, Image.new("L", (250, 250)), "bomb.png")
    huge = saved(tmp_path, Image.new("L", (300, 300)), "huge.png")
    good = saved(tmp_path, Image.new("L", (8, 8), 255), "good.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40_000)  # bomb: warning; huge: error
    assert not image_files.is_readable_image(big) and not image_files.is_readable_image(huge)
    dataset = ImageFiles([big, huge, good], None, 1, 8, None)
    with caplog.at_level(logging.WARNING):
        image, _ = dataset[0]
    assert torch.all(image == 1)
    assert "decompression bomb" in caplog.text and "2 skipped so far" in caplog.text


@pytest.mark.parametrize(
    "content",
    [b"", b"not a torch file", gzip.compress(b"x" * 100)],
    ids=["empty", "garbage", "foreign"],
)
def test_an_unreadable_reference_cache_is_rebuilt_with_a_warning(tmp_path, content):
    source = {"npz": "real.npz", "real_n": 10}
    path = cache_file(tmp_path, source, "inception")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with pytest.warns(UserWarning, match=f"the reference cache {path} cannot be read"):
        features, cached = cached_features(source, "inception", lambda: torch.ones(4), tmp_path)
    assert not cached and torch.equal(features, torch.ones(4))
    assert cached_features(source, "inception", lambda: torch.zeros(4), tmp_path)[1]


def test_a_cache_holding_another_object_is_rebuilt(tmp_path):
    source = {"npz": "real.npz"}
    path = cache_file(tmp_path, source, "inception")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save([1, 2, 3], path)
    with pytest.warns(UserWarning, match="not a ganlab reference cache"):
        assert not cached_features(source, "inception", lambda: torch.ones(2), tmp_path)[1]
