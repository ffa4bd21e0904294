"""Giving memory back to the system once a large buffer is freed (glibc's allocator).

glibc serves a large allocation with its own mmap and unmaps it on free, but after each such
free it raises the size from which it does so (up to 32 MiB): the next 16 MiB frame is then
carved from the heap, and once freed stays in the process (a proxy that took four partial
16 MiB frames went from 117 to 189 MiB, and stayed there after the connections closed). A
fixed threshold keeps every block from `threshold` bytes up mapped on its own, so it goes back
to the system the moment it is freed. Elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
LARGE_BLOCK = 256 * 1024


def return_large_blocks_on_free(threshold: int = LARGE_BLOCK) -> bool:
    """Make the C allocator map blocks of `threshold` bytes and more on their own; True if
    it took the setting (glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
