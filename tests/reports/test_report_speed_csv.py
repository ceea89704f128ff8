"""CSV files are written by planner.reports.output, chunk by chunk, with the cells formatted there; every
file must be byte for byte what pandas' `to_csv(index=False, float_format="%.10g",
lineterminator="\\n")` writes, and its manifest hash that of the file."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.reports import output
from planner.reports.output import CSV_FLOAT_FORMAT, MANIFEST, OutputFolder, csv_text


def pandas_csv(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")


AWKWARD_FLOATS = [0.0, -0.0, 1.0, -1.5, 1 / 3, 1e-300, 5e-324, 1.7976931348623157e308, 123456789012.5,
                  float("nan"), float("inf"), float("-inf"), 2.0**53 + 1]
AWKWARD_TEXTS = ["", "plain", "1,000 units", 'say "hi"', "two\nlines", "carriage\rreturn", " padded ",
                 "semi;colon", "tab\there", "ünïcödé", "'single'", '"', ","]


def awkward_table(rows: int) -> pd.DataFrame:
    """Every kind of column a report table has, with every awkward value, `rows` long."""
    floats = np.resize(np.array(AWKWARD_FLOATS), rows)
    texts = [AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)] for i in range(rows)]
    return pd.DataFrame({
        "name": [f"row_{i}" for i in range(rows)],
        "value_mw": floats,
        "flag": [i % 3 == 0 for i in range(rows)],
        "count": np.arange(rows, dtype=np.int64) - 5,
        "words": texts,
        "small": np.resize(np.array([0.1, -0.0, 3.4e38, float("nan"), 1e-45], dtype=np.float32), rows),
        "tail_usd": floats[::-1].copy(),
    })


@pytest.mark.parametrize("rows", [0, 1, 13, 100])
def test_awkward_values_as_pandas_writes_them(rows):
    table = awkward_table(rows)
    assert csv_text(table) == pandas_csv(table)


def test_chunk_boundaries(monkeypatch):
    """Tables longer than a chunk, ending on and off a chunk's end."""
    monkeypatch.setattr(output, "CSV_CHUNK_ROWS", 7)
    for rows in (6, 7, 8, 14, 15, 50):
        table = awkward_table(rows)
        assert csv_text(table) == pandas_csv(table), rows


@pytest.mark.parametrize(
    "table",
    [
        pd.DataFrame({"only": ["", "a", ""]}),  # one column: csv.writer quotes an empty cell
        pd.DataFrame({"a": [1.5, None], "b": pd.array(["x", None], dtype="str")}),  # text with a gap
        pd.DataFrame({"a": [1.5, 2.5], "mixed": [1, "x"]}),  # objects
        pd.DataFrame({1: [1.5, 2.5], 2: [0.1, 0.2]}),  # labels that are not text
        pd.DataFrame({"a": [1.5, 2.5], "when": pd.to_datetime(["2026-01-01", "2026-04-01"])}),
        pd.DataFrame({"a": pd.array([1.5, None], dtype="Float64"), "b": [1, 2]}),  # nullable floats
        pd.DataFrame(columns=["a", "b"]),
    ],
    ids=["one-column", "missing-text", "objects", "int-labels", "dates", "nullable", "empty"],
)
def test_other_tables_left_to_pandas(table):
    assert csv_text(table) == pandas_csv(table)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12), st.booleans()),
             max_size=40),
)
def test_any_floats_and_text(rows):
    table = pd.DataFrame(rows, columns=["x", "label", "flag"])
    table["x"] = table["x"].astype(np.float64)
    assert csv_text(table) == pandas_csv(table)


def test_written_file_and_its_hash(tmp_path, monkeypatch):
    monkeypatch.setattr(output, "CSV_CHUNK_ROWS", 5)
    folder = OutputFolder(tmp_path)
    table = awkward_table(23)
    path = folder.write_csv("table.csv", table)
    folder.finish({})
    data = path.read_bytes()
    assert data == pandas_csv(table).encode("utf-8")
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest["outputs"] == {"table.csv": hashlib.sha256(data).hexdigest()}
    # .planner-owned: the record of what planner wrote here (planner.reports.destination)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".planner-owned", MANIFEST, "table.csv"]


def test_a_failed_write_leaves_nothing(tmp_path):
    """A table that fails half way (here: a chunk generator that raises) leaves no file behind."""
    folder = OutputFolder(tmp_path)

    def chunks():
        yield b"a,b\n"
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError, match="disk gone"):
        folder.write_chunks("broken.csv", chunks())
    assert list(tmp_path.iterdir()) == []
    assert "broken.csv" not in folder.written
