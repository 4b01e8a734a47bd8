"""Process-wide settings, applied by the entry point that owns the process, never by a module.

With `cpu_tricks` on a CPU, glibc keeps freed memory (no mmap, no heap trimming): a training
loop reaches its peak every step anyway, and its tensors then stop faulting in fresh zeroed
pages each step (docs/performance.md).
"""

import ctypes
import functools
import sys

import torch

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4


@functools.cache
def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed memory (Linux only); True when it did."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))


def apply_process_settings(device: torch.device, cpu_tricks: bool) -> None:
    if device.type == "cpu" and cpu_tricks:
        keep_freed_memory()
