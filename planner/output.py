"""Write report files whole or not at all: temporary name in the same folder, then os.replace.

`summary.json` (the manifest) is written last and lists the SHA-256 of every other output,
so a folder whose manifest is missing or disagrees was not written completely.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

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
        target = self.path / name
        descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=self.path)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                # mkstemp makes the file private (0600); a report is an ordinary file.
                os.fchmod(stream.fileno(), _FILE_MODE)
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            Path(temporary).replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(temporary).unlink()
            raise
        self.written[name] = hashlib.sha256(data).hexdigest()
        return target

    def write_csv(self, name: str, table: pd.DataFrame) -> Path:
        text = table.to_csv(index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")
        return self.write_bytes(name, text.encode("utf-8"))

    def write_json(self, name: str, data: Any) -> Path:
        text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n"
        return self.write_bytes(name, text.encode("utf-8"))

    def finish(self, summary: dict[str, Any]) -> Path:
        """Write the manifest last, listing every file written before it with its SHA-256."""
        summary = {**summary, "outputs": dict(sorted(self.written.items()))}
        return self.write_json(MANIFEST, summary)
