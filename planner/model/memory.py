"""Memory the solver freed, handed back to the operating system where the C library allows it."""

from __future__ import annotations

import ctypes
import sys


def release_freed_memory() -> bool:
    """Ask the C library to return the free pages of its heaps: glibc's `malloc_trim(0)`
    (malloc_trim(3): since glibc 2.8, every whole free page of every arena). True if it gave
    some back; False where it could not, or where the C library has no such call (macOS,
    Windows, musl).

    Why: when a large HiGHS model is released, glibc keeps its 350 MB of freed pages in the heap
    (the pages sit below memory still in use), and what runs next does not reuse them: Python's
    small objects come from pymalloc's own arenas and pandas' pyarrow strings from mimalloc. So
    the tables and files of a 300-site plan grew the process from 570 MB to 760 MB; handed back,
    they grow it from 250 MB (bench/README.md)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))
