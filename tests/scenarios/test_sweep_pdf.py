"""sweep.pdf: page 1 says what was swept, how many runs found a plan and the headline's P10/P50/P90;
then the sweep's charts and its runs, every page landscape Letter, the file listed in the manifest.

Base: tests/data/one-quarter.yaml with the small catalog (tests/scenarios/test_sweep.py): power
binds, so the objective is 320 PFLOPS-quarters per MW of grid (5, 10 and 15 MW give 1,600, 3,200
and 4,800).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.pdf import page_sizes_inches, page_texts
from tests.scenarios.test_sweep import POWER, sweep

SAMPLED = f"""\
title: Grid power and a price
samples:
  {POWER}: {{uniform_factor: [0.5, 1.5]}}
  catalog.alpha.unit_price_usd: {{triangular_factor: [0.8, 1.0, 1.3]}}
"""
UNITS = {"PFLOPS": 1.0, "EFLOPS": 1e3, "ZFLOPS": 1e6}


def quantile_on_page(page: str, name: str) -> float:
    """`P50 3.20 EFLOPS-q` on page 1, in PFLOPS-quarters."""
    found = re.search(rf"{name} ([\d,.]+) (PFLOPS|EFLOPS|ZFLOPS)-q", page)
    assert found is not None, page
    return float(found[1].replace(",", "")) * UNITS[found[2]]


def read_pdf(out: Path) -> tuple[list[str], pd.DataFrame]:
    """The PDF's pages as text, after checking its size, its pages' size and its manifest entry."""
    pdf = (out / "sweep.pdf").read_bytes()
    manifest = json.loads((out / "summary.json").read_text())
    assert manifest["outputs"]["sweep.pdf"] == hashlib.sha256(pdf).hexdigest()
    pages = page_texts(pdf)
    assert page_sizes_inches(pdf) == [(11.0, 8.5)] * len(pages)
    return pages, pd.read_csv(out / "sweep.csv")


def test_a_sampled_sweep_has_its_pdf(tmp_path):
    """Five draws of grid power (x0.5 to x1.5, 320 PFLOPS-quarters a MW) and alpha's price: page 1's
    P10, P50 and P90 are those of sweep.csv's objective over the sampled runs that found a plan."""
    path = tmp_path / "risk.yaml"
    path.write_text(SAMPLED, encoding="utf-8")
    out = tmp_path / "out"
    sweep(out, "--sweep", str(path), "--samples", "5", "--seed", "3", "--workers", "1", "--no-tornado")
    pages, table = read_pdf(out)
    assert len(pages) == 3  # page 1, the spread of the samples, the runs
    first = pages[0]
    solved = table[(table["kind"] == "sample") & (table["status"] == "optimal")]["objective"]
    assert len(solved) == 5
    assert quantile_on_page(first, "P50") == pytest.approx(solved.median(), rel=5e-3)
    assert quantile_on_page(first, "P10") == pytest.approx(solved.quantile(0.1), rel=5e-3)
    assert quantile_on_page(first, "P90") == pytest.approx(solved.quantile(0.9), rel=5e-3)
    assert "6 runs: the base plan, 5 random draws (seed 3). 6 found a plan (optimal), 0 had none" in first
    assert "training in BF16, inference in BF16" in first  # the precision compute is counted in
    assert "x0.5 to x1.5, uniform" in first
    assert "x0.8 to x1.3, triangular, most likely x1" in first
    assert POWER in first
    assert "catalog.alpha.unit_price_usd" in first
    assert "Solver: HiGHS" in first
    assert re.search(r"input +SHA-256 [0-9a-f]{16}\.\.\. +.*one-quarter\.yaml", first)
    assert "Runs of the sweep (6)" in pages[2]


def test_a_grid_sweep_has_its_pdf(tmp_path):
    """5, 10 and 15 MW (1,600, 3,200, 4,800 PFLOPS-quarters): P50 3.20 EFLOPS-q; the lines and the
    tornado (the ends alone) are pages 2 and 3, the runs page 4."""
    out = tmp_path / "out"
    sweep(out, "--set-range", f"{POWER}=5:15:3", "--workers", "1")
    pages, table = read_pdf(out)
    assert len(pages) == 4
    grid = table[table["kind"] == "grid"]["objective"]
    assert list(grid) == pytest.approx([1600, 3200, 4800])
    assert quantile_on_page(pages[0], "P50") == pytest.approx(grid.median())
    assert "P50 3.20 EFLOPS-q" in pages[0]
    assert "3 values: 5.00 MW, 10.0 MW, 15.0 MW; base plan 10.0 MW" in pages[0]
    assert "every swept" not in pages[0]  # one input: no page of inputs
    summary = json.loads((out / "summary.json").read_text())
    assert summary["sweep"]["variables"][0]["spread"] == "3 values: 5.00 MW, 10.0 MW, 15.0 MW"
    assert summary["sweep"]["solvers"][0].startswith("HiGHS ")
