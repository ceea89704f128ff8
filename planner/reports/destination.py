"""A report folder as a destination: checked before any work, locked for the run, owned file by file.

- `check_destination` runs before a plan is solved: the folder (or the folder it would be made in)
  can be written, holds no input of the run, and holds no file under a report's name that planner
  did not write. A problem is an `InputError` naming the option (exit 2), and nothing is written.
- `claim` locks the folder for the run with an OS lock (`fcntl.flock` on the folder itself), so a
  second run into the same folder is refused instead of mixing its files with the first's; the lock
  goes with the process, however it ends. Holding it, the run removes the temporaries that dead runs
  left (never those of a live process: `planner.files` puts the pid in every temporary name).
- `.planner-owned` lists every file planner has put into the folder. A file is replaced only if it
  is a regular file on that list (or the manifest of an earlier planner report lists it): a plan
  named `summary.json`, or a user's notes under a report's name, is never overwritten.
- It lists the report folders a run wrote inside the folder too (`plan whatif --reports`: `base/`,
  one per scenario). A rewrite that does not write one again empties it of planner's files (the
  user's stay), so no report of an earlier run is left beside the new manifest.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import InputError, Problem
from planner.files import (
    TEMPORARY_PREFIX,
    kind_of,
    process_alive,
    reason,
    shown,
    temporary_owner,
    writable_folder_problem,
)

OWNED = ".planner-owned"
MANIFEST = "summary.json"
REPORT_NAMES = frozenset({
    MANIFEST, "diagnosis.json", "diagnosis.pdf", "allocation.csv", "sites.csv", "budget.csv", "compute.csv",
    "constraints.csv", "sites_long.csv", "compute_long.csv", "report.pdf", "report.html", "comparison.csv",
    "limit_changes.csv", "input_changes.csv", "comparison.pdf", "comparison.html", "sweep.csv", "sweep_periods.csv",
    "sweep.pdf", "sweep.html", "tables.xlsx",
})
"""Names planner writes into a report folder (and every `.png` and `.parquet`): checked before any work."""


def is_report_name(name: str) -> bool:
    """Whether planner may write a file called `name` into a report folder."""
    return name in REPORT_NAMES or name.endswith((".png", ".parquet"))


Owned = dict[str, set[str]]
"""File name -> the SHA-256 of every version of it planner wrote (old and new while a rewrite lands)."""


@dataclass
class Destination:
    """A report folder this process holds the lock of."""

    path: Path
    descriptor: int
    option: str
    owned: Owned = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    """The report folders inside this one that planner wrote (by name)."""

    def problem(self, message: str) -> InputError:
        return InputError([Problem(None, self.option, message)])

    def check_replaceable(self, name: str) -> None:
        """Refuse to put `name` into the folder over anything but a regular file planner wrote.

        Raises:
            InputError: Something else is at that name.
        """
        problem = _replace_problem(self.path, name, self.owned)
        if problem is not None:
            raise self.problem(problem)

    def replaceable(self, name: str) -> bool:
        """Whether `name` holds nothing or a regular file planner wrote."""
        return _replace_problem(self.path, name, self.owned) is None

    def record_owned(self, written: dict[str, str], folders: set[str]) -> None:
        """Add the files about to land (name -> SHA-256) and the report folders written inside this
        one to `.planner-owned`, durably, keeping the versions they replace: a rewrite killed half way
        leaves old and new files both owned."""
        for name, digest in written.items():
            self.owned.setdefault(name, set()).add(digest)
        self.folders |= folders
        self._write_record()

    def settle(self, written: dict[str, str], folders: set[str]) -> None:
        """After a rewrite has landed: only the versions now in the folder are owned."""
        self.owned = {name: {digest} for name, digest in written.items()}
        self.folders = set(folders)
        self._write_record()

    def _write_record(self) -> None:
        record = self.path / OWNED
        temporary = self.path / f"{TEMPORARY_PREFIX}{os.getpid()}-owned"
        with temporary.open("w", encoding="utf-8") as stream:
            json.dump({"files": {name: sorted(digests) for name, digests in sorted(self.owned.items())},
                       "folders": sorted(self.folders)}, stream, indent=1)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(record)

    def release(self) -> None:
        """Unlock the folder (the run is over)."""
        _CLAIMS.pop(_key(self.path), None)
        with contextlib.suppress(OSError):
            os.close(self.descriptor)


_CLAIMS: dict[str, Destination] = {}
"""The folders this process holds, by resolved path."""


def _key(path: Path) -> str:
    return os.fspath(path.resolve())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_problem(folder: Path, name: str, owned: Owned) -> str | None:
    target = folder / name
    try:
        info = os.lstat(target)
        if not stat.S_ISREG(info.st_mode):
            return (f"would replace '{shown(target)}', which is {kind_of(info.st_mode)}; planner replaces only "
                    "regular files it wrote: choose another folder")
        if name in owned and _sha256(target) in owned[name]:
            return None
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"cannot write '{shown(target)}' ({reason(error)})"
    return (f"would overwrite '{shown(target)}', which planner did not write (or which was changed since): move "
            "it, or choose another folder")


def _owned(folder: Path) -> Owned:
    """The files planner wrote into `folder`, by the record it keeps there (or, in a folder written
    before there was one, by the previous report's manifest).

    Raises:
        InputError: `.planner-owned` is there but is not planner's record.
    """
    record = _json(folder / OWNED)
    if record is not None:
        files = record.get("files") if isinstance(record, dict) else None
        if not isinstance(files, dict):
            raise InputError([Problem(None, "", f"'{shown(folder / OWNED)}' is not planner's record of the "
                                                "files it wrote: move it, or choose another folder")])
        return {str(name): {str(d) for d in digests} for name, digests in files.items()
                if isinstance(digests, list) and "/" not in str(name)}
    manifest = _json(folder / MANIFEST)
    if not (isinstance(manifest, dict) and isinstance(manifest.get("outputs"), dict) and "provenance" in manifest):
        return {}  # no planner manifest: nothing here is planner's
    owned = {str(name): {str(digest)} for name, digest in manifest["outputs"].items() if "/" not in str(name)}
    owned[MANIFEST] = {_sha256(folder / MANIFEST)}
    return owned


def _owned_folders(folder: Path) -> set[str]:
    """The report folders inside `folder` that planner wrote, by its record (names without a '/')."""
    record = _json(folder / OWNED)
    folders = record.get("folders") if isinstance(record, dict) else None
    if not isinstance(folders, list):
        return set()
    return {name for name in folders if isinstance(name, str) and is_folder_name(name)}


def is_folder_name(name: str) -> bool:
    """Whether `name` names one folder inside another (not '', '.', '..', nor a path)."""
    return name not in ("", ".", "..") and "/" not in name and "\x00" not in name


def empty_report_folder(out: Path) -> None:
    """Remove what planner wrote into report folder `out` (its manifest first, then every file it
    still owns, then its record) and the folder itself if nothing else is left. A folder that is not
    there, is a link, or that another run holds is left alone."""
    try:
        if not stat.S_ISDIR(os.lstat(out).st_mode):
            return
        destination = claim(out)
    except (OSError, InputError):
        return
    try:
        names = [MANIFEST, *sorted(set(destination.owned) - {MANIFEST})]
        for name in names:
            if is_report_name(name) and destination.replaceable(name):
                with contextlib.suppress(FileNotFoundError):
                    (out / name).unlink()
        for name in destination.folders:
            empty_report_folder(out / name)
        with contextlib.suppress(FileNotFoundError):
            (out / OWNED).unlink()
    finally:
        destination.release()
    with contextlib.suppress(OSError):
        out.rmdir()  # only if empty: the user's own files stay, with the folder


def _json(path: Path) -> object | None:
    """The JSON in regular file `path` (at most 16 MB), None if there is none; an unreadable or
    invalid file is a string (so that it is never taken for planner's)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > 1 << 24:
        return "not a small regular file"
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return "not JSON"


def check_destination(out: Path, inputs: Iterable[Path], option: str = "--out") -> None:
    """Refuse, before any work, a report folder that cannot be written or that holds what the run must
    not replace; lock it for the run when it exists.

    Raises:
        InputError: `out` is not a folder (or under a file), cannot be written, holds an input of the
            run or a file under a report's name that planner did not write, or another run holds it.
    """
    problem = _folder_problem(out)
    if problem is not None:
        raise InputError([Problem(None, option, problem)])
    if not out.exists():
        return
    folder = out.resolve()
    for path in inputs:
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            if path.resolve().is_relative_to(folder):
                raise InputError([Problem(None, option, (
                    f"expected a folder that holds no input of this run, found '{shown(path)}' in "
                    f"'{shown(out)}': the report could overwrite it; choose another folder"))])
    destination = claim(out, option)
    try:
        for name in _names(out):
            if is_report_name(name):
                destination.check_replaceable(name)
    except InputError:
        destination.release()
        raise


def _names(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in entries]
    except OSError:
        return []


def _folder_problem(out: Path) -> str | None:
    text = os.fspath(out)
    if "\x00" in text:
        return "expected a folder name, found a NUL byte in it"
    if len(text) > 4096:
        return f"expected a folder name of at most 4,096 characters, found {len(text):,}"
    try:
        info = out.stat()
    except FileNotFoundError:
        return writable_folder_problem(out)
    except OSError as error:
        return f"cannot use '{shown(out)}' ({reason(error)})"
    if not stat.S_ISDIR(info.st_mode):
        return f"expected a folder at '{shown(out)}', found {kind_of(info.st_mode)}"
    return writable_folder_problem(out)


def claim(out: Path, option: str = "--out") -> Destination:
    """The folder `out`, made if need be and locked for this run (the same claim again if this process
    holds it), with the temporaries of dead runs removed.

    Raises:
        InputError: The folder cannot be made or opened, or another run holds its lock.
    """
    with contextlib.suppress(OSError, ValueError, RuntimeError):
        held = _CLAIMS.get(_key(out))
        if held is not None:
            return held
    problem = _folder_problem(out)
    if problem is not None:
        raise InputError([Problem(None, option, problem)])
    try:
        out.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise InputError([Problem(None, option, f"cannot make or open '{shown(out)}' ({reason(error)})")]) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        raise InputError([Problem(None, option, (
            f"another planner run is writing '{shown(out)}': wait for it to finish, or choose another "
            "folder"))]) from None
    try:
        owned = _owned(out)
    except InputError as error:
        os.close(descriptor)
        raise InputError([Problem(None, option, p.message) for p in error.problems]) from None
    destination = Destination(out, descriptor, option, owned, _owned_folders(out))
    _CLAIMS[_key(out)] = destination
    _remove_stale_temporaries(out)
    return destination


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove the temporaries left by runs that are no longer running (a live run's are its own)."""
    for name in _names(folder):
        path = folder / name
        if not name.startswith(TEMPORARY_PREFIX) or not path.is_file() or path.is_symlink():
            continue
        owner = temporary_owner(name)
        if owner is not None and owner != os.getpid() and process_alive(owner):
            continue
        with contextlib.suppress(OSError):
            path.unlink()


__all__ = ["MANIFEST", "OWNED", "REPORT_NAMES", "Destination", "check_destination", "claim", "empty_report_folder",
           "is_folder_name", "is_report_name"]
