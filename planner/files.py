"""Writing one file planner owns (`--write-mps`, `plan generate --out`): whole or not at all, and
never over anything but a regular file.

A path is replaced only when it holds nothing or a regular file: a symbolic link, a device, a
FIFO or a folder there is refused (exit 2), never turned into a regular file. The file is
written under a temporary name unique to this process and run (`.planner-tmp-<pid>-<random>`) in
the same folder, then renamed over the path; every OS error on the way is an `InputError`
naming the option, and the path keeps what it held.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from planner.errors import InputError, Problem

TEMPORARY_PREFIX = ".planner-tmp-"


def temporary_prefix() -> str:
    """The start of this process's temporary names: `.planner-tmp-<pid>-`."""
    return f"{TEMPORARY_PREFIX}{os.getpid()}-"


def temporary_owner(name: str) -> int | None:
    """The process id in a temporary name that `temporary_prefix` began, or None."""
    if not name.startswith(TEMPORARY_PREFIX):
        return None
    pid, _, _ = name[len(TEMPORARY_PREFIX):].partition("-")
    return int(pid) if pid.isdigit() else None


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs (a process we may not signal runs too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid > 0
    return True


def reason(error: BaseException) -> str:
    """An OS error in words (its strerror), or the error itself."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, ValueError) and "null" in str(error):
        return "the name holds a NUL byte"
    return str(error) or type(error).__name__


def shown(path: Path | str) -> str:
    """`path` printable under any locale (bytes that are not UTF-8 escaped), long names shortened."""
    text = os.fspath(path)
    try:  # a name read from the OS keeps its undecodable bytes as surrogates: show them as \xNN
        text = os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 300 else f"{text[:150]}...{text[-100:]}"


def provenance_name(path: Path) -> str:
    """An input's name in a report's provenance, as stable across machines as it can be: relative to
    the working folder, or package-relative for the built-in catalog (`planner/data/catalog.yaml`),
    else its name alone; printable and drawable (`shown`: bytes that are not UTF-8 as `\\xNN`)."""
    try:
        return shown(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):
        parts = path.parts
        if "planner" in parts:
            return shown("/".join(parts[len(parts) - 1 - parts[::-1].index("planner"):]))
        return shown(path.name)


def kind_of(mode: int) -> str:
    """What a file of `mode` is, in words."""
    kinds = ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
             (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def _refuse(option: str, message: str) -> InputError:
    return InputError([Problem(None, option, message)])


def writable_folder_problem(folder: Path) -> str | None:
    """Why files cannot be created in `folder` (or in the folder it would be made in), or None."""
    probe = folder
    try:
        while True:
            try:
                info = probe.stat()
            except FileNotFoundError:
                if probe.parent == probe:
                    return "no such folder"
                probe = probe.parent
                continue
            if not stat.S_ISDIR(info.st_mode):
                return f"expected a folder, found {kind_of(info.st_mode)} at '{shown(probe)}'"
            if not os.access(probe, os.W_OK | os.X_OK):
                return f"cannot write in '{shown(probe)}' (permission denied or read-only)"
            return None
    except (OSError, ValueError) as error:
        return f"cannot use '{shown(probe)}' ({reason(error)})"


def check_file_destination(path: Path, option: str, inputs: Iterable[Path] = (),
                           owned_folder: Path | None = None) -> None:
    """Refuse, before any work, a path that planner may not replace or cannot write.

    Args:
        path: Where the file would go.
        option: The option that named it, for messages.
        inputs: The run's input files: the file may be none of them.
        owned_folder: The run's report folder (`--out`): the file may not lie inside it, whose files
            are the report's alone (its manifest lists them all).

    Raises:
        InputError: The path is empty, a folder, a symbolic link, a device or FIFO, an input of the
            run, inside the report folder, or its folder cannot be written.
    """
    if not os.fspath(path) or os.fspath(path).endswith(os.sep) or path.name in ("", ".", ".."):
        raise _refuse(option, f"expected a file name, found '{shown(path)}'")
    target = _resolved(path)
    if any(target == _resolved(source) or _same_file(path, source) for source in inputs):
        raise _refuse(option, f"expected a file that is no input of this run, found '{shown(path)}'")
    if owned_folder is not None and target.is_relative_to(_resolved(owned_folder)):
        raise _refuse(option, f"expected a file outside the report folder '{shown(owned_folder)}' (--out), "
                              f"found '{shown(path)}'; the folder holds the report's files alone")
    if owned_folder is not None and _resolved(owned_folder).is_relative_to(target):
        raise _refuse(option, f"expected a file that is not on the path of the report folder "
                              f"'{shown(owned_folder)}' (--out), found '{shown(path)}'")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except (OSError, ValueError) as error:
        raise _refuse(option, f"cannot write '{shown(path)}' ({reason(error)})") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise _refuse(option, f"expected a regular file (or nothing) at '{shown(path)}', found "
                              f"{kind_of(info.st_mode)}; planner replaces only regular files")
    problem = writable_folder_problem(path.parent)
    if problem is not None:
        raise _refuse(option, f"cannot write '{shown(path)}': {problem}")


def _same_file(path: Path, source: Path) -> bool:
    """Whether `path` is the very file `source` (a hard link to it, or the file piped in as `-`)."""
    try:
        mine = path.stat()
        theirs = os.fstat(0) if os.fspath(source) == "-" else source.stat()
    except (OSError, ValueError):
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino) and stat.S_ISREG(theirs.st_mode)


def _resolved(path: Path) -> Path:
    """`path` made absolute with its links followed, as far as they lead (a loop stays as written)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


def replace_file(path: Path, produce: Callable[[Path], None], option: str, suffix: str = "") -> None:
    """Write `path` whole or not at all: `produce` writes a temporary file (given its path) in the
    same folder, which then replaces `path` if `path` still holds nothing or a regular file.

    Raises:
        InputError: `check_file_destination` refuses the path, or an OS error stops the writing
            (`path` then holds what it held before).
    """
    check_file_destination(path, option)
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=temporary_prefix(), suffix=suffix, dir=path.parent)
        os.close(descriptor)
        temporary = Path(name)
        produce(temporary)
        temporary.chmod(file_mode())  # mkstemp makes the file private (0600); this is an ordinary file
        check_file_destination(path, option)  # still a regular file, or nothing, after the work
        temporary.replace(path)
        temporary = None
    except OSError as error:
        raise _refuse(option, f"cannot write '{shown(path)}' ({reason(error)}); it was left as it was") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()


def write_bytes(path: Path, data: bytes, option: str) -> None:
    """`replace_file` with `data` as the file's content (made readable as `open()` would)."""

    def produce(temporary: Path) -> None:
        with temporary.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())

    replace_file(path, produce, option)


def file_mode() -> int:
    """0666 less the process's umask, as open() would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


__all__ = ["TEMPORARY_PREFIX", "check_file_destination", "file_mode", "kind_of", "process_alive", "reason",
           "replace_file", "shown", "temporary_owner", "temporary_prefix", "writable_folder_problem",
           "write_bytes"]
