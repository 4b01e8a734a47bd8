"""Fetching a Kaggle data set: its unpacked files with `kagglehub` (a public data set needs no
credentials), or its zip with the `kaggle` Python API (which always needs them); and placing
files so that an interrupted unpack or copy never looks like a complete data set.

`kagglehub_module()` and `kaggle_api()` are the only places that touch Kaggle's clients (tests
replace them).
"""

import io
import os
import shutil
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any


class KaggleUnavailable(Exception):
    """The Kaggle download could not be done; the message says why (for the data modules to
    turn into a DataNotFoundError with the manual steps)."""


class IncompleteArchive(Exception):
    """A zip that cannot be read to the end: a partial download."""


def kagglehub_module() -> Any:
    """The `kagglehub` package."""
    import kagglehub

    return kagglehub


def kagglehub_download(dataset: str) -> Path:
    """The folder of `owner/name`'s unpacked files in kagglehub's cache (downloaded there when
    missing); kagglehub shows its own progress."""
    try:
        return Path(kagglehub_module().dataset_download(dataset))
    except ImportError:
        raise KaggleUnavailable("kagglehub is not installed (pip install kagglehub)") from None
    except Exception as error:
        raise KaggleUnavailable(
            f"kagglehub could not fetch {dataset} ({type(error).__name__}: {error})"
        ) from None


def kaggle_api() -> Any:
    """Kaggle's client, authenticated. Its import and `authenticate()` print a help text and
    call `exit(1)` when no credentials are found; both are captured here."""
    chatter = io.StringIO()
    try:
        with redirect_stdout(chatter), redirect_stderr(chatter):
            from kaggle.api.kaggle_api_extended import KaggleApi

            api = KaggleApi()
            api.authenticate()
    except (Exception, SystemExit) as error:
        raise KaggleUnavailable(f"no usable Kaggle credentials ({type(error).__name__})") from None
    return api


def download_zip(dataset: str, folder: Path) -> Path:
    """Download `owner/name` as `folder/name.zip` (not unpacked) and return its path."""
    api = kaggle_api()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with redirect_stdout(io.StringIO()):
            api.dataset_download_files(dataset, path=str(folder), quiet=True, unzip=False)
    except (Exception, SystemExit) as error:
        raise KaggleUnavailable(
            f"the Kaggle download of {dataset} failed ({type(error).__name__}: {error})"
        ) from None
    archive = folder / f"{dataset.split('/')[-1]}.zip"
    if not archive.is_file():
        raise KaggleUnavailable(f"the Kaggle download of {dataset} did not write {archive}")
    return archive


def unpack_zip(archive: Path, destination: Path) -> None:
    """Extract `archive` into `destination` (which must not exist yet) through a `.partial`
    folder renamed at the end."""
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(partial)
    except (zipfile.BadZipFile, EOFError) as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise IncompleteArchive(
            f"{archive} is incomplete or corrupt ({type(error).__name__}: {error}): delete it "
            "and download it again"
        ) from None
    partial.rename(destination)


def link_or_copy(source: str, destination: str) -> None:
    """A hard link where the file system allows one (no second copy on disk), else a copy."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def place_folder(source: Path, destination: Path) -> None:
    """Copy `source` to `destination` (which must not exist yet) through a `.partial` folder
    renamed at the end; `source` is left as it is (it may be a download cache)."""
    partial = destination.with_name(destination.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, partial, copy_function=link_or_copy)
    partial.rename(destination)


def move_into(source: Path, destination: Path) -> None:
    """Move `source`'s entries into `destination`, creating it if needed, never replacing an
    entry already there: a folder the user filled partly keeps every file it holds."""
    if not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        source.rename(destination)
        return
    for entry in source.iterdir():
        target = destination / entry.name
        if not target.exists():
            entry.rename(target)
