"""Any folder of images (`data=folder data.path=DIR`): every image file under DIR, recursively;
with `data.labels=true` the first-level sub-folders are the classes (DIR/<class>/…).

Files PIL cannot even open are left out when the folder is listed, with a logged count; files
that open but fail to decode (truncated) are replaced by the next image when they come up.
"""

import logging
from pathlib import Path

from ganlab.data.base import ImageDataModule
from ganlab.data.images import (
    IMAGE_EXTENSIONS,
    IMAGE_RULES,
    Crop,
    ImageFiles,
    default_num_workers,
    find_images,
    is_readable_image,
)
from ganlab.errors import UsageError

log = logging.getLogger(__name__)


class ImageFolderDataModule(ImageDataModule):
    rules = (*ImageDataModule.rules, *IMAGE_RULES)

    def __init__(
        self,
        path: str | None = None,
        root: str | None = None,
        labels: bool = False,
        channels: int = 3,
        image_size: int = 64,
        crop: Crop = "square",
        antialias: bool = True,
        batch_size: int = 128,
        num_workers: int | None = None,
        pin_memory: bool | None = None,
        limit: int | None = None,
    ):
        """`path` is the folder; `root` is accepted as the same thing (every data preset has
        a `data.root`) and used when `path` is not given."""
        folder = path if path is not None else root
        if folder is None:
            raise UsageError("data=folder needs the folder of images: add data.path=DIR")
        self.check_values(
            {"channels": channels, "image_size": image_size, "crop": crop, "antialias": antialias}
        )
        workers = default_num_workers() if num_workers is None else num_workers
        super().__init__(batch_size, workers, pin_memory, limit=limit)
        self.path = Path(folder).expanduser()
        self.labels = labels
        self.channels = channels
        self.image_size = image_size
        self.crop = crop
        self.antialias = antialias
        self.image_shape = (channels, image_size, image_size)
        self.files: list[Path] | None = None
        self.save_hyperparameters()

    def prepare_data(self) -> None:
        self.index()

    def index(self) -> list[Path]:
        """The readable image files, listed and checked once."""
        if self.files is not None:
            return self.files
        if not self.path.is_dir():
            raise UsageError(f"data.path={self.path} is not a folder")
        candidates = find_images(self.path)
        self.files = [path for path in candidates if is_readable_image(path)]
        unreadable = len(candidates) - len(self.files)
        if unreadable:
            log.warning("skipped %d unreadable image files under %s", unreadable, self.path)
        if not self.files:
            raise UsageError(
                f"no images under {self.path} (looked recursively for "
                f"{', '.join(IMAGE_EXTENSIONS)}"
                + (f"; {unreadable} files could not be read" if unreadable else "")
                + "): point data.path at a folder of images"
            )
        if self.labels:
            loose = [path for path in self.files if path.parent == self.path]
            if loose:
                raise UsageError(
                    f"data.labels=true takes the first-level sub-folders of {self.path} as the "
                    f"classes, but {len(loose)} images lie directly in it (e.g. {loose[0].name}):"
                    " move them into class folders or set data.labels=false"
                )
        return self.files

    def class_of(self, path: Path) -> str:
        return path.relative_to(self.path).parts[0]

    @property
    def class_names(self) -> list[str]:
        """The first-level sub-folders holding images, sorted (none unless data.labels)."""
        if not self.labels:
            return []
        return sorted({self.class_of(path) for path in self.index()})

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        files = self.index()
        labels = None
        if self.labels:
            label_of = {name: label for label, name in enumerate(self.class_names)}
            labels = [label_of[self.class_of(path)] for path in files]
        self.train_set = ImageFiles(
            files, labels, self.channels, self.image_size, self.crop, self.antialias
        )
