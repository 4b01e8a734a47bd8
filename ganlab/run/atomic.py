"""Files that are either the old version or the new one, never half of either (docs/
reliability.md, "Atomic writes"): every file ganlab writes goes through `write_atomically`,
checkpoints too (`AtomicCheckpointIO`: Lightning's writer copies across file systems, which a
kill leaves truncated). A failed write is one line (exit 1)."""

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

from ganlab.errors import GanlabError, one_line

WRITE_FAILURE_MARKS = ("unexpected pos", "PytorchStreamWriter failed", "file write failed")
"""How torch's zip writer reports a failed write (a full disk): a RuntimeError, no OSError."""


class WriteError(GanlabError):
    """A file could not be written (disk full, read-only folder, quota); the old one is kept."""


class Taken(GanlabError):
    """The output appeared while ganlab was writing it: another command writes there too."""

    exit_code = 2


def write_atomically(
    path: str | os.PathLike,
    write: Callable[[BinaryIO], None],
    what: str = "file",
    then: str = "free disk space or fix the folder's permissions, then run again",
    keep_existing: bool = False,
) -> None:
    """Call `write` on a temporary file next to `path`, sync it, then put it at `path`; with
    `keep_existing`, only if nothing appeared there meanwhile (else `Taken`)."""
    path = Path(path)
    temp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)  # left by a process killed while writing
        # 0o666 minus the umask: the permissions a plain open() would give
        with open(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if keep_existing:
            os.link(temp, path)  # fails on an existing name
        else:
            os.replace(temp, path)
        if os.name == "posix":  # the rename itself made durable
            folder = os.open(path.parent, os.O_RDONLY)
            os.fsync(folder)
            os.close(folder)
    except (OSError, RuntimeError) as error:
        if keep_existing and isinstance(error, FileExistsError):
            raise Taken(
                f"{path} appeared while ganlab was writing it: another command writes the same "
                f"output; nothing was replaced. Choose another out=, or overwrite=true"
            ) from None
        failure = write_failure(error)
        if failure is None:
            raise
        if isinstance(failure, OSError):
            reason = failure.strerror or str(failure)
        else:
            reason = f"the disk is full or the file could not be written: {one_line(failure)}"
        raise WriteError(
            f"cannot write {what} {path} ({reason}); any previous {what} there is unchanged: {then}"
        ) from error
    finally:
        with contextlib.suppress(OSError):  # gone, or a read-only folder where none was made
            os.unlink(temp)


def write_failure(error: BaseException | None) -> BaseException | None:
    """The `OSError` anywhere in the cause or context chain (torch hides the ENOSPC in its
    context), else torch's write `RuntimeError`; None for any other error (a bug)."""
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    found = [e for e in chain if isinstance(e, OSError)]
    found += [e for e in chain if any(mark in str(e) for mark in WRITE_FAILURE_MARKS)]
    return next(iter(found), None)


def write_text_atomically(path: str | os.PathLike, text: str, what: str = "file") -> None:
    write_atomically(path, lambda file: file.write(text.encode()), what)


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    then = "free disk space or fix the folder's permissions, then continue with resume=true"
    write_atomically(path, lambda file: torch.save(obj, file), "checkpoint", then)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Trainer plugin: local checkpoints are written atomically (remote ones as Lightning does)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None or not isinstance(get_filesystem(path), LocalFileSystem):
            super().save_checkpoint(checkpoint, path, storage_options)
        else:
            atomic_torch_save(checkpoint, path)
