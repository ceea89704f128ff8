"""Keep what native libraries print off planner's stdout.

highspy >= 1.16 prints HiGHS's banner ("Running HiGHS 1.16.0 ... Copyright ...") on file
descriptor 1 when a `Highs` object is built, before any option can be set; other native code
(HiGHS's log when it is asked for) writes there too. Python's `sys.stdout` sits above that
descriptor, so no Python-level redirect catches it. `diverted_stdout` points descriptor 1 at
/dev/null, or at stderr when the user asked for the solver's log, and gives `sys.stdout` a
descriptor of its own on the real stdout, so what planner prints still goes there.

The CLI holds one diversion for the whole command, so nothing native reaches its stdout, and
every process it starts (sweep workers, a local Dask cluster) inherits the
diverted descriptor. The solve holds one around HiGHS as well, so a script, a notebook or a Dask
worker that calls planner directly gets the same guarantee. Diversions nest and may be held from
several threads: the first one in diverts, the last one out restores, and the log goes to stderr
while any holder asked for it.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

STDOUT_FD = 1
STDERR_FD = 2


@dataclass
class _Diversion:
    """The one diversion a process holds: how many hold it, and what to restore."""

    saved_fd: int
    """A duplicate of the real stdout, put back onto descriptor 1 by the last holder out."""
    swapped_stdout: TextIO | None
    """`sys.stdout` as it was, when it wrote to descriptor 1 and was replaced."""
    holders: int = 0
    log_holders: int = 0
    """Holders that want native output on stderr rather than discarded."""
    to_stderr: bool = False


class _ProcessStdout:
    """Descriptor 1 is one per process, so its diversion is too (guarded by a lock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.diversion: _Diversion | None = None

    def enter(self, log: bool) -> None:
        with self.lock:
            if self.diversion is None:
                sys.stdout.flush()
                saved_fd, swapped = os.dup(STDOUT_FD), None
                if _fileno(sys.stdout) == STDOUT_FD:
                    swapped, sys.stdout = sys.stdout, _stream_on(saved_fd, sys.stdout)
                self.diversion = _Diversion(saved_fd, swapped)
                _point_descriptor_1(to_stderr=False)
            diversion = self.diversion
            diversion.holders += 1
            diversion.log_holders += int(log)
            self._route(diversion)

    def leave(self, log: bool) -> None:
        with self.lock:
            diversion = self.diversion
            assert diversion is not None
            diversion.holders -= 1
            diversion.log_holders -= int(log)
            if diversion.holders > 0:
                self._route(diversion)
                return
            self.diversion = None
            sys.stdout.flush()
            if diversion.swapped_stdout is not None:
                sys.stdout = diversion.swapped_stdout
            os.dup2(diversion.saved_fd, STDOUT_FD)
            os.close(diversion.saved_fd)

    @staticmethod
    def _route(diversion: _Diversion) -> None:
        wanted = diversion.log_holders > 0
        if wanted != diversion.to_stderr:
            _point_descriptor_1(to_stderr=wanted)
            diversion.to_stderr = wanted


_PROCESS_STDOUT = _ProcessStdout()


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return None


def _point_descriptor_1(to_stderr: bool) -> None:
    if to_stderr:
        os.dup2(STDERR_FD, STDOUT_FD)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, STDOUT_FD)
    finally:
        os.close(null)


def _stream_on(fd: int, like: TextIO) -> TextIO:
    """A text stream on `fd` that behaves as `like` did (encoding, errors, line buffering)."""
    line_buffered = bool(getattr(like, "line_buffering", False))
    return open(  # noqa: SIM115 - its descriptor is closed by the last holder out
        fd, "w", encoding=getattr(like, "encoding", None) or "utf-8", errors=getattr(like, "errors", None),
        buffering=1 if line_buffered else -1, closefd=False,
    )


@contextmanager
def diverted_stdout(log_to_stderr: bool = False) -> Iterator[None]:
    """Within the block, native writes to descriptor 1 are discarded (or go to stderr with
    `log_to_stderr`), while `sys.stdout` still reaches the real stdout."""
    _PROCESS_STDOUT.enter(log_to_stderr)
    try:
        yield
    finally:
        _PROCESS_STDOUT.leave(log_to_stderr)
