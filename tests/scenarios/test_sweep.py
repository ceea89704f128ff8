"""Sweeps: grids and samples of one base plan, solved in parallel, the same on every executor.

Base: tests/data/one-quarter.yaml with the small catalog (see tests/test_optimize.py). Power
binds: at F MW of facility power the plan runs F / 1.25 MW IT of beta at 400 PFLOPS per IT MW,
so 5, 10 and 15 MW give 1,600, 3,200 and 4,800 PFLOPS. Slipping beta one quarter leaves only
alpha in the plan's one quarter: 80 units, 800 PFLOPS.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from planner.cli import app
from planner.tolerances import STEP_VALUE_NOISE as NOISE
from tests.conftest import DATA, REPO, SMALL_CATALOG, as_lp, base_plan

runner = CliRunner()
BASE = DATA / "one-quarter.yaml"
POWER = "sites.lab.power_sources.grid.phases.0.available_mw"


def sweep(out: Path, *arguments: str, code: int = 0) -> str:
    result = runner.invoke(app, ["sweep", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 *arguments])
    assert result.exit_code == code, result.output
    return result.output


def optimize_report(plan: Path, out: Path, *catalog: str) -> Path:
    result = runner.invoke(app, ["optimize", str(plan), *catalog, "--out", str(out), "--no-report", "-q"])
    assert result.exit_code == 0, result.output
    return out


def assert_row_is_the_report(row: pd.Series, periods: pd.DataFrame, report: Path) -> None:
    """Every number of a sweep row, and its per-quarter series, is what `plan optimize` reports
    (to the 10 significant digits sweep.csv keeps)."""
    summary = json.loads((report / "summary.json").read_text())
    totals = summary["totals"]
    assert row["status"] == summary["status"]
    assert row["objective"] == pytest.approx(summary["objective"]["value"], rel=1e-9)
    for column in ("bf16_eflops_end", "fp8_eflops_end", "accelerators_end", "facility_mw_used_peak", "capex_usd",
                   "opex_usd"):
        assert row[column] == pytest.approx(totals[column], rel=1e-9), column
    delivered = totals["delivered_training_pflops_quarters"] + totals["delivered_inference_pflops_quarters"]
    assert row["delivered_pflops_quarters"] == pytest.approx(delivered, rel=1e-9)
    vendors = {c.removeprefix("accelerators_end_"): row[c] for c in row.index if c.startswith("accelerators_end_")}
    assert {v: n for v, n in vendors.items() if n} == pytest.approx(totals["accelerators_end_by_vendor"], rel=1e-9)
    # planner.reports.report.binding_limits: binding, a step worth something (re-solved where it was), not a source row.
    # A sweep re-solves no step: every limit worth a step at the margin counts, re-solved or not.
    limits = pd.read_csv(report / "constraints.csv")
    binding = limits["binding"] & (limits["step_value"] > NOISE) & (limits["family"] != "power")
    assert row["binding_limits"] == binding.sum()
    compute = pd.read_csv(report / "compute.csv")
    used = pd.read_csv(report / "sites.csv").groupby("period", sort=False)["power_peak_mw"].sum()
    series = periods[periods["run"] == row["run"]]
    assert list(series["period"]) == list(compute["period"])
    assert list(series["bf16_pflops_in_service"]) == pytest.approx(list(compute["bf16_pflops_in_service"]), rel=1e-9)
    assert list(series["delivered_pflops"]) == pytest.approx(
        list(compute["training_pflops"] + compute["inference_pflops"]), rel=1e-9)
    assert list(series["facility_mw_used"]) == pytest.approx(list(used), rel=1e-9)


def test_grid_rows_equal_separate_optimize_runs(tmp_path, write_plan):
    out = tmp_path / "sweep"
    sweep(out, "--set-range", f"{POWER}=5:15:3", "--workers", "1", "--no-charts", "--no-tornado")
    table = pd.read_csv(out / "sweep.csv")
    periods = pd.read_csv(out / "sweep_periods.csv")
    assert list(table["kind"]) == ["base", "grid", "grid", "grid"]
    assert list(table[POWER]) == [10, 5, 10, 15]
    assert list(table["objective"]) == pytest.approx([3200, 1600, 3200, 4800])
    for _, row in table[table["kind"] == "grid"].iterrows():
        plan = base_plan()
        plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = float(row[POWER])
        report = optimize_report(write_plan(plan, f"plan-{row['run']}.yaml"), tmp_path / f"report-{row['run']}",
                                 "--catalog", str(SMALL_CATALOG))
        assert_row_is_the_report(row, periods, report)


def test_ohio_rows_equal_separate_optimize_runs(tmp_path):
    """A real plan (12 quarters, buildings and tents, gas plants, two vendors, binding budget, power,
    supply and share limits), solved on the process pool: the row of the cut budget is what
    `plan optimize` reports for that budget, number for number."""
    shutil.copytree(REPO / "sites", tmp_path / "sites")
    ohio = tmp_path / "sites" / "ohio.yaml"
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", str(ohio), "--set-range", "budget.2027.capex_limit_usd=$6B:$6B:1",
                                 "--workers", "2", "--no-charts", "--no-tornado", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv")
    periods = pd.read_csv(out / "sweep_periods.csv")
    assert list(table["budget.2027.capex_limit_usd"]) == [1e10, 6e9]
    assert set(table["status"]) == {"optimal"}
    assert table["binding_limits"].min() > 5
    text = ohio.read_text(encoding="utf-8")
    assert text.count("capex_limit_usd: $10B") == 1
    for _, row in table[table["run"] > 0].iterrows():  # the cut budget; run 0 is the plan as it is
        plan = ohio.with_name(f"ohio-{row['run']}.yaml")
        limit = row["budget.2027.capex_limit_usd"]
        plan.write_text(text.replace("capex_limit_usd: $10B", f"capex_limit_usd: {limit:.0f}"),
                        encoding="utf-8")
        assert_row_is_the_report(row, periods, optimize_report(plan, tmp_path / f"report-{row['run']}"))


def test_warm_started_sweep_has_the_same_objectives(tmp_path):
    """--warm-start: each run starts from the previous run's basis (same LP shape, other numbers).
    Every run's objective is the cold sweep's; the plan behind it may be another optimal one."""
    arguments = ["--set-range", "catalog.gb300-nvl72.unit_price_usd=x0.8:x1.2:3", "--set-range",
                 "budget.2027.capex_limit_usd=$6B:$14B:2", "--workers", "1", "--no-charts", "--no-tornado"]
    cold, warm = tmp_path / "cold", tmp_path / "warm"
    for out, extra in ((cold, []), (warm, ["--warm-start"])):
        result = runner.invoke(app, ["sweep", str(REPO / "sites" / "ohio.yaml"), *arguments, *extra, "--out", str(out)])
        assert result.exit_code == 0, result.output
    cold_table, warm_table = pd.read_csv(cold / "sweep.csv"), pd.read_csv(warm / "sweep.csv")
    assert len(warm_table) == 7  # the plan as it is, then 3 x 2
    assert list(warm_table["status"]) == list(cold_table["status"])
    assert list(warm_table["objective"]) == pytest.approx(list(cold_table["objective"]), rel=1e-9)
    summary = json.loads((warm / "summary.json").read_text())
    assert summary["provenance"]["options"]["warm_start"] is True


def test_a_warm_start_is_taken_only_where_the_lp_has_the_same_shape():
    """Within a sweep worker: runs that change a number start warm; a run whose LP has other
    columns (a chip available a quarter later) starts cold, and keeps its own basis."""
    from dataclasses import replace  # noqa: PLC0415

    from planner.answers.run import Options, load, solve_verified  # noqa: PLC0415
    from planner.model.solve import WarmStart  # noqa: PLC0415

    options = Options(warm_start=True, integer=False)  # warm starts are for LPs
    loaded = load(REPO / "sites" / "ohio.yaml", None, options)
    plan = as_lp(loaded.plan)  # a MILP starts no warmer: warm starts are for LPs
    cheaper = replace(plan, capex_budget_usd={**plan.capex_budget_usd, 2027: 3e9})
    later = replace(plan.catalog["mi455x"], first_period=plan.catalog["mi455x"].first_period + 1)
    slipped = replace(plan, catalog={**plan.catalog, "mi455x": later},
                      accelerators=tuple(later if a.id == "mi455x" else a for a in plan.accelerators))
    warm = WarmStart()
    objectives = []
    for variant in (plan, cheaper, slipped):
        solved = solve_verified(replace(loaded, plan=variant), options, warm)
        cold = solve_verified(replace(loaded, plan=variant), replace(options, warm_start=False))
        assert solved.result.objective_value == pytest.approx(cold.result.objective_value, rel=1e-9)
        objectives.append(solved.result.objective_value)
    assert warm.started == 1  # the budget change; the first run had no basis, the slipped chip another LP
    assert len(set(objectives)) == 3


def test_slip_range_and_tornado(tmp_path):
    out = tmp_path / "sweep"
    output = sweep(out, "--set-range", "catalog.beta.first_available=0:1:2", "--workers", "1")
    table = pd.read_csv(out / "sweep.csv")
    column = "catalog.beta.first_available:slip"
    assert list(table["kind"]) == ["base", "grid", "grid", "low", "high"]
    assert list(table[column]) == [0, 0, 1, 0, 1]
    assert list(table["objective"]) == pytest.approx([3200, 3200, 800, 3200, 800])
    assert "catalog.beta.first_available (slip, quarters)" in output
    assert {"sweep_lines.png", "tornado.png"} <= set(json.loads((out / "summary.json").read_text())["outputs"])


SWEEP_FILE = """\
title: Prices and a delivery slip
samples:
  catalog.alpha.unit_price_usd: {uniform_factor: [0.8, 1.2]}
  catalog.beta.first_available: {slip_quarters: {values: [0, 1], weights: [0.7, 0.3]}}
  budget.2026.limit_usd: {uniform: [$100M, $300M]}
"""


def test_samples_are_reproducible_by_seed(tmp_path):
    path = tmp_path / "risk.yaml"
    path.write_text(SWEEP_FILE, encoding="utf-8")
    tables = []
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        sweep(tmp_path / name, "--sweep", str(path), "--samples", "5", "--seed", seed, "--workers", "1",
              "--no-charts", "--no-tornado")
        tables.append((tmp_path / name / "sweep.csv").read_bytes())
    assert tables[0] == tables[1]
    assert tables[0] != tables[2]
    table = pd.read_csv(tmp_path / "a" / "sweep.csv")
    samples = table[table["kind"] == "sample"]
    assert samples["catalog.alpha.unit_price_usd:factor"].between(0.8, 1.2).all()
    assert set(samples["catalog.beta.first_available:slip"]) <= {0, 1}
    assert samples["budget.2026.limit_usd"].between(1e8, 3e8).all()


def test_process_pool_and_dask_cluster_give_identical_files(tmp_path):
    """The same sampled sweep (with tornado runs) on 2 local processes and on a real Dask
    LocalCluster of 2 worker processes: every output file is byte for byte the same."""
    distributed = pytest.importorskip("dask.distributed")
    path = tmp_path / "risk.yaml"
    path.write_text(SWEEP_FILE, encoding="utf-8")
    common = ["--sweep", str(path), "--samples", "8", "--seed", "7"]
    sweep(tmp_path / "pool", *common, "--workers", "2")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=":0") as cluster:
        sweep(tmp_path / "dask", *common, "--scheduler", cluster.scheduler_address)
    pool = json.loads((tmp_path / "pool" / "summary.json").read_text())
    assert {"sweep.csv", "sweep_periods.csv", "sweep_bands.png", "tornado.png"} <= set(pool["outputs"])
    for name in [*pool["outputs"], "summary.json"]:
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    table = pd.read_csv(tmp_path / "pool" / "sweep.csv")
    assert list(table["run"]) == list(range(len(table)))
    assert not [c for c in table.columns if "second" in c or "time" in c]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--set-range", f"{POWER}=5:15"], "expected PATH=LO:HI:N"),
    (["--set-range", "sites.lab.pue=1:2:0"], "expected PATH=LO:HI:N"),
    (["--set-range", "sites.lab.nme=1:2:3"], "nearest valid paths: sites.lab.name"),
    (["--set-range", "sites.lab.name=1:2:3"], "only numbers and quarters"),
    ([], "nothing to sweep"),
])
def test_bad_sweeps_are_refused(tmp_path, arguments, message):
    out = tmp_path / "sweep"
    output = sweep(out, *arguments, code=2)
    assert message in output
    assert not out.exists()


def test_a_bad_sweep_file_names_its_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"samples": {"sites.lab.pue": {"uniform_factor": [1.2, 0.8]}}}), encoding="utf-8")
    output = sweep(tmp_path / "out", "--sweep", str(path), "--samples", "3", code=2)
    assert "bad.yaml:2:3: samples.sites.lab.pue: factors must be positive and in order" in output


def test_a_sweep_file_grid_with_fixed_overrides(tmp_path):
    """A grid of slips from a file, with a fixed override: power at 5 MW halves every result."""
    path = tmp_path / "grid.yaml"
    path.write_text(f"set:\n  {POWER}: 5 MW\ngrid:\n  catalog.beta.first_available: ['+0', '+1']\n",
                    encoding="utf-8")
    sweep(tmp_path / "out", "--sweep", str(path), "--workers", "1", "--no-charts", "--no-tornado")
    table = pd.read_csv(tmp_path / "out" / "sweep.csv")
    assert list(table["catalog.beta.first_available:slip"]) == [0, 0, 1]
    assert list(table["objective"]) == pytest.approx([1600, 1600, 400])
