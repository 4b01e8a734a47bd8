"""Checkpoint files that are either the old version or the new one, never half of either.

Lightning's own `TorchCheckpointIO` serialises into memory and writes through an fsspec
transaction, which writes a temporary file in the system temp folder and then moves it into
place: when the temp folder is on another file system than the run folder (a tmpfs `/tmp`, a
scratch disk), the move is a copy, and a kill during the copy leaves a truncated `last.ckpt`.
`AtomicCheckpointIO` writes the temporary file next to its target, flushes it to disk, then
renames it over the target (`os.replace`, atomic on POSIX and Windows), so a crash at any
moment leaves the previous checkpoint intact; a failed write also says so in one line.
"""

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import torch
from fsspec.implementations.local import LocalFileSystem
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.plugins.io import TorchCheckpointIO

from ganlab.errors import GanlabError

TEMP_SUFFIX = ".tmp"


class CheckpointWriteError(GanlabError):
    """A checkpoint could not be written (disk full, permissions); the old one is kept."""


def temp_prefix(path: Path) -> str:
    return f".{path.name}."


def fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX: a directory's entries are synced separately)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """`torch.save` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    try:
        write_then_rename(obj, path)
    except OSError as error:
        raise CheckpointWriteError(
            f"cannot write checkpoint {path} ({error.strerror or error}); any previous "
            f"checkpoint there is unchanged: free disk space or fix the folder's permissions, "
            f"then continue with resume=true"
        ) from error


def write_then_rename(obj: Any, path: Path) -> None:
    write_atomically(path, lambda file: torch.save(obj, file))


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call `write` on a temporary file next to `path`, sync it, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{temp_prefix(path)}*{TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)  # left by a process killed while saving
    temp = path.parent / f"{temp_prefix(path)}{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        # 0o666 minus the umask: the permissions a plain open() would give
        with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_folder(path.parent)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Trainer plugin: local checkpoints are written atomically (remote ones as Lightning does)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None or not isinstance(get_filesystem(path), LocalFileSystem):
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        atomic_torch_save(checkpoint, path)
