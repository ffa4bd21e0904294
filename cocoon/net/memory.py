"""Giving memory back to the system once a large buffer is freed (glibc's allocator).

glibc serves a large allocation with its own mmap and unmaps it on free, but after each such
free it raises the size from which it does so (up to 32 MiB): the next 16 MiB frame is then
carved from the heap, and once freed stays in the process (a proxy that took four partial
16 MiB frames went from 117 to 189 MiB, and stayed there after the connections closed). A
fixed threshold keeps every block from `threshold` bytes up mapped on its own, so it goes back
to the system the moment it is freed. Elsewhere (musl, macOS) this does nothing.

Smaller blocks come from the heap, and a burst of requests leaves free holes in it that glibc
keeps (only free memory at its top goes back by itself): 1 to 2 MB per role after a c=64 run
(issue 17). A service gives them back every TRIM_INTERVAL seconds (`trim_periodically`).
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import trio

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
LARGE_BLOCK = 256 * 1024
TRIM_INTERVAL = 10.0  # seconds; a trim takes well under a millisecond


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


def _libc_function(name: str) -> Any:
    """The C library's function `name`, or None (not Linux, or not there)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None


def give_back_free_heap() -> bool:
    """Return the heap's free pages to the system (glibc's `malloc_trim(0)`); True if done."""
    trim = _libc_function("malloc_trim")
    if trim is None:
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    trim(0)
    return True


async def trim_periodically(interval: float = TRIM_INTERVAL) -> None:
    """`give_back_free_heap()` every `interval` seconds, for good (elsewhere: returns)."""
    if _libc_function("malloc_trim") is None:
        return
    while True:
        await trio.sleep(interval)
        give_back_free_heap()
