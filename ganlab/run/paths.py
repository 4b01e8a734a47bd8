"""Where the tools write by default, and checking an output path before any work is done."""

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ganlab.errors import UsageError


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
