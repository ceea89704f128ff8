"""Shadow prices against values derived on paper; zero prices where a limit has room;
infeasible plans diagnosed with the exact shortfall; `plan fit`.

See tests/test_optimize.py for the small catalog's numbers (alpha and beta).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.answers.diagnose import diagnose
from planner.answers.outcome import RunResult
from planner.answers.run import Options, load, optimize
from planner.cli import app
from planner.model.rows import RowKey
from tests.conftest import SMALL_CATALOG, base_plan
from tests.model.test_optimize import ALPHA_QUARTER_USD, min_cost_plan, solve_plan

runner = CliRunner()


def price(run, family, key=None):
    table = run.tables.constraints
    rows = table[(table["family"] == family) & ((table["key"] == key) if key else True)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_power_price_and_a_free_budget(write_plan):
    """Power-bound plan: one facility MW = 0.8 MW IT of beta = 320 PFLOPS for the quarter; the
    budget has $839M left, so its price is zero.

    A whole step of 100 MW is worth less than 100 x 320: at 110 MW the $1B budget binds too.
    With both binding, 0.125a + 0.0125b = 110 and 310,950a + 201,095b = 1e9 give
    a = 452.727, b = 4,272.727 and 21,618.18 PFLOPS, so the step adds 18,418.18 (less the
    tie-break's 1e-9 x $839M)."""
    run = solve_plan(write_plan(base_plan()))
    site = price(run, "site_power")
    assert site["binding"]
    assert site["shadow_price"] == pytest.approx(320, rel=1e-4)
    assert site["step_value"] == pytest.approx(32_000, rel=1e-4)
    assert site["solved_step_value"] == pytest.approx(18_418.18, rel=1e-4)
    assert "100 MW more at lab in 2026Q1 would add 18.4 EFLOPS-quarters" in site["sentence"]
    assert site["step_value_method"] == "re-solved"
    budget = price(run, "budget")
    assert not budget["binding"]
    assert budget["shadow_price"] == 0
    assert budget["step_value"] == 0
    hall = price(run, "hall")
    assert hall["slack"] == pytest.approx(92)
    assert hall["step_value"] == 0


def test_budget_price(write_plan):
    """Budget-bound plan: $1 buys 10 / 310,950 PFLOPS of alpha, so $1B adds 32,159.6 PFLOPS-quarters."""
    plan = base_plan(budget=[{"year": 2026, "limit_usd": "$100M"}])
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    run = solve_plan(write_plan(plan))
    budget = price(run, "budget")
    assert budget["step_value"] == pytest.approx(1e9 * 10 / ALPHA_QUARTER_USD, rel=1e-4)
    assert price(run, "site_power")["step_value"] == 0


def test_min_cost_prices_in_dollars(write_plan):
    """With a = (320P - D)/30 and b = (D - 80P)/3 (both limits binding), cost C(P, D) gives
    dC/dP = 310,950 x 320/30 - 201,095 x 80/3 = -$2,045,733.33 per MW and
    dC/dD = -310,950/30 + 201,095/3 = $56,666.67 per PFLOPS (at the margin)."""
    run = solve_plan(write_plan(min_cost_plan()))
    assert price(run, "power")["shadow_price"] == pytest.approx(-2_045_733.33, rel=1e-6)
    assert price(run, "demand")["shadow_price"] == pytest.approx(56_666.67, rel=1e-6)
    assert price(run, "demand")["step_value"] == pytest.approx(56_666_666.7, rel=1e-6)
    # A whole 100 MW step is worth less: with power to spare, 100 alpha units meet the demand
    # for 100 x $310,950 = $31,095,000, saving $36,209,333.33 - $31,095,000 = $5,114,333.33.
    site = price(run, "site_power")
    assert site["step_value"] == pytest.approx(204_573_333, rel=1e-6)
    assert site["solved_step_value"] == pytest.approx(5_114_333.33, rel=1e-6)
    assert "100 MW more at lab in 2026Q1 would save $5.11M" in site["sentence"]


def test_whole_units_price_limits_with_their_units_free(write_plan):
    """Whole units: the marginal values are the shadow prices of the LP with the plan's modules and
    binaries fixed and its units free, not those of the LP with every unit fixed (which price only
    what is left free). The one-quarter plan has no modules: its power price is the LP's, 0.8 MW IT
    per facility MW of beta at 400 PFLOPS per IT MW = 320 PFLOPS per MW
    (see test_power_price_and_a_free_budget)."""
    run = solve_plan(write_plan(base_plan()), integer=True)
    assert "units free to move in fractions" in run.result.duals_note
    assert price(run, "power")["shadow_price"] == pytest.approx(320, rel=1e-3)


def diagnosed(write_plan, plan):
    path = write_plan(plan)
    options = Options()
    run = optimize(load(path, SMALL_CATALOG, options), options)
    assert run.result.status == "infeasible"
    return diagnose(run.plan, run.model)


def test_demand_300_mw_beyond_power_is_reported_exactly(write_plan):
    """Beta only: 320 PFLOPS per facility MW. Demand for what 310 MW could power, with 10 MW:
    power is 300 MW short, demand 96,000 PFLOPS short (hall and budget have room)."""
    plan = base_plan(policy={"exclude": ["alpha"]}, budget=[{"year": 2026, "limit_usd": "$100B"}],
                     demand={"training": [{"from": "2026Q1", "pflops": 320 * 310}], "inference_precision": "bf16"})
    plan["sites"][0]["halls"][0]["existing_it_mw"] = 1000
    diagnosis = diagnosed(write_plan, plan)
    assert [(s.family, s.key) for s in diagnosis.short] == [("demand", RowKey(workload="training"))]
    assert diagnosis.short[0].amount == pytest.approx(96_000, rel=1e-6)
    assert [(s.family, s.key) for s in diagnosis.would_close] == [("power", RowKey(site="lab", source="grid"))]
    assert diagnosis.would_close[0].amount == pytest.approx(300, rel=1e-6)
    conflicts = [(c.family, c.key, c.period) for c in diagnosis.iis]
    assert ("power", RowKey(site="lab", source="grid"), "2026Q1") in conflicts
    assert "power source (lab / grid, 2026Q1)" in diagnosis.iis_limits
    assert "power from lab / grid is full in 2026Q1" in diagnosis.binding_while_short


def test_budget_2b_short_is_reported_exactly(write_plan):
    """Min-cost, beta only, ample power: demand costing $3B against a $1B budget.
    A beta unit with its quarter of energy costs $201,095 for 4 PFLOPS."""
    demand_pflops = 3e9 / 201_095 * 4
    plan = base_plan(objective="min-cost", policy={"exclude": ["alpha"]},
                     demand={"training": [{"from": "2026Q1", "pflops": demand_pflops}]})
    plan["sites"][0]["halls"][0]["existing_it_mw"] = 1000
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 1000
    diagnosis = diagnosed(write_plan, plan)
    assert [(s.family, s.key) for s in diagnosis.would_close] == [("budget", RowKey(year="2026"))]
    assert diagnosis.would_close[0].amount == pytest.approx(2e9, rel=1e-6)
    assert "+$2.00B of budget in 2026" in diagnosis.headline()


def test_infeasible_plan_exits_3_and_writes_the_diagnosis(write_plan, tmp_path):
    plan = base_plan(policy={"exclude": ["alpha"]}, demand={"training": [{"from": "2026Q1", "pflops": "5 EFLOPS"}]})
    out = tmp_path / "out"
    result = runner.invoke(app, ["optimize", str(write_plan(plan)), "--catalog", str(SMALL_CATALOG), "--out", str(out)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "training demand in 2026Q1 is short by 1.80 EFLOPS" in result.output
    written = json.loads((out / "diagnosis.json").read_text())
    assert written["short"][0]["amount"] == pytest.approx(1800, rel=1e-6)
    manifest = json.loads((out / "summary.json").read_text())
    assert manifest["status"] == "infeasible"
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert set(manifest["outputs"]) == {"diagnosis.json", "report.pdf", "report.html", "demand_shortfall.png"}


def test_fit_power_and_budget():
    """Without fabric: 10 MW at design PUE 1.25 = 8 MW IT = 800 beta servers (10 kW each);
    $100M buys 500 ($200k each)."""
    result = runner.invoke(app, ["fit", "--power", "10 MW", "--accelerator", "beta", "--pue", "1.25", "--fabric", "0",
                                 "--catalog", str(SMALL_CATALOG), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["units"] == 800
    assert answer["accelerators"] == 6400
    assert answer["facility_kw_per_accelerator"] == pytest.approx(1.5625)
    assert answer["limit"] == "power"
    result = runner.invoke(app, ["fit", "--power", "10MW", "--accelerator", "beta", "--pue", "1.25", "--fabric", "0",
                                 "--budget", "$100M", "--catalog", str(SMALL_CATALOG), "--json"])
    assert json.loads(result.output)["units"] == 500
    assert json.loads(result.output)["limit"] == "budget"


def test_fit_counts_the_fabric_by_default():
    """Each 10 kW beta server brings 0.07 x 10 = 0.7 kW of fabric: 10 MW / (10.7 kW x 1.25)
    = 747.66, so 747 whole servers; its price gains 16%: $100M / $232k = 431.03 -> 431."""
    result = runner.invoke(app, ["fit", "--power", "10 MW", "--accelerator", "beta", "--pue", "1.25",
                                 "--catalog", str(SMALL_CATALOG), "--json"])
    answer = json.loads(result.output)
    assert answer["units"] == 747
    assert answer["it_kw_per_accelerator"] == pytest.approx(10.7 / 8)
    assert answer["capex_usd"] == pytest.approx(747 * 232_000)
    result = runner.invoke(app, ["fit", "--power", "10 MW", "--accelerator", "beta", "--pue", "1.25",
                                 "--budget", "$100M", "--catalog", str(SMALL_CATALOG), "--json"])
    assert json.loads(result.output)["units"] == 431


def test_fit_checks_a_claim():
    """1M beta accelerators need 1M x 1.5625 kW = 1.5625 GW: not possible in 10 MW."""
    result = runner.invoke(app, ["fit", "--power", "10MW", "--accelerator", "beta", "--pue", "1.25", "--fabric", "0",
                                 "--claim", "1M", "--catalog", str(SMALL_CATALOG), "--json"])
    claim = json.loads(result.output)["claim"]
    assert claim["possible"] is False
    assert claim["facility_mw_needed"] == pytest.approx(1562.5)
    assert claim["facility_kw_per_accelerator_allowed"] == pytest.approx(0.01)


def test_fit_refuses_an_unknown_accelerator():
    result = runner.invoke(app, ["fit", "--power", "1GW", "--accelerator", "betta", "--catalog", str(SMALL_CATALOG)])
    assert result.exit_code == 2
    assert "did you mean 'beta'" in result.output


def test_no_budget_under_max_compute_is_said(write_plan, tmp_path):
    plan = base_plan()
    plan.pop("budget")
    result = runner.invoke(app, ["optimize", str(write_plan(plan)), "--catalog", str(SMALL_CATALOG),
                                 "--out", str(tmp_path / "out"), "--no-report"])
    assert result.exit_code == 0, result.output
    assert "no budget for 2026" in result.output
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["notes"]


def test_a_whole_step_is_worth_what_the_changed_plan_solves_to(write_plan):
    """Whole units: the top limit's step is re-solved by the same whole-unit search, so its value is
    exactly the gain of solving the plan with that change made. Power binds (800 beta on 8 MW IT);
    its step is 100 MW at the site (relaxed at its grid), so the changed plan has 110 MW."""
    plan = base_plan()
    run = solve_plan(write_plan(plan), integer=True)
    table = run.tables.constraints
    solved = table[table["step_value_method"] == "re-solved"]
    assert list(solved["name"]) == ["site_power__lab__2026Q1"]  # one physical limit: the site, its one source
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 10 + 100
    changed = solve_plan(write_plan(plan), integer=True)
    gain = changed.result.objective_value - run.result.objective_value
    assert solved["solved_step_value"].iloc[0] == pytest.approx(gain, rel=1e-9)
    assert "would add" in solved["sentence"].iloc[0]
    marginal = table[table["step_value_method"] == "marginal"]
    assert all("marginal" in words and "would add" not in words for words in marginal["sentence"])




def test_explain_ranks_as_optimize_does_and_says_how_each_value_was_found(write_plan):
    """explain solves in whole units, as optimize does by default, so its ranking and words are
    optimize's (one ranking everywhere); its 'found by' column says how each value was found."""
    from planner.reports.report import binding_limits  # noqa: PLC0415

    plan = write_plan(base_plan())
    explained = CliRunner().invoke(app, ["explain", str(plan), "--catalog", str(SMALL_CATALOG)])
    assert explained.exit_code == 0, explained.output
    assert "found by" in explained.output
    limits = binding_limits(optimize(load(plan, SMALL_CATALOG, Options()), Options()))
    assert limits
    words = " ".join(explained.output.split())
    for number, limit in enumerate(limits[:10], start=1):
        assert f"{number}. {limit.words}" in words
    assert limits[0].method in ("re-solved", "marginal")


def test_money_rows_scaled_for_the_interior_point_method_come_back_in_dollars(write_plan, monkeypatch):
    """A large LP goes to HiGHS's IPM with its money rows in units of $100k (`families.ROW_SCALE`);
    values, duals and slacks come back in the plan's own units. The budget-bound plan of
    `test_budget_price`, sent down that path: the same optimum, its budget's dual 10 / 310,950
    PFLOPS-quarters per dollar (so $1B adds 32,159.6), and every row's dual and slack as simplex
    gives them on the LP as built."""
    from planner.model import highs_run  # noqa: PLC0415
    from planner.model.build import build_model  # noqa: PLC0415
    from planner.model.families import ROW_SCALE_BY_UNIT  # noqa: PLC0415

    plan = base_plan(budget=[{"year": 2026, "limit_usd": "$100M"}])
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    lp = build_model(load(write_plan(plan), SMALL_CATALOG, Options()).plan).linear_program
    options = highs_run.SolverOptions()
    simplex = highs_run.run_highs(highs_run.highs_model(lp, options), lp)
    monkeypatch.setattr(highs_run, "IPM_FROM_COLUMNS", 1)
    assert highs_run.uses_ipm(lp)
    budget = [i for i, row in enumerate(lp.rows) if row.family == "budget"]
    assert lp.money_row_scale[budget].tolist() == [ROW_SCALE_BY_UNIT["USD"]]
    ipm = highs_run.run_highs(highs_run.highs_model(lp, options), lp)
    assert ipm.objective == pytest.approx(simplex.objective, rel=1e-9)
    assert simplex.duals is not None
    assert ipm.duals is not None
    assert ipm.slacks is not None
    assert ipm.duals[budget[0]] == pytest.approx(10 / ALPHA_QUARTER_USD, rel=1e-4)  # less the tie-break
    assert ipm.duals == pytest.approx(simplex.duals, rel=1e-6, abs=1e-12)
    assert ipm.slacks == pytest.approx(simplex.slacks, rel=1e-6, abs=1e-6)


def test_the_limit_pages_rank_re_solved_steps_and_leave_out_what_is_worth_nothing(write_plan):
    """report.pdf's first limits page lists the binding limits worth a step: the re-solved ones
    first, then the marginal ones, in one unit for the column; limits that bind at no worth are
    counted, not listed (Louisiana: 0 <= 0 rows of quarters with nothing built, by the hundred);
    the last lists limits with room in the last quarter. In the one-quarter plan power binds (800
    beta on 8 MW IT), re-solved: 100 MW more adds what a what-if returns (as in
    `test_a_whole_step_is_worth_what_the_changed_plan_solves_to`)."""
    from planner.model.families import INTERNAL  # noqa: PLC0415
    from planner.reports.pdf_tables import limit_pages  # noqa: PLC0415
    from tests.conftest import shipped_run  # noqa: PLC0415

    def texts(run: RunResult) -> tuple[list[str], list[str], pd.DataFrame]:
        table = run.tables.constraints
        binding = table[table["binding"] & ~table["family"].isin(INTERNAL)]
        pages = limit_pages(run)
        return [t.get_text() for t in pages[0].texts], [t.get_text() for t in pages[-1].texts], binding

    first, room, binding = texts(solve_plan(write_plan(base_plan()), integer=True))
    assert first[0] == "Limits that bind: re-solved, then marginal, most valuable first"
    methods = [cell for cell in first if cell in ("re-solved", "marginal")]
    assert methods[0] == "re-solved"
    assert methods == sorted(methods, key=lambda m: m != "re-solved")
    solved = binding[binding["step_value_method"] == "re-solved"].iloc[0]
    assert f"{solved['solved_step_value'] / 1e3:,.1f}" in first
    assert room[0].startswith("Limits with room at the end of the horizon (2026Q1)")

    first, _, binding = texts(shipped_run("louisiana"))
    worth = binding["solved_step_value"].fillna(binding["step_value"])
    silent = int((worth < 1.0).sum())
    assert silent > 100
    assert len([cell for cell in first if cell in ("re-solved", "marginal")]) == min(40, int((worth >= 1.0).sum()))
    assert f"The other {silent} bind at no worth" in " ".join(first[1].split())
