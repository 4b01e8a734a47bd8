"""Files that are either the old version or the new one, never half of either.

Every file ganlab writes (checkpoints, samples, grids, run records, reports, caches) goes
through `write_atomically`; a failed write is one line naming the file (exit 1).

Lightning's own `TorchCheckpointIO` serialises into memory and writes through an fsspec
transaction, which writes a temporary file in the system temp folder and then moves it into
place: when the temp folder is on another file system than the run folder (a tmpfs `/tmp`, a
scratch disk), the move is a copy, and a kill during the copy leaves a truncated `last.ckpt`.
`AtomicCheckpointIO` writes the temporary file next to its target, flushes it to disk, then
renames it over the target (`os.replace`, atomic on POSIX and Windows), so a crash at any
moment leaves the previous checkpoint intact; a failed write also says so in one line.
"""

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

import torch
from fsspec.implementations.local import LocalFileSystem
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.plugins.io import TorchCheckpointIO

from ganlab.errors import GanlabError, UsageError, one_line

TEMP_SUFFIX = ".tmp"


class WriteError(GanlabError):
    """A file could not be written (disk full, read-only folder, quota); the old one is kept."""


class CheckpointWriteError(WriteError):
    """A checkpoint could not be written; the old one is kept."""


WRITE_FAILURE_MARKS = ("unexpected pos", "PytorchStreamWriter failed", "file write failed")
"""How torch's C++ zip writer reports a failed write: a `RuntimeError`, not an `OSError`
(`torch.save` to a path on a full disk says `[enforce fail at inline_container.cc:…]
unexpected pos 576 vs 534`)."""


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


def write_failure(error: BaseException) -> OSError | RuntimeError | None:
    """The error behind a failed write, if `error` is one: an `OSError` (ENOSPC, EROFS,
    EDQUOT, EACCES) anywhere in its cause or context chain (torch's `RuntimeError` hides the
    ENOSPC in its context), else torch's write `RuntimeError` itself."""
    chain, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        chain.append(error)
        error = error.__cause__ or error.__context__
    os_errors = [e for e in chain if isinstance(e, OSError)]
    torch_errors = [
        e
        for e in chain
        if isinstance(e, RuntimeError) and any(mark in str(e) for mark in WRITE_FAILURE_MARKS)
    ]
    return next(iter(os_errors + torch_errors), None)


def reason_of(error: OSError | RuntimeError) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return "the disk is full or the file could not be written: " + one_line(error)


def write_atomically(
    path: str | os.PathLike,
    write: Callable[[BinaryIO], None],
    what: str = "file",
    then: str = "free disk space or fix the folder's permissions, then run again",
    keep_existing: bool = False,
) -> None:
    """Call `write` on a temporary file next to `path`, sync it, then rename it over `path`.
    A write that fails (disk full, read-only folder, quota) raises a `WriteError` naming
    `what` and `path` (exit 1), and `path` is unchanged."""
    path = Path(path)
    try:
        replace_atomically(path, write, keep_existing)
    except (OSError, RuntimeError) as error:
        failure = write_failure(error)
        if failure is None:
            raise
        kind = CheckpointWriteError if what == "checkpoint" else WriteError
        raise kind(
            f"cannot write {what} {path} ({reason_of(failure)}); any previous {what} there is "
            f"unchanged: {then}"
        ) from error


def write_bytes_atomically(path: str | os.PathLike, data: bytes, what: str = "file") -> None:
    write_atomically(path, lambda file: file.write(data), what)


def write_text_atomically(path: str | os.PathLike, text: str, what: str = "file") -> None:
    write_bytes_atomically(path, text.encode(), what)


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """`torch.save` to `path` through a temporary file in the same folder and a rename."""
    write_atomically(
        path,
        lambda file: torch.save(obj, file),
        "checkpoint",
        "free disk space or fix the folder's permissions, then continue with resume=true",
    )


def replace_atomically(
    path: Path, write: Callable[[BinaryIO], None], keep_existing: bool = False
) -> None:
    """The mechanism: temporary file in the same folder, flush, fsync, `os.replace`; with
    `keep_existing`, a hard link that fails if `path` appeared meanwhile (another command
    writing the same output), so two writers cannot both succeed silently."""
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
        if keep_existing:
            claim(temp, path)
        else:
            os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_folder(path.parent)


class Taken(GanlabError):
    """The output appeared while ganlab was writing it: another command writes there too."""

    exit_code = 2


def claim(temp: Path, path: Path) -> None:
    """Put `temp` at `path` only if nothing is there (`os.link` fails on an existing name)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise Taken(
            f"{path} appeared while ganlab was writing it: another command writes the same "
            f"output; nothing was replaced. Choose another out=, or overwrite=true"
        ) from None
    os.unlink(temp)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Trainer plugin: local checkpoints are written atomically (remote ones as Lightning does)."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None or not isinstance(get_filesystem(path), LocalFileSystem):
            super().save_checkpoint(checkpoint, path, storage_options)
            return
        atomic_torch_save(checkpoint, path)


WRITTEN = ".ganlab-written.json"
"""Per folder: the files ganlab's reporting commands wrote there, with their SHA-256, so that
a later run replaces its own output and nothing else."""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def written_here(folder: Path) -> dict[str, str]:
    try:
        written = json.loads((folder / WRITTEN).read_text())
    except (OSError, ValueError):
        return {}
    return written if isinstance(written, dict) else {}


def check_replaceable(folder: Path, names: Iterable[str], command: str) -> None:
    """Refuse, before anything is written, to replace a file ganlab did not write (or that
    changed since): one `UsageError` naming them."""
    written = written_here(folder)
    foreign = [
        name
        for name in names
        if (folder / name).exists()
        and (not (folder / name).is_file() or written.get(name) != digest(folder / name))
    ]
    if foreign:
        raise UsageError(
            f"{command} would replace {', '.join(foreign)} in {folder}, which ganlab did not "
            f"write (or which changed since): move them away, then run again"
        )


def record_written(folder: Path, names: Iterable[str]) -> None:
    """Note the files just written, so the next run may replace them."""
    written = written_here(folder) | {name: digest(folder / name) for name in names}
    write_text_atomically(folder / WRITTEN, json.dumps(written, indent=1), "record of outputs")
