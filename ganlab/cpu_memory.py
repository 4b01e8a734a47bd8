"""How a CPU training process keeps its memory: freed tensors stay mapped for the next step.

glibc hands large freed blocks back to the kernel (`munmap`, heap trimming) and the next
step's tensors of the same sizes then fault in fresh zeroed pages: ~55k page faults per MNIST
DCGAN step at batch 256, 10% of its time on 2 cores. With mmap off and trimming out of reach,
allocations come from the heap and stay mapped, so a training process's resident memory stays
at its peak, which a training loop reaches every step anyway.
"""

import ctypes
import sys

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
