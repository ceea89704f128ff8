"""Write report files whole or not at all: staged under temporary names in the same folder, then
put in place together (os.replace), the manifest last.

`summary.json` (the manifest) is written last and lists the SHA-256 of every other output,
so a folder whose manifest is missing or disagrees was not written completely.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.errors import InputError
from planner.files import file_mode, reason, shown, temporary_prefix
from planner.inputs.gate import input_digest
from planner.inputs.loading import MAX_FILE_BYTES
from planner.reports.destination import claim, empty_report_folder, is_folder_name, is_report_name

MANIFEST = "summary.json"
CSV_FLOAT_FORMAT = "%.10g"
_FILE_MODE = file_mode()


def sha256_file(path: Path) -> str:
    """The SHA-256 of input file `path` as it was parsed (`planner.inputs.gate.input_digest`)."""
    return input_digest(path, MAX_FILE_BYTES)


CSV_CHUNK_ROWS = 8192
"""Rows formatted at a time: a large table is never held as text whole, only the file is."""

Fields = Callable[[int, int], list[str]]
"""Rows [start, stop) of one column as the text of their cells."""


def _fields(column: pd.Series) -> Fields | None:
    """The cells of `column` as `to_csv(float_format=CSV_FLOAT_FORMAT)` writes them, or None for a
    column of another kind (objects, dates, missing text), which pandas then writes itself."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        # float32 and float16 as pandas formats them: through the Python float of each.
        floats = np.ascontiguousarray(column.to_numpy(dtype=np.float64))
        return lambda start, stop: _float_cells(floats[start:stop])
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":
        values = column.to_numpy()
        return lambda start, stop: [str(v) for v in values[start:stop].tolist()]
    if isinstance(dtype, pd.StringDtype) and not column.isna().any():
        # Python strings for one chunk at a time: the whole of every text column at once (158k rows
        # by some 15 columns in a 300-site plan's constraints.csv) held 60-90 MB of them.
        return lambda start, stop: column.iloc[start:stop].to_numpy(dtype=object).tolist()
    return None


def _float_cells(values: npt.NDArray[np.float64]) -> list[str]:
    """Floats as pandas writes them with `float_format` and na_rep "" (inf included), each
    distinct bit pattern (so 0 and -0 apart) formatted once: a report repeats few values often."""
    distinct, inverse = np.unique(values.view(np.int64), return_inverse=True)
    cells = ["" if v != v else CSV_FLOAT_FORMAT % v for v in distinct.view(np.float64).tolist()]
    return np.array(cells, dtype=object)[inverse].tolist()  # type: ignore[no-any-return]


def _quoted(cells: list[str]) -> list[str] | None:
    """`cells` quoted as csv.writer quotes them (QUOTE_MINIMAL, lineterminator "\\n": a cell with a
    comma, a quote or a newline), or None if one holds a carriage return (left to csv.writer)."""
    joined = "\x00".join(cells)
    if "\r" in joined:
        return None
    if "," not in joined and '"' not in joined and "\n" not in joined:
        return cells
    return ['"' + c.replace('"', '""') + '"' if "," in c or '"' in c or "\n" in c else c for c in cells]


def _lines(columns: list[list[str]]) -> str:
    """Rows of cells (given column by column) as CSV lines, each ended by a newline."""
    quoted = []
    for cells in columns:
        done = _quoted(cells)
        if done is None:
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(zip(*columns, strict=True))
            return buffer.getvalue()
        quoted.append(done)
    return "\n".join(map(",".join, zip(*quoted, strict=True))) + "\n"


def csv_chunks(table: pd.DataFrame) -> Iterator[str]:
    """`table` as CSV text, a chunk of rows at a time: what `to_csv(index=False,
    float_format=CSV_FLOAT_FORMAT, lineterminator="\\n")` writes, byte for byte.

    Cells are formatted here (pandas calls three Python functions per float: about 1 s for the
    164k-row constraints.csv of a 300-site plan) and lines joined without csv.writer, which
    quotes the same cells the same way. A table with a column of another kind, a header of other
    labels, or a single column (whose empty cells csv.writer quotes) is left to pandas, whole.
    """
    names = list(table.columns)
    fields = [f for f in (_fields(table.iloc[:, i]) for i in range(len(names))) if f is not None]
    if len(names) < 2 or len(fields) < len(names) or not all(isinstance(name, str) for name in names):
        yield table.to_csv(index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")
        return
    yield _lines([[name] for name in names])
    for start in range(0, len(table), CSV_CHUNK_ROWS):
        stop = min(start + CSV_CHUNK_ROWS, len(table))
        yield _lines([f(start, stop) for f in fields])


def csv_text(table: pd.DataFrame) -> str:
    """`table` as CSV text, whole (see `csv_chunks`)."""
    return "".join(csv_chunks(table))


class OutputFolder:
    """A report folder being written: every file is staged under a temporary name, and `finish`
    puts them all in place at once, the manifest last.

    Use it as a context manager (`with OutputFolder(out) as folder:`). Until `finish`, the folder's
    previous report is untouched, so a run that is killed, fills the disk or meets any other OS error
    leaves it as it was. `finish` first removes the previous manifest (no manifest ever vouches for
    files it did not list), then renames every file into place and writes the manifest. The folder is
    checked, locked for the run and owned file by file (`planner.reports.destination`): nothing but a
    regular file planner wrote is ever replaced.
    """

    def __init__(self, path: Path, option: str = "--out") -> None:
        self.path = path
        self.written: dict[str, str] = {}
        self.staged: dict[str, Path] = {}
        self.report_folders: set[str] = set()
        self.destination = claim(path, option)

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        """On any error before `finish` (a chart that cannot be drawn, an interrupt), remove every
        temporary staged and unlock the folder: it is left as it was, with nothing of this run in it."""
        if kind is not None:
            self._abandon(None)

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Stage `data` as `name` and remember its hash."""
        return self.write_chunks(name, [data])

    def write_chunks(self, name: str, chunks: Iterable[bytes]) -> Path:
        """Stage `chunks`, one after the other, as `name` and remember the file's hash.

        Raises:
            InputError: `name` is taken by something planner may not replace, or the file cannot be
                written (every file staged so far is then removed; the folder is as it was).
        """
        self.destination.check_replaceable(name)
        digest = hashlib.sha256()
        temporary: Path | None = None
        try:
            descriptor, created = tempfile.mkstemp(prefix=temporary_prefix(), dir=self.path)
            temporary = Path(created)
            with os.fdopen(descriptor, "wb") as stream:
                # mkstemp makes the file private (0600); a report is an ordinary file.
                os.fchmod(stream.fileno(), _FILE_MODE)
                for chunk in chunks:
                    stream.write(chunk)
                    digest.update(chunk)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as error:
            self._abandon(temporary)
            raise self._cannot_write(name, error) from None
        except BaseException:
            self._abandon(temporary)
            raise
        previous = self.staged.pop(name, None)
        if previous is not None:
            with contextlib.suppress(OSError):
                previous.unlink()
        self.staged[name] = temporary
        self.written[name] = digest.hexdigest()
        return self.path / name

    def _cannot_write(self, name: str, error: OSError) -> InputError:
        return self.destination.problem(
            f"cannot write '{shown(self.path / name)}' ({reason(error)}); the folder was left as it was")

    def _abandon(self, temporary: Path | None) -> None:
        """Remove every temporary this folder staged, and unlock it."""
        for path in [*self.staged.values(), *([temporary] if temporary else [])]:
            with contextlib.suppress(OSError):
                path.unlink()
        self.staged.clear()
        self.destination.release()

    def write_csv(self, name: str, table: pd.DataFrame) -> Path:
        return self.write_chunks(name, (chunk.encode("utf-8") for chunk in csv_chunks(table)))

    def report_folder(self, name: str) -> Path:
        """The path of a report folder to be written inside this one (`plan whatif --reports`),
        recorded as planner's: a later rewrite that does not write it again empties it."""
        if not is_folder_name(name):
            raise self.destination.problem(f"expected a folder name for a report inside '{shown(self.path)}', "
                                           f"found {name!r}")
        self.report_folders.add(name)
        self.destination.record_owned({}, {name})  # owned before anything lands in it
        return self.path / name

    def write_json(self, name: str, data: Any) -> Path:
        text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n"
        return self.write_bytes(name, text.encode("utf-8"))

    def finish(self, summary: dict[str, Any]) -> Path:
        """Stage the manifest (every file written before it, with its SHA-256), then put every file in
        place, the manifest last, and unlock the folder.

        Raises:
            InputError: A file cannot be put in place (the folder then has no manifest).
        """
        summary = {**summary, "outputs": dict(sorted(self.written.items()))}
        self.write_json(MANIFEST, summary)
        try:
            self._commit()
        except OSError as error:
            self._abandon(None)
            raise self._cannot_write(MANIFEST, error) from None
        self.destination.release()
        return self.path / MANIFEST

    def _commit(self) -> None:
        self.destination.record_owned(self.written, self.report_folders)
        manifest = self.path / MANIFEST
        with contextlib.suppress(FileNotFoundError):
            manifest.unlink()  # before any new file lands: no manifest vouches for files it did not list
        for name in sorted(set(self.destination.owned) - set(self.staged)):
            if is_report_name(name) and self.destination.replaceable(name):
                with contextlib.suppress(FileNotFoundError):
                    (self.path / name).unlink()  # a previous run's output this run did not write again
        for name in sorted(self.destination.folders - self.report_folders):
            empty_report_folder(self.path / name)  # a previous run's report folder this run did not write
        for name, temporary in self.staged.items():
            if name != MANIFEST:
                temporary.replace(self.path / name)
        _sync_folder(self.path)
        self.staged.pop(MANIFEST).replace(manifest)
        self.staged.clear()
        _sync_folder(self.path)
        with contextlib.suppress(OSError):  # the record then keeps old versions too: still true
            self.destination.settle(self.written, self.report_folders)


def _sync_folder(path: Path) -> None:
    """Make the renames in `path` durable (where the OS allows a folder to be synced)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
