"""LEGO bricks (Kaggle `joosthazelzet/lego-brick-images`): 40,000 renders of 50 brick types,
the Generative Deep Learning book's DCGAN data set.

On disk, as the Kaggle zip unpacks: `ROOT/lego-brick-images/dataset/<type> <index><L|R>.png`,
e.g. `3003 Brick 2x2 000L.png`; the brick type in the name is the label. When they are missing,
kagglehub fetches the public data set without credentials; the Kaggle API (credentials needed)
is the fallback.
"""

import logging
import re
import shutil
from pathlib import Path

from ganlab.data.base import ImageDataModule
from ganlab.data.images import IMAGE_RULES, Crop, ImageFiles, default_num_workers
from ganlab.data.kaggle import (
    IncompleteArchive,
    KaggleUnavailable,
    download_zip,
    kagglehub_download,
    move_into,
    place_folder,
    unpack_zip,
)
from ganlab.data.mnist import default_root
from ganlab.errors import DataNotFoundError

log = logging.getLogger(__name__)

KAGGLE_DATASET = "joosthazelzet/lego-brick-images"
FOLDER = "lego-brick-images"
FULL_SET = 40_000
RENDER_NAME = re.compile(r"^(?P<type>.+) \d+[LR]$")


def brick_type(path: Path) -> str:
    """'3003 Brick 2x2' from '3003 Brick 2x2 000L.png' (the whole stem when it has no index)."""
    match = RENDER_NAME.match(path.stem)
    return match["type"] if match else path.stem


def dataset_folder(unpacked: Path) -> Path | None:
    """The `dataset/` folder of PNGs in an unpacked copy of the data set (at its top or one
    level down), or None."""
    candidates = [unpacked / "dataset", *sorted(unpacked.glob("*/dataset"))]
    return next((c for c in candidates if c.is_dir() and any(c.glob("*.png"))), None)


class BricksDataModule(ImageDataModule):
    rules = (*ImageDataModule.rules, *IMAGE_RULES)

    def __init__(
        self,
        root: str | None = None,
        image_size: int = 64,
        channels: int = 1,
        crop: Crop = "square",
        antialias: bool = True,
        download: bool = True,
        batch_size: int = 128,
        num_workers: int | None = None,
        pin_memory: bool | None = None,
        limit: int | None = None,
    ):
        self.check_values(
            {"channels": channels, "image_size": image_size, "crop": crop, "antialias": antialias}
        )
        workers = default_num_workers() if num_workers is None else num_workers
        super().__init__(batch_size, workers, pin_memory, limit=limit)
        self.root = Path(root or default_root()).expanduser()
        self.image_size = image_size
        self.channels = channels
        self.crop = crop
        self.antialias = antialias
        self.download = download
        self.image_shape = (channels, image_size, image_size)
        self.files: list[Path] | None = None
        self.save_hyperparameters()

    @property
    def image_folder(self) -> Path:
        return self.root / FOLDER / "dataset"

    @property
    def archive(self) -> Path:
        return self.root / f"{FOLDER}.zip"

    def has_images(self) -> bool:
        return self.image_folder.is_dir() and any(self.image_folder.glob("*.png"))

    def missing(self, reason: str) -> DataNotFoundError:
        return DataNotFoundError(
            f"LEGO brick images not found: no PNGs in {self.image_folder}; {reason}. Fix one of: "
            "(1) data.download=true on a connected machine: kagglehub (pip install kagglehub) "
            "needs no credentials for this public data set, the fallback, the kaggle API, needs "
            "them (kaggle.json from kaggle.com > Settings > API in ~/.kaggle/, or "
            "KAGGLE_USERNAME and KAGGLE_KEY); "
            "(2) download the zip from "
            f"https://www.kaggle.com/datasets/{KAGGLE_DATASET} and save it as {self.archive} "
            f"(ganlab unpacks it); (3) unpack it yourself so the PNGs are in "
            f"{self.image_folder}/; or point data.root (or GANLAB_DATA) at the folder "
            f"holding {FOLDER}/"
        )

    def prepare_data(self) -> None:
        if self.has_images():
            return
        if not self.archive.is_file():
            if not self.download:
                raise self.missing("download is off (data.download=false)")
            try:
                self.fetch_with_kagglehub()
                return
            except KaggleUnavailable as failure:
                hub_failure = str(failure)
            log.info("%s; downloading the zip with the Kaggle API into %s", hub_failure, self.root)
            try:
                download_zip(KAGGLE_DATASET, self.root)
            except KaggleUnavailable as failure:
                raise self.missing(f"{hub_failure}; {failure}") from None
        self.unpack()

    def fetch_with_kagglehub(self) -> None:
        """The images from kagglehub's cache (unpacked there), linked or copied into the root."""
        log.info("fetching %s with kagglehub", KAGGLE_DATASET)
        cache = kagglehub_download(KAGGLE_DATASET)
        found = dataset_folder(cache)
        if found is None:
            raise KaggleUnavailable(f"kagglehub's copy in {cache} holds no dataset/ folder of PNGs")
        staging = self.image_folder.with_name("dataset.kagglehub")  # ganlab's own name
        shutil.rmtree(staging, ignore_errors=True)
        place_folder(found, staging)
        move_into(staging, self.image_folder)
        shutil.rmtree(staging, ignore_errors=True)

    def unpack(self) -> None:
        """Unpack the zip into ROOT/lego-brick-images/, keeping its `dataset/` folder."""
        unpacked = self.root / f"{FOLDER}.unpacked"
        shutil.rmtree(unpacked, ignore_errors=True)
        try:
            unpack_zip(self.archive, unpacked)
        except IncompleteArchive as error:
            raise self.missing(str(error)) from None
        found = dataset_folder(unpacked)
        if found is None:
            shutil.rmtree(unpacked, ignore_errors=True)
            raise self.missing(f"{self.archive} holds no dataset/ folder of PNGs")
        move_into(found, self.image_folder)
        shutil.rmtree(unpacked, ignore_errors=True)

    def index(self) -> list[Path]:
        """The PNG files, sorted (listed once)."""
        if self.files is None:
            self.prepare_data()
            self.files = sorted(self.image_folder.glob("*.png"))
            if len(self.files) < FULL_SET:
                log.info("found %d brick images (the full set has %d)", len(self.files), FULL_SET)
        return self.files

    @property
    def class_names(self) -> list[str]:
        """The brick types found in the file names (50 in the full set), sorted."""
        return sorted({brick_type(path) for path in self.index()})

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        files = self.index()
        label_of = {name: label for label, name in enumerate(self.class_names)}
        labels = [label_of[brick_type(path)] for path in files]
        self.train_set = ImageFiles(
            files, labels, self.channels, self.image_size, self.crop, self.antialias
        )
