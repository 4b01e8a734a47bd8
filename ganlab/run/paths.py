"""Where the tools write by default, and checking an output path before any work is done."""

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganlab.errors import UsageError
from ganlab.run.record import RECORD_FILE

EVALUATION_FILES = (RECORD_FILE, "samples.png", "nearest_neighbours.png")


def run_folder(ckpt: str | Path) -> Path:
    """RUN for RUN/checkpoints/x.ckpt, else the checkpoint's folder."""
    folder = Path(ckpt).resolve().parent
    return folder.parent if folder.name == "checkpoints" else folder


def writable_folder(folder: str | Path, key: str = "out") -> Path:
    """Create `folder` or stop with a message naming `key`, before any work."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(
            f"cannot create {key}={folder} or write there ({error.strerror}): choose another {key}="
        ) from None
    return folder


def writable_file(path: str | Path, suffix: str, key: str = "out", overwrite: bool = True) -> Path:
    """A file path with the right suffix in a writable folder; an existing file only with
    `overwrite` (ganlab does not replace a file it was not told to)."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{key}={path} must end in {suffix}")
    if path.is_dir():
        raise UsageError(f"{key}={path} is a folder: give a file name ending in {suffix}")
    writable_folder(path.parent, key)
    if path.exists() and not overwrite:
        raise UsageError(
            f"{key}={path} already exists: choose another {key}=, or replace it with overwrite=true"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{key}={path} exists and is not writable: choose another {key}=")
    return path


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"{name} must be true or false, got {value!r}")
    return value


def overwrite_option(value: object) -> bool:
    return flag("overwrite", value)


def sample_option(options: Mapping[str, Any]) -> bool:
    """An entry point's `ema=` (true when absent): false samples the raw generator."""
    return flag("ema (sample the averaged generator when there is one)", options.get("ema", True))


def evaluation_folder(folder: str | Path, overwrite: bool) -> Path:
    """A folder `ganlab.evaluate` may write into, checked before anything is computed: never
    a training run's (its metrics.json is the run's record), one holding an evaluation only
    with `overwrite`."""
    folder = Path(folder)
    try:
        record = json.loads((folder / RECORD_FILE).read_bytes())
    except (OSError, ValueError):
        record = None
    if (folder / ".hydra").is_dir() or (isinstance(record, dict) and "status" in record):
        raise UsageError(
            f"out={folder} is a training run folder: its {RECORD_FILE} is the run's record, "
            "which ganlab.evaluate never replaces; leave out= unset (the default is "
            f"{folder}/evaluation/<checkpoint name>/) or choose another out="
        )
    taken = [name for name in EVALUATION_FILES if (folder / name).exists()]
    if taken and not overwrite:
        raise UsageError(
            f"out={folder} already holds {', '.join(taken)}: choose another out=, or replace "
            "them with overwrite=true"
        )
    return writable_folder(folder)
