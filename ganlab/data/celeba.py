"""CelebA faces in torchvision's layout, read without torchvision's MD5 checks:

    ROOT/celeba/img_align_celeba/000001.jpg …     202,599 aligned 178×218 JPEGs
    ROOT/celeba/list_attr_celeba.txt               count, 40 attribute names, one ±1 row per image
    ROOT/celeba/list_eval_partition.txt            '<file> <0|1|2>' (train / valid / test)

Fetched through torchvision, or from the Kaggle mirror when Google Drive refuses (its quota
errors are common); the mirror's CSV files are rewritten into torchvision's text files.
"""

import csv
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganlab.data.base import ImageDataModule
from ganlab.data.images import IMAGE_RULES, Crop, ImageFiles, default_num_workers
from ganlab.data.kaggle import (
    IncompleteArchive,
    KaggleUnavailable,
    download_zip,
    move_into,
    unpack_zip,
)
from ganlab.data.mnist import default_root
from ganlab.errors import CorruptDataError, DataNotFoundError, UsageError
from ganlab.options import Rule, subset_of
from ganlab.run.atomic import write_text_atomically

log = logging.getLogger(__name__)

KAGGLE_DATASET = "jessicali9530/celeba-dataset"
SPLITS = ("train", "valid", "test")
IMAGES = "img_align_celeba"
ATTRIBUTE_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair",
    "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair",
    "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
    "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
    "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings",
    "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
)  # fmt: skip


def torchvision_download(root: Path) -> None:
    """torchvision's Google-Drive download into ROOT/celeba (it checks the MD5s itself)."""
    from torchvision.datasets import CelebA

    CelebA(str(root), split="all", target_type="attr", download=True)


def malformed(path: Path, problem: str) -> CorruptDataError:
    return CorruptDataError(
        f"{path} is malformed: {problem}; delete it and run again with data.download=true (or "
        "put torchvision's file there)"
    )


def text_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except UnicodeDecodeError as error:
        raise malformed(path, f"it is not text ({error.reason} at byte {error.start})") from None


def read_partition(path: Path) -> dict[str, int]:
    """file name -> 0 (train), 1 (valid) or 2 (test), from '<file> <0|1|2>' lines."""
    partition = {}
    for number, line in enumerate(text_lines(path), 1):
        row = line.split()
        if not row:
            continue
        if len(row) != 2 or row[1] not in ("0", "1", "2"):
            raise malformed(path, f"line {number} is {line.strip()[:60]!r}, not '<file> <0|1|2>'")
        partition[row[0]] = int(row[1])
    if not partition:
        raise malformed(path, "it lists no images")
    return partition


def read_attributes(path: Path) -> tuple[list[str], dict[str, list[int]]]:
    """Attribute names, and file name -> ±1 per attribute (line 1: the image count; line 2:
    the names; then '<file> ±1 …' rows)."""
    lines = text_lines(path)
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise malformed(path, "it does not start with the image count and the attribute names")
    names = lines[1].split()
    rows = {}
    for number, line in enumerate(lines[2:], 3):
        row = line.split()
        if not row:
            continue
        if len(row) != len(names) + 1 or any(v not in ("1", "-1", "0") for v in row[1:]):
            raise malformed(
                path, f"line {number} is not a file name and {len(names)} values of 1 or -1"
            )
        rows[row[0]] = [int(v) for v in row[1:]]
    if len(rows) != int(lines[0]):
        promised = int(lines[0])
        raise malformed(path, f"its first line promises {promised} images, it lists {len(rows)}")
    return names, rows


def write_torchvision_files(mirror: Path, folder: Path) -> None:
    """The Kaggle mirror's list_attr_celeba.csv / list_eval_partition.csv → torchvision's text
    files (each written under a temporary name, then renamed)."""
    header, *rows = csv_rows(mirror / "list_attr_celeba.csv", columns=None)
    lines = [" ".join(row) for row in rows]
    attributes = "\n".join([str(len(lines)), " ".join(header[1:]), *lines]) + "\n"
    _, *pairs = csv_rows(mirror / "list_eval_partition.csv", columns=2)
    partition = "".join(f"{name} {split}\n" for name, split in pairs)
    for name, text in ((ATTRIBUTE_FILE, attributes), (PARTITION_FILE, partition)):
        write_text_atomically(folder / name, text, "CelebA list")


def csv_rows(path: Path, columns: int | None) -> list[list[str]]:
    """The non-empty rows of a CSV file, each of `columns` cells (None: as many as the
    header's), or a one-line error naming the file."""
    try:
        with path.open(newline="") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except (UnicodeDecodeError, csv.Error) as error:
        raise malformed(path, f"it is not CSV text ({error})") from None
    if not rows:
        raise malformed(path, "it is empty")
    width = columns or len(rows[0])
    for number, row in enumerate(rows, 1):
        if len(row) != width:
            raise malformed(path, f"row {number} has {len(row)} cells, not {width}")
    return rows


class CelebADataModule(ImageDataModule):
    rules = (
        *ImageDataModule.rules,
        *IMAGE_RULES,
        Rule("splits", "choice", f"a non-empty subset of {list(SPLITS)}", subset_of(SPLITS)),
    )

    @classmethod
    def check_values(cls, values: Mapping[str, Any], prefix: str | None = None) -> None:
        super().check_values(values, prefix)
        condition_on = values.get("condition_on")
        if condition_on is not None and condition_on not in ATTRIBUTES:
            raise UsageError(
                f"CelebA has no attribute {condition_on!r} (data.condition_on); choose one of: "
                + ", ".join(ATTRIBUTES)
            )

    def __init__(
        self,
        root: str | None = None,
        splits: tuple[str, ...] | list[str] = SPLITS,
        condition_on: str | None = None,
        image_size: int = 64,
        crop: Crop = 178,
        antialias: bool = True,
        channels: int = 3,
        download: bool = True,
        batch_size: int = 128,
        num_workers: int | None = None,
        pin_memory: bool | None = None,
        limit: int | None = None,
    ):
        self.check_values(
            {
                "channels": channels,
                "image_size": image_size,
                "crop": crop,
                "antialias": antialias,
                "splits": list(splits),
                "condition_on": condition_on,
            }
        )
        self.splits = list(splits)
        workers = default_num_workers() if num_workers is None else num_workers
        super().__init__(batch_size, workers, pin_memory, limit=limit)
        self.root = Path(root or default_root()).expanduser()
        self.condition_on = condition_on
        self.image_size = image_size
        self.crop = crop
        self.antialias = antialias
        self.channels = channels
        self.download = download
        self.image_shape = (channels, image_size, image_size)
        self.class_names = [f"not_{condition_on}", condition_on] if condition_on else []
        self.save_hyperparameters()

    @property
    def folder(self) -> Path:
        return self.root / "celeba"

    @property
    def kaggle_archive(self) -> Path:
        return self.root / f"{KAGGLE_DATASET.split('/')[-1]}.zip"

    def missing_files(self) -> list[str]:
        checks = {IMAGES: Path.is_dir, ATTRIBUTE_FILE: Path.is_file, PARTITION_FILE: Path.is_file}
        return [name for name, exists in checks.items() if not exists(self.folder / name)]

    def missing(self, reason: str) -> DataNotFoundError:
        return DataNotFoundError(
            f"CelebA not found in {self.folder} (missing {', '.join(self.missing_files())}); "
            f"{reason}. Fix one of: (1) put the files there in torchvision's layout: "
            f"{IMAGES}/*.jpg, {ATTRIBUTE_FILE}, {PARTITION_FILE}; (2) download the Kaggle "
            f"mirror's zip from https://www.kaggle.com/datasets/{KAGGLE_DATASET} and save it "
            f"as {self.kaggle_archive} (ganlab unpacks and arranges it); (3) set Kaggle "
            "credentials (kaggle.json from kaggle.com > Settings > API in ~/.kaggle/, or "
            "KAGGLE_USERNAME and KAGGLE_KEY) and data.download=true; or point data.root (or "
            "GANLAB_DATA) at the folder holding celeba/"
        )

    def prepare_data(self) -> None:
        if not self.missing_files():
            return
        if self.kaggle_archive.is_file():
            self.arrange_kaggle_mirror()
            return
        if not self.download:
            raise self.missing("download is off (data.download=false)")
        try:
            torchvision_download(self.root)
        except Exception as error:
            torchvision_failure = f"torchvision's download failed ({type(error).__name__})"
            log.warning("%s: %s; trying the Kaggle mirror", torchvision_failure, error)
        else:
            return
        try:
            download_zip(KAGGLE_DATASET, self.root)
        except KaggleUnavailable as error:
            raise self.missing(f"{torchvision_failure}, and {error}") from None
        self.arrange_kaggle_mirror()

    def arrange_kaggle_mirror(self) -> None:
        """Unpack the mirror's zip (img_align_celeba/img_align_celeba/*.jpg + CSV files) into
        torchvision's layout."""
        unpacked = self.root / "celeba-dataset.unpacked"
        shutil.rmtree(unpacked, ignore_errors=True)
        try:
            unpack_zip(self.kaggle_archive, unpacked)
        except IncompleteArchive as error:
            raise self.missing(str(error)) from None
        images = next(
            (
                folder
                for folder in (unpacked / IMAGES / IMAGES, unpacked / IMAGES)
                if folder.is_dir() and any(folder.glob("*.jpg"))
            ),
            None,
        )
        csvs = [unpacked / "list_attr_celeba.csv", unpacked / "list_eval_partition.csv"]
        if images is None or not all(path.is_file() for path in csvs):
            shutil.rmtree(unpacked, ignore_errors=True)
            raise self.missing(
                f"{self.kaggle_archive} is not the Kaggle mirror's layout ({IMAGES}/*.jpg, "
                "list_attr_celeba.csv, list_eval_partition.csv)"
            )
        move_into(images, self.folder / IMAGES)
        write_torchvision_files(unpacked, self.folder)
        shutil.rmtree(unpacked, ignore_errors=True)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        self.prepare_data()
        partition = read_partition(self.folder / PARTITION_FILE)
        chosen = {SPLITS.index(split) for split in self.splits}
        names = sorted(name for name, split in partition.items() if split in chosen)
        present = {path.name for path in (self.folder / IMAGES).iterdir()}
        absent = [name for name in names if name not in present]
        if absent:
            raise DataNotFoundError(
                f"{len(absent)} of the {len(names)} images that {PARTITION_FILE} lists for "
                f"splits {self.splits} are missing from {self.folder / IMAGES} (first: "
                f"{absent[0]}): the download or unpack is incomplete; delete "
                f"{self.folder / IMAGES} and run again, or unpack the images there"
            )
        labels = None
        if self.condition_on is not None:
            attribute_names, rows = read_attributes(self.folder / ATTRIBUTE_FILE)
            if self.condition_on not in attribute_names:
                raise DataNotFoundError(
                    f"{self.folder / ATTRIBUTE_FILE} has no column {self.condition_on!r}"
                )
            column = attribute_names.index(self.condition_on)
            unlisted = [name for name in names if name not in rows]
            if unlisted:
                raise malformed(
                    self.folder / ATTRIBUTE_FILE,
                    f"{len(unlisted)} images of {PARTITION_FILE} have no row (first: "
                    f"{unlisted[0]})",
                )
            labels = [int(rows[name][column] == 1) for name in names]
        paths = [self.folder / IMAGES / name for name in names]
        self.train_set = ImageFiles(
            paths, labels, self.channels, self.image_size, self.crop, self.antialias
        )
