"""A real, tiny file system for write-failure tests: a tmpfs of a few hundred KiB mounted
on a test folder (needs root, as in the CI container; otherwise the tests skip, saying why),
filled up on demand, or mounted read-only."""

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class SmallDisk:
    path: Path

    def fill(self, leave: int = 0) -> None:
        """Write a filler file until the file system is full, or only about `leave` bytes
        are free: a later write fails with ENOSPC at once (`leave=0`) or part-way through
        (torch then raises `RuntimeError: … unexpected pos …`, not an OSError)."""
        descriptor = os.open(self.path / ".filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while self.free() > leave:
                os.write(descriptor, b"\0" * min(65536, max(self.free() - leave, 4096)))
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        finally:
            os.close(descriptor)

    def free(self) -> int:
        stats = os.statvfs(self.path)
        return stats.f_bavail * stats.f_frsize

    def make_read_only(self) -> None:
        mount("-o", "remount,ro", str(self.path))


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def why_not_mountable() -> str | None:
    if os.name != "posix" or not hasattr(os, "geteuid"):
        return "tmpfs mounts need Linux"
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root (run the tests as root, e.g. in the CI container)"
    return None


@contextlib.contextmanager
def small_disk(folder: Path, size_kib: int = 512) -> Iterator[SmallDisk]:
    reason = why_not_mountable()
    if reason:
        pytest.skip(reason)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mount("-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder))
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"cannot mount a tmpfs here: {getattr(error, 'stderr', error)}")
    try:
        yield SmallDisk(folder)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)
