"""Process-wide settings, applied by the entry point that owns the process, never by a module.

The CPU memory policy: glibc hands large freed blocks back to the kernel (`munmap`, heap
trimming) and the next step's tensors of the same sizes then fault in fresh zeroed pages. With
mmap off and trimming out of reach, allocations come from the heap and stay mapped, so a
training process's resident memory stays at its peak, which a training loop reaches every step
anyway. It is one of the CPU tricks behind `cpu_tricks` (see docs/performance.md).
"""

import ctypes
import sys

import torch

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
_applied = False


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed memory (Linux only); True when it did."""
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    _applied = bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))
    return _applied


def apply_process_settings(device: torch.device, cpu_tricks: bool) -> None:
    """What a training process on `device` sets for itself before it fits."""
    if device.type == "cpu" and cpu_tricks:
        keep_freed_memory()
