"""Where the tools write by default, and checking an output path before any work is done."""

import os
import tempfile
from pathlib import Path

from ganlab.errors import UsageError


def run_folder(ckpt: str | Path) -> Path:
    """The run folder of a checkpoint: RUN for RUN/checkpoints/x.ckpt, else the file's folder."""
    folder = Path(ckpt).resolve().parent
    return folder.parent if folder.name == "checkpoints" else folder


def writable_folder(folder: str | Path, key: str = "out") -> Path:
    """Create `folder` (and parents) or stop with a message naming `key`, before any work."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create {key}={folder} ({error.strerror}): choose another {key}="
        ) from None
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(
            f"{key}={folder} is not writable ({error.strerror}): choose another {key}="
        ) from None
    return folder


def writable_file(path: str | Path, suffix: str, key: str = "out") -> Path:
    """A file path with the right suffix whose folder can be written."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{key}={path} must end in {suffix}")
    if path.is_dir():
        raise UsageError(f"{key}={path} is a folder: give a file name ending in {suffix}")
    writable_folder(path.parent, key)
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{key}={path} exists and is not writable: choose another {key}=")
    return path
