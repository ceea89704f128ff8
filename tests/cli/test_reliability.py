"""Reliability: same input, same bytes; no half-written file after a kill; solver faults and
fallbacks; numbers at the edges."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pulp
import pytest
import yaml
from typer.testing import CliRunner

from planner.answers.run import Options, load, optimize
from planner.cli import app
from planner.model import solve as solve_module
from tests.conftest import REPO, SMALL_CATALOG, as_lp, base_plan, needs_cbc
from tests.model.test_optimize import phasing_plan

runner = CliRunner()
SHIPPED = sorted((REPO / "sites").glob("*.yaml"))


@needs_cbc
@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_highs_and_cbc_agree_on_every_shipped_plan(path):
    objectives = {}
    for solver in ("highs", "cbc"):
        options = Options(solver=solver, integer=False)  # the LP: both solvers reach its one optimum
        loaded = load(path, None, options)
        run = optimize(replace(loaded, plan=as_lp(loaded.plan)), options)
        assert run.result.status == "optimal"
        objectives[solver] = run.result.objective_value
    assert objectives["cbc"] == pytest.approx(objectives["highs"], rel=1e-7)


def _plan_folder(tmp_path: Path) -> Path:
    """A 4-quarter plan with a tent hall whose modules come online (see test_optimize)."""
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(phasing_plan(), sort_keys=False))
    return path


def _run_cli(plan: Path, out: Path, seed: str, extra: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    # PLANNER_NO_RISKS set here too: the module's reference run starts before the autouse fixture sets it.
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "0", "PYTHONHASHSEED": seed, "PLANNER_NO_RISKS": "1"}
    return subprocess.Popen(  # noqa: S603 - our own module, our own arguments
        [sys.executable, "-m", "planner.cli", "optimize", str(plan), "--catalog", str(SMALL_CATALOG),
         "--out", str(out), "-q", *extra], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".planner-tmp-")}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory) -> tuple[Path, Path, float]:
    """One complete run (hash seed 1): the plan, its report folder, and how long it took."""
    folder = tmp_path_factory.mktemp("reference")
    plan = _plan_folder(folder)
    started = time.perf_counter()
    assert _run_cli(plan, folder / "report", "1").wait(timeout=120) == 0
    return plan, folder / "report", time.perf_counter() - started


def test_same_input_same_bytes_across_processes(reference_run, tmp_path):
    """Two processes with different hash seeds write byte-identical CSV, JSON, PNG and PDF."""
    plan, first, _ = reference_run
    second = tmp_path / "second"
    assert _run_cli(plan, second, "2").wait(timeout=120) == 0
    a, b = _files(first), _files(second)
    assert set(a) >= {"summary.json", "allocation.csv", "report.pdf", "power_by_site.png"}
    assert a == b, [name for name in a if a[name] != b.get(name)]


def test_a_killed_run_never_leaves_a_half_written_file(reference_run, tmp_path):
    """Kill the command near its end, while its files land (midway nothing has landed yet); every file
    then in the folder is whole: byte-identical to the same file of a complete run. The next run
    cleans the temporaries and completes the folder."""
    plan, reference, duration = reference_run
    expected = _files(reference)
    half_written = 0
    for trial, fraction in enumerate((0.9,)):
        out = tmp_path / f"killed-{trial}"
        process = _run_cli(plan, out, "0")
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        if out.exists():
            for name, data in _files(out).items():
                half_written += data != expected[name]
    assert half_written == 0
    # A later run in a killed folder removes stale temporaries and completes the folder.
    out = tmp_path / "killed-0"
    assert _run_cli(plan, out, "0").wait(timeout=120) == 0
    assert not list(out.glob(".planner-tmp-*"))
    assert _files(out) == expected


def test_time_limit_without_a_plan_exits_4(tmp_path):
    plan = tmp_path / "big.yaml"
    assert runner.invoke(app, ["generate", "--sites", "30", "--accelerators", "6", "--quarters", "8",
                               "--seed", "2", "--out", str(plan)]).exit_code == 0
    result = runner.invoke(app, ["optimize", str(plan), "--catalog", str(SMALL_CATALOG), "--integer",
                                 "--time-limit", "0.01", "--out", str(tmp_path / "out")])
    assert result.exit_code == 4, result.output
    assert "time limit" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_plan_found_but_not_proven_optimal_says_so(tmp_path, write_plan, monkeypatch):
    """Stop HiGHS at its first integer solution: the plan is reported as feasible, with its gap and
    the target it is above (`--gap 0`)."""
    from planner.answers import run as run_module  # noqa: PLC0415
    from planner.model import whole as whole_module  # noqa: PLC0415

    original = solve_module.highs_model

    def first_solution_only(lp, options, names=False):
        highs = original(lp, options, names)
        highs.setOptionValue("mip_max_improving_sols", 1)
        return highs

    monkeypatch.setattr(solve_module, "highs_model", first_solution_only)
    monkeypatch.setattr(whole_module, "highs_model", first_solution_only)
    # Each step would be re-solved by a branch and bound of its own, at gap 0: not what this tests.
    monkeypatch.setattr(run_module, "TOP", 0)
    plan = tmp_path / "big.yaml"
    runner.invoke(app, ["generate", "--sites", "6", "--accelerators", "4", "--quarters", "4", "--seed", "5",
                        "--out", str(plan)])
    out = tmp_path / "out"
    # --gap 0: no rounding is good enough, so the branch and bound runs (and stops at its first plan).
    result = runner.invoke(app, ["optimize", str(plan), "--catalog", str(SMALL_CATALOG), "--gap", "0",
                                 "--out", str(out), "--no-report"])
    summary = json.loads((out / "summary.json").read_text())
    if summary["status"] == "optimal":
        pytest.skip("HiGHS proved its first solution optimal: nothing unproven to report")
    assert result.exit_code == 0, result.output
    assert summary["status"] == "feasible"
    assert summary["solver"]["gap"] > 0
    assert summary["solver"]["target_gap"] == 0
    assert "NOT proven optimal" in result.output
    assert "above the 0% target" in " ".join(result.output.split())


@needs_cbc
def test_missing_highs_falls_back_to_cbc(write_plan, tmp_path, monkeypatch):
    monkeypatch.setattr(solve_module, "highs_available", lambda: False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["optimize", str(write_plan(base_plan())), "--catalog", str(SMALL_CATALOG),
                                 "--out", str(out), "--no-report"])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())  # the note wraps at the terminal's width
    assert "HiGHS is not available" in words
    assert "solved with CBC instead" in words
    summary = json.loads((out / "summary.json").read_text())
    assert summary["solver"]["name"] == "CBC"
    assert summary["objective"]["value"] == pytest.approx(3200)


@needs_cbc
def test_crashing_cbc_falls_back_to_highs(write_plan, tmp_path, monkeypatch):
    def crash(self, lp, **kwargs):
        raise pulp.PulpSolverError("cbc: killed by signal 11")

    monkeypatch.setattr(pulp.COIN_CMD, "actualSolve", crash)
    result = runner.invoke(app, ["optimize", str(write_plan(base_plan())), "--catalog", str(SMALL_CATALOG),
                                 "--solver", "cbc", "--out", str(tmp_path / "out"), "--no-report"])
    assert result.exit_code == 0, result.output
    assert "CBC failed: cbc: killed by signal 11; solved with HIGHS instead" in result.output


def test_one_accelerator_allowed(write_plan):
    options = Options()
    run = optimize(load(write_plan(base_plan(policy={"allow": ["alpha"]})), SMALL_CATALOG, options), options)
    assert set(run.tables.allocation["accelerator"]) == {"alpha"}
    assert run.compute_pflops_quarters == pytest.approx(800)


def test_none_allowed_without_demand_buys_nothing(write_plan):
    options = Options()
    run = optimize(load(write_plan(base_plan(policy={"allow": []})), SMALL_CATALOG, options), options)
    assert run.result.status == "optimal"
    assert run.tables.allocation.empty
    assert run.compute_pflops_quarters == 0


def test_none_allowed_with_demand_cannot_be_closed(write_plan, tmp_path):
    plan = base_plan(policy={"allow": []}, demand={"training": [{"from": "2026Q1", "pflops": 100}]})
    result = runner.invoke(app, ["optimize", str(write_plan(plan)), "--catalog", str(SMALL_CATALOG),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "training demand in 2026Q1 is short by 100 PFLOPS" in result.output
    assert "No change to power, space, budget or supply closes it" in result.output


def test_a_zero_budget_buys_nothing(write_plan):
    options = Options()
    run = optimize(load(write_plan(base_plan(budget=[{"year": 2026, "limit_usd": 0}])), SMALL_CATALOG, options),
                   options)
    assert run.result.status == "optimal"
    assert run.tables.allocation.empty
    assert float(run.tables.budget["total_usd"].iloc[0]) == 0


def test_a_zero_budget_with_installed_units_is_short_by_their_energy(tmp_path):
    """Ohio's installed GB200 racks draw power from day one: with no money, their energy is what
    the budget lacks."""
    plan = yaml.safe_load((REPO / "sites" / "ohio.yaml").read_text())
    plan["budget"] = [{"year": 2026, "limit_usd": 0}]
    plan.pop("demand")
    plan["policy"] = {}
    plan["supply"] = []
    folder = tmp_path / "sites"
    (folder / "campus").mkdir(parents=True)
    (folder / "campus" / "prometheus.yaml").write_text((REPO / "sites" / "campus" / "prometheus.yaml").read_text())
    (folder / "ohio.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    result = runner.invoke(app, ["optimize", str(folder / "ohio.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "of budget in 2026" in result.output
