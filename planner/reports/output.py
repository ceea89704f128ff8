"""Write report files whole or not at all: temporary name in the same folder, then os.replace.

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

TEMPORARY_PREFIX = ".planner-tmp-"
MANIFEST = "summary.json"
CSV_FLOAT_FORMAT = "%.10g"


def _file_mode() -> int:
    """0666 less the process's umask, as open() would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        text = column.to_numpy(dtype=object)
        return lambda start, stop: text[start:stop].tolist()
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
    """A report folder being written; each file appears whole, the manifest last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.written: dict[str, str] = {}
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob(f"{TEMPORARY_PREFIX}*"):
            with contextlib.suppress(OSError):
                stale.unlink()

    def write_bytes(self, name: str, data: bytes) -> Path:
        """Write `data` to `name` atomically and remember its hash."""
        return self.write_chunks(name, [data])

    def write_chunks(self, name: str, chunks: Iterable[bytes]) -> Path:
        """Write `chunks` one after the other to `name` atomically and remember the file's hash."""
        target = self.path / name
        digest = hashlib.sha256()
        descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=self.path)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                # mkstemp makes the file private (0600); a report is an ordinary file.
                os.fchmod(stream.fileno(), _FILE_MODE)
                for chunk in chunks:
                    stream.write(chunk)
                    digest.update(chunk)
                stream.flush()
                os.fsync(stream.fileno())
            Path(temporary).replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise
        self.written[name] = digest.hexdigest()
        return target

    def write_csv(self, name: str, table: pd.DataFrame) -> Path:
        return self.write_chunks(name, (chunk.encode("utf-8") for chunk in csv_chunks(table)))

    def write_json(self, name: str, data: Any) -> Path:
        text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n"
        return self.write_bytes(name, text.encode("utf-8"))

    def finish(self, summary: dict[str, Any]) -> Path:
        """Write the manifest last, listing every file written before it with its SHA-256."""
        summary = {**summary, "outputs": dict(sorted(self.written.items()))}
        return self.write_json(MANIFEST, summary)
