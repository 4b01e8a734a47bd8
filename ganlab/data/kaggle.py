"""Fetching a Kaggle data set's zip with the `kaggle` Python API, and unpacking zips so that an
interrupted unpack never looks like a complete data set.

`kaggle_api()` is the one place that talks to Kaggle's client (tests replace it).
"""

import io
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
