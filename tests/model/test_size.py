"""The LP's size worked out before it is built; plans larger than one machine solves are refused."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from planner.cli import app
from planner.inputs.resolve import read_plan
from planner.model import size
from planner.model.build import build_model
from tests.conftest import DATA, SMALL_CATALOG

runner = CliRunner()
PLAN = DATA / "one-quarter.yaml"


def test_the_estimate_counts_the_unit_columns_of_the_lp():
    """One hall that takes both parts, one quarter: (alpha, beta) x (new, inst) = 4 unit columns, the
    estimate; the built LP has those and a few more (dispatch, demand)."""
    plan = read_plan(PLAN, SMALL_CATALOG).plan
    assert size.estimated_columns(plan) == 4
    model = build_model(plan)
    assert len(model.new) == 2
    assert model.linear_program.shape[1] >= 4


def test_a_plan_larger_than_one_machine_solves_is_refused_before_it_is_built(tmp_path, monkeypatch):
    monkeypatch.setattr(size, "MAX_COLUMNS", 3)
    result = runner.invoke(app, ["optimize", str(PLAN), "--catalog", str(SMALL_CATALOG), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    words = " ".join(result.output.split())
    assert f"{PLAN.name}:1:1: sites: expected a plan whose LP has at most 3 columns" in words
    assert "found one of about 4 (sites x parts x quarters: 1 x 2 x 1)" in words
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_generate_refuses_a_plan_optimize_would_refuse(tmp_path):
    """2,000 sites x 20 parts x 12 quarters: about 2.4 x 480,000 = 1,152,000 columns > 800,000;
    at most 800,000 // (2.4 x 240) = 1,388 sites."""
    out = tmp_path / "big.yaml"
    result = runner.invoke(app, ["generate", "--sites", "2000", "--accelerators", "20", "--quarters", "12",
                                 "--out", str(out)])
    assert result.exit_code == 2, result.output
    words = " ".join(result.output.split())
    assert "--sites: expected sites x accelerators x quarters whose LP has at most 800,000 columns" in words
    assert "about 1,152,000; at most 1,388 sites with 20 accelerators and 12 quarters" in words
    assert not Path(out).exists()
