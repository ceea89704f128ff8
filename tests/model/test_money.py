"""Money as finance sees it (limit 13): capex and opex limits per year, each on its own, solved
on paper with the site and catalog of tests/model/test_family_binding.py (one quarter of
2,190 h, PUE 1.25, grid at $40/MWh; alpha $300k for 10 PFLOPS and 0.125 MW of facility, beta
$200k for 4 PFLOPS and 0.0125 MW). A quarter's energy: alpha 0.125 x 2,190 x 40 = $10,950,
beta $1,095."""

from __future__ import annotations

import pytest
import yaml

from planner.answers.run import objective_of
from tests.conftest import SMALL_CATALOG, base_plan
from tests.model.test_family_binding import TIE_BREAK, assert_binds, assert_verified, limit, scaled, solve_plan, units


def test_a_capex_limit_leaves_energy_out(write_plan):
    """$100M of capex and 100 MW of power: alpha is the better buy per capex dollar (33.3
    PFLOPS per $1M against 20): 1e8 / 3e5 = 333.3 alpha, compute 3,333 (under a $100M limit on
    capex + opex, 1e8 / 310,950 = 321.6). Price 10 / 300,000 per $, 33,333 per $1B."""
    plan = base_plan(budget=[{"year": 2026, "capex_limit_usd": "$100M"}])
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha") == pytest.approx(1e8 / 3e5, rel=1e-6)
    assert objective_of(run.plan, run.result).value == pytest.approx(1e9 / 3e5, rel=TIE_BREAK)
    row = limit(run, "capex_budget", "2026", "2026")
    assert_binds(row)
    assert row["step_value"] == pytest.approx(1e10 / 3e5, rel=TIE_BREAK)
    budget = run.tables.budget.iloc[0]
    assert (budget["capex_usd"], budget["capex_limit_usd"]) == pytest.approx((1e8, 1e8))
    assert budget["opex_usd"] == pytest.approx(1e8 / 3e5 * 10_950)
    assert_verified(run, "capex_budget", {"new": scaled(run.result.solution.new, 1.01)})


def test_an_opex_limit_binds_on_energy(write_plan):
    """$500k of opex in the quarter: beta costs $273.75 of energy per PFLOPS (alpha $1,095), so
    500,000 / 1,095 = 456.6 beta (5.7 MW of the 10), compute 1,826.5. Price 4 / 1,095 per $."""
    run = solve_plan(write_plan(base_plan(budget=[{"year": 2026, "opex_limit_usd": "$500k"}])))
    assert units(run, "beta") == pytest.approx(500_000 / 1_095, rel=1e-6)
    assert units(run, "alpha") == pytest.approx(0, abs=1e-6)
    row = limit(run, "opex_budget", "2026", "2026")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(4 / 1_095, rel=TIE_BREAK)
    assert_verified(run, "opex_budget", {"new": scaled(run.result.solution.new, 1.01),
                                         "disp": scaled(run.result.solution.disp, 1.01),
                                         "infer": scaled(run.result.solution.infer, 1.01)})


def test_a_budget_year_needs_some_limit(write_plan, tmp_path):
    from typer.testing import CliRunner  # noqa: PLC0415

    from planner.cli import app  # noqa: PLC0415

    result = CliRunner().invoke(app, ["validate", str(write_plan(base_plan(budget=[{"year": 2026}])))])
    assert result.exit_code == 2
    assert "budget[0]" in result.output
    assert "capex_limit_usd" in result.output


def test_depreciation_is_straight_line_over_a_units_life(write_plan):
    """800 beta bought in 2026Q1 (10 MW / 0.0125) at $200k, 20-quarter life: $160M / 20 = $8M
    a quarter from the quarter they serve; over 2026Q1-Q4, $32M in 2026 (capex $160M)."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q4"})
    run = solve_plan(write_plan(plan))
    budget = run.tables.budget.iloc[0]
    assert budget["capex_accelerators_usd"] == pytest.approx(160e6, rel=1e-6)
    assert budget["depreciation_usd"] == pytest.approx(32e6, rel=1e-6)


def test_the_residual_value_keeps_a_long_lived_part_from_being_charged_in_full(write_plan):
    """Min-cost, 1,000 PFLOPS of training in one quarter, ample power. Alpha lives one quarter,
    beta twenty. Charged in full, alpha is cheaper per PFLOPS ($310,950 / 10 = $31,095 against
    $201,095 / 4 = $50,274): 100 alpha, $31.1M. Net of what is left at the horizon's end, beta
    keeps 19/20 of its $200k: ($200,000 x 1/20 + $1,095) / 4 = $2,773.75 per PFLOPS against
    alpha's $31,095 (nothing left): 250 beta, objective 250 x (201,095 - 190,000) = $2,773,750."""
    parts = {a["id"]: a for a in yaml.safe_load(SMALL_CATALOG.read_text())["accelerators"]}
    plan = base_plan(objective="min-cost", demand={"training": [{"from": "2026Q1", "pflops": 1000}]},
                     catalog=[{**parts["alpha"], "life_quarters": 1}, {**parts["beta"], "life_quarters": 20}])
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    run = solve_plan(write_plan(plan))
    assert (units(run, "alpha"), units(run, "beta")) == pytest.approx((0, 250), abs=1e-6)
    assert objective_of(run.plan, run.result).value == pytest.approx(2_773_750, rel=1e-9)
    assert "residual" in objective_of(run.plan, run.result).unit
    plan["residual_value"] = "none"
    whole = solve_plan(write_plan(plan))
    assert (units(whole, "alpha"), units(whole, "beta")) == pytest.approx((100, 0), abs=1e-6)
    assert objective_of(whole.plan, whole.result).value == pytest.approx(31_095_000, rel=1e-9)


def test_a_modules_capex_is_paid_over_its_build(write_plan):
    """A 5 MW module with a 2-quarter lead and $100M of capex, the only hall space: started in
    2026Q1 it is ready for 2026Q3, and its $100M is paid $50M in 2026Q1 and $50M in 2026Q2 (not
    all at the start)."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q4"})
    plan["sites"][0]["halls"][0].update(existing_it_mw=0, module_it_mw=5, max_modules=1, module_capex_usd="$100M",
                                        lead_quarters=2, first_module_start="2026Q1")
    run = solve_plan(write_plan(plan))
    assert run.result.solution.mod[0, 0, 0] == pytest.approx(1.0)
    assert sum(run.result.solution.mod.values()) == pytest.approx(1.0)
    from planner.answers.accounting import ledger  # noqa: PLC0415

    books = ledger(run.plan, run.result.solution)
    assert [books.capex_usd.get((t, "modules"), 0.0) for t in range(4)] == pytest.approx([5e7, 5e7, 0, 0])
    assert float(run.tables.budget["capex_modules_usd"].iloc[0]) == pytest.approx(1e8)
