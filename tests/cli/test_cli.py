"""The command line: generate, schema, MPS export, quiet output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import highspy
import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.inputs.schemas import json_schemas
from tests.conftest import DATA, REPO, SMALL_CATALOG

runner = CliRunner()


def test_generate_is_deterministic_valid_and_solvable(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for path in (first, second):
        result = runner.invoke(app, ["generate", "--sites", "3", "--accelerators", "4", "--quarters", "6",
                                     "--seed", "7", "--out", str(path)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    out = tmp_path / "report"
    result = runner.invoke(app, ["optimize", str(first), "--out", str(out), "--no-report", "-q", "--continuous",
                                 "--catalog", str(SMALL_CATALOG)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["verification"]["violations"] == 0
    assert summary["binding"], "a generated plan should have some binding limits"


def test_write_mps_is_the_lp_solved(tmp_path):
    """HiGHS alone, on the MPS file, finds the same optimum as planner."""
    out, mps = tmp_path / "report", tmp_path / "model.mps"
    result = runner.invoke(app, ["optimize", str(DATA / "one-quarter.yaml"), "--catalog", str(SMALL_CATALOG),
                                 "--out", str(out), "--write-mps", str(mps), "-q"])
    assert result.exit_code == 0, result.output
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(mps))
    highs.run()
    objective = highs.getInfo().objective_function_value
    # planner reports compute without its tie-breaks; the LP has them: 3,200 PFLOPS, plus 1e-6 of it
    # for counting as training, less 1e-9 x $160.876M of cost, plus 1e-9 x the residual value of the
    # 800 beta at the horizon's end, 800 x $200k x 19/20 quarters of life left = $152M.
    assert objective == pytest.approx(3200 * (1 + 1e-6) - 1e-9 * 160_876_000 + 1e-9 * 152_000_000, rel=1e-9)


def test_committed_schemas_match_the_models():
    for name, text in json_schemas().items():
        committed = REPO / "schemas" / f"{name}.schema.json"
        assert committed.read_text() == text, f"run `plan schema --write schemas` ({name} changed)"


def test_schema_command_prints_json():
    result = runner.invoke(app, ["schema", "catalog"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "CatalogFile"


def test_report_files_are_ordinary_files(tmp_path):
    out = tmp_path / "report"
    runner.invoke(app, ["optimize", str(DATA / "one-quarter.yaml"), "--catalog", str(SMALL_CATALOG),
                        "--out", str(out), "-q"])
    mode = (out / "allocation.csv").stat().st_mode & 0o777
    assert mode & 0o044 == 0o044, oct(mode)
    assert not list(Path(out).glob(".planner-tmp-*"))


def test_any_solver_pulp_finds_answers_through_pulp(tmp_path):
    """PuLP's own HiGHS wrapper, named as PuLP names it, solves the one-quarter plan to the same
    optimum as planner's in-process HiGHS: 800 beta at 4 PFLOPS = 3,200 PFLOPS-quarters."""
    out = tmp_path / "report"
    result = runner.invoke(app, ["optimize", str(DATA / "one-quarter.yaml"), "--catalog", str(SMALL_CATALOG),
                                 "--solver", "HiGHS", "--out", str(out), "--no-report"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["solver"]["name"] == "HiGHS through PuLP"
    assert summary["objective"]["value"] == pytest.approx(3200)


def test_a_solver_that_is_not_installed_is_bad_input(tmp_path):
    result = runner.invoke(app, ["optimize", str(DATA / "one-quarter.yaml"), "--solver", "gurobi",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--solver" in result.output
    assert "found 'gurobi'" in result.output
    assert not (tmp_path / "out").exists()


def test_write_mps_of_the_one_quarter_plan_is_the_golden_file(tmp_path, golden):
    """The exact LP of tests/data/one-quarter.yaml: every row named family__key__period, every
    column family_key, coefficients as built (tests/golden/one-quarter.mps; a change to the model
    shows here first, and is accepted with `pytest --update-golden`)."""
    mps = tmp_path / "one-quarter.mps"
    result = runner.invoke(app, ["optimize", str(DATA / "one-quarter.yaml"), "--catalog", str(SMALL_CATALOG),
                                 "--out", str(tmp_path / "report"), "--write-mps", str(mps), "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    golden("one-quarter.mps", _fifteen_digits(mps.read_text(encoding="utf-8")))


def _fifteen_digits(text: str) -> str:
    """Every number to 15 significant digits: HiGHS 1.16 writes -0.00030000000000000003 (the double
    exactly) where 1.15 writes -0.0003, and the model is the same."""
    return re.sub(r"(?<=\s)-?\d[\d.]*(?:[eE][-+]?\d+)?(?=\s|$)", lambda m: f"{float(m.group()):.15g}", text)
