"""The one gate every input file passes: a regular file of bounded size, read with a limit.

Every plan, site file, catalog, scenario and sweep file is read here and nowhere else, so:
- only a regular file is read (or the pipe or file that is this process's standard input, for
  `plan optimize /dev/stdin`); a FIFO, a device (`/dev/zero`), a socket or a folder is refused
  before a byte is read, and a FIFO is opened without waiting for a writer;
- at most `limit` bytes are read, whatever the file claims its size is;
- every OS error (no such file, permission denied, a name too long, a symbolic link loop, a NUL
  byte in a name) is an `InputError` naming the file, never a traceback;
- the SHA-256 of exactly the bytes read is kept, so a report's provenance names what was parsed
  (a pipe cannot be read twice).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from planner.errors import InputError, Position, Problem
from planner.files import shown

READ_BLOCK = 1 << 20
MAX_NAME_CHARS = 4096
"""The longest path accepted (Linux's PATH_MAX); longer ones are refused before the OS sees them."""

_DIGESTS: dict[str, str] = {}
"""SHA-256 of the bytes last read through the gate, by the path as given (a process's own record)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def os_reason(error: BaseException) -> str:
    """An OS error (or a path Python refuses, such as one with a NUL byte) in words."""
    if isinstance(error, ValueError):
        return "the name holds a NUL byte" if "null" in str(error) else str(error)
    if isinstance(error, RuntimeError):  # Path.resolve() on a symbolic link loop
        return "a symbolic link loop"
    if isinstance(error, OSError):
        if error.errno == errno.ELOOP:
            return "a symbolic link loop"
        if error.errno == errno.ENAMETOOLONG:
            return "the name is too long"
        return error.strerror or type(error).__name__
    return str(error)


def _problem(display: str, message: str) -> InputError:
    return InputError([Problem(Position(printable(display), 1, 1), "", message)])


def printable(text: str) -> str:
    """`text` (a file name) printable under any locale: bytes that are not UTF-8 shown as `\\xNN`, very
    long names shortened."""
    return shown(text)


def _is_standard_input(info: os.stat_result) -> bool:
    """Whether `info` is the file this process reads as standard input (`/dev/stdin`, `/proc/self/fd/0`)."""
    try:
        ours = os.fstat(0)
    except OSError:
        return False
    return (ours.st_dev, ours.st_ino) == (info.st_dev, info.st_ino)


def _check_name(path: Path, display: str) -> None:
    name = os.fspath(path)
    if "\x00" in name:
        raise _problem(display, "cannot read: the name holds a NUL byte")
    if len(name) > MAX_NAME_CHARS:
        raise _problem(display, f"cannot read: expected a name of at most {MAX_NAME_CHARS:,} characters, "
                                f"found {len(name):,}")


def _open(path: Path, display: str) -> int:
    """A read-only descriptor of `path`, refused (before opening) unless it can only be a file to read."""
    _check_name(path, display)
    try:
        before = path.stat()
        if not (stat.S_ISREG(before.st_mode) or (stat.S_ISFIFO(before.st_mode) and _is_standard_input(before))):
            if stat.S_ISDIR(before.st_mode):
                raise _problem(display, "expected a YAML file, found a folder")
            raise _problem(display, f"expected a regular file, found {_kind(before.st_mode)}")
        # O_NONBLOCK: should the file become a FIFO after the check above, opening it does not wait.
        return os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise _problem(display, "no such file") from None
    except (OSError, ValueError) as error:
        raise _problem(display, f"cannot read ({os_reason(error)})") from None


def read_input(path: Path, display: str, limit: int) -> bytes:
    """The bytes of input file `path` (at most `limit`), through the gate described above.

    Args:
        path: The file, as the user or an include named it.
        display: Its name in messages.
        limit: The most bytes accepted.

    Raises:
        InputError: `path` is not a regular file (or standard input), cannot be read, or is larger
            than `limit`.
    """
    descriptor = _open(path, display)
    try:
        info = os.fstat(descriptor)
        if not (stat.S_ISREG(info.st_mode) or _is_standard_input(info)):
            raise _problem(display, f"expected a regular file, found {_kind(info.st_mode)}")
        if stat.S_ISREG(info.st_mode) and info.st_size > limit:
            raise _problem(display, f"expected at most {limit:,} bytes, found {info.st_size:,}")
        os.set_blocking(descriptor, True)
        raw = _read_at_most(descriptor, limit + 1)
    except OSError as error:
        raise _problem(display, f"cannot read ({os_reason(error)})") from None
    finally:
        os.close(descriptor)
    if len(raw) > limit:
        raise _problem(display, f"expected at most {limit:,} bytes, found more")
    _DIGESTS[os.fspath(path)] = hashlib.sha256(raw).hexdigest()
    return raw


def _read_at_most(descriptor: int, count: int) -> bytes:
    parts: list[bytes] = []
    left = count
    while left > 0:
        block = os.read(descriptor, min(READ_BLOCK, left))
        if not block:
            break
        parts.append(block)
        left -= len(block)
    return b"".join(parts)


def input_digest(path: Path, limit: int) -> str:
    """The SHA-256 of the bytes of `path` that were parsed: those the gate read, when it read them
    in this process; otherwise the file's bytes read now, through the gate."""
    recorded = _DIGESTS.get(os.fspath(path))
    if recorded is None:
        read_input(path, str(path), limit)
        recorded = _DIGESTS[os.fspath(path)]
    return recorded


def resolve_inside(candidate: Path, display: str, key: str, position: Position | None) -> Path:
    """`candidate` with every symbolic link resolved, or an InputError at `position` saying why not
    (a NUL byte, a name too long, a symbolic link loop)."""
    try:
        _check_name(candidate, display)
        return candidate.resolve()
    except InputError as error:
        raise InputError([Problem(position, key, error.problems[0].message)]) from None
    except (OSError, ValueError, RuntimeError) as error:
        raise InputError([Problem(position, key, f"cannot follow '{printable(display)}' "
                                                 f"({os_reason(error)})")]) from None


def not_a_file(path: Path) -> str | None:
    """None if `path` is a regular file (following links), else what it is, in words."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except (OSError, ValueError) as error:
        return f"cannot read ({os_reason(error)})"
    return None if stat.S_ISREG(mode) else f"expected a regular file, found {_kind(mode)}"


__all__ = ["MAX_NAME_CHARS", "input_digest", "not_a_file", "os_reason", "printable", "read_input", "resolve_inside"]
