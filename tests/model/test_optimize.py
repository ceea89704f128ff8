"""Plans small enough to solve on paper; each optimum is derived in the test's docstring.

The small catalog (tests/data/catalog-small.yaml):
- alpha: rack of 10 accelerators, 100 kW IT, 1 BF16 PFLOPS each, $300k
  -> 10 PFLOPS per unit, 100 PFLOPS per IT MW, 33.3 PFLOPS per $1M;
- beta: server of 8, 10 kW IT, 0.5 BF16 PFLOPS each, $200k
  -> 4 PFLOPS per unit, 400 PFLOPS per IT MW, 20 PFLOPS per $1M.
So beta wins when power is short, alpha when money is. The site has PUE 1.25 and energy at
$40/MWh; a quarter is 2,190 h, so a unit's energy costs IT MW x 1.25 x 2190 x 40 per quarter:
alpha $10,950, beta $1,095.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.answers.accounting import ledger
from planner.answers.run import Options, RunResult, load, optimize
from planner.answers.verify import verify
from tests.conftest import SMALL_CATALOG, base_plan, needs_cbc

ALPHA_QUARTER_USD = 300_000 + 0.1 * 1.25 * 2190 * 40
BETA_QUARTER_USD = 200_000 + 0.01 * 1.25 * 2190 * 40


def solve_plan(path: Path, **options: object) -> RunResult:
    """The plan solved as an LP unless the test asks for whole units (`integer=True`): the optima
    in the docstrings are worked out on paper in continuous arithmetic."""
    chosen = Options(**{"integer": False, **options})  # type: ignore[arg-type]
    return optimize(load(path, SMALL_CATALOG, chosen), chosen)


def units(run: RunResult, accelerator: str, period: str | None = None) -> float:
    table = run.tables.allocation
    rows = table[(table["accelerator"] == accelerator) & (table["period"] == (period or run.plan.periods[-1]))]
    return float(rows["units"].sum())


def binding(run: RunResult) -> set[str]:
    table = run.tables.constraints
    return set(table[table["binding"]]["family"])


def test_power_bound(write_plan):
    """10 MW facility / 1.25 = 8 MW IT. Beta gives 400 PFLOPS per IT MW (alpha 100), so
    8 / 0.01 = 800 beta units, 3,200 PFLOPS; cost 800 x $200k = $160M, far below $1B."""
    run = solve_plan(write_plan(base_plan()))
    assert units(run, "beta") == pytest.approx(800)
    assert units(run, "alpha") == pytest.approx(0, abs=1e-6)
    assert run.compute_pflops_quarters == pytest.approx(3200)
    assert "power" in binding(run)
    assert "budget" not in binding(run)
    # One more facility MW buys 0.8 MW IT of beta: 320 PFLOPS (less the tie-break on cost).
    power = run.tables.constraints.set_index("family").loc["power"]
    assert power["shadow_price"] == pytest.approx(320, rel=1e-3)


def test_budget_bound(write_plan):
    """$100M and 100 MW: money binds. Alpha costs $310,950 per 10 PFLOPS (with a quarter's
    energy) = $31,095 per PFLOPS, beta $201,095 / 4 = $50,274: all alpha,
    1e8 / 310,950 = 321.595 units, 3,215.95 PFLOPS, 40.2 MW facility (< 100)."""
    plan = base_plan(budget=[{"year": 2026, "limit_usd": "$100M"}])
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    run = solve_plan(write_plan(plan))
    expected_units = 1e8 / ALPHA_QUARTER_USD
    assert units(run, "alpha") == pytest.approx(expected_units, rel=1e-6)
    assert units(run, "beta") == pytest.approx(0, abs=1e-6)
    assert run.compute_pflops_quarters == pytest.approx(10 * expected_units, rel=1e-6)
    assert binding(run) >= {"budget"}
    assert "power" not in binding(run)
    assert float(run.tables.budget["total_usd"].iloc[0]) == pytest.approx(1e8, rel=1e-9)


def test_vendor_share_bound(write_plan):
    """NVIDIA (alpha) must hold >= 50% of BF16 compute: 10a >= 0.5 (10a + 4b), i.e. b <= 2.5a.
    Power: 0.1a + 0.01b <= 8. Beta is better per MW, so b = 2.5a: 0.125a = 8, a = 64, b = 160,
    compute 640 + 640 = 1,280 PFLOPS (all alpha would give only 800)."""
    plan = base_plan(policy={"shares": [{"vendor": "nvidia", "min_share": 0.5}]})
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha") == pytest.approx(64)
    assert units(run, "beta") == pytest.approx(160)
    assert run.compute_pflops_quarters == pytest.approx(1280)
    assert "share_min" in binding(run)


def test_max_share_and_exclusion(write_plan):
    """Excluding beta leaves alpha: 8 MW IT / 0.1 = 80 units, 800 PFLOPS."""
    run = solve_plan(write_plan(base_plan(policy={"exclude": ["beta"]})))
    assert units(run, "alpha") == pytest.approx(80)
    assert run.compute_pflops_quarters == pytest.approx(800)


def min_cost_plan() -> dict:
    # The residual value at the horizon's end has its own test (tests/model/test_money.py); here
    # the whole cost of what is bought counts, as the arithmetic below says.
    return base_plan(objective="min-cost", demand={"training": [{"from": "2026Q1", "pflops": "1 EFLOPS"}]},
                     residual_value="none")


def test_min_cost_meets_demand(write_plan):
    """1,000 PFLOPS at least cost under 10 MW. Alpha is cheaper per PFLOPS but needs 4x the
    power, so both limits bind: 10a + 4b = 1000 and 0.125a + 0.0125b = 10 give
    a = 73.333, b = 66.667; cost = 73.333 x 310,950 + 66.667 x 201,095 = $36,209,333.33."""
    run = solve_plan(write_plan(min_cost_plan()))
    assert units(run, "alpha") == pytest.approx(220 / 3, rel=1e-6)
    assert units(run, "beta") == pytest.approx(200 / 3, rel=1e-6)
    assert run.result.objective_value == pytest.approx(36_209_333.33, rel=1e-6)
    assert float(run.tables.compute["training_pflops"].iloc[0]) == pytest.approx(1000, rel=1e-9)
    assert {"power", "demand"} <= binding(run)


def test_integer_mode_gives_whole_units(write_plan):
    """Whole units: a = 73 needs 4b >= 270, b = 68 (power 9.125 + 0.85 = 9.975 MW <= 10);
    a = 74 would leave b = 65 and 10.06 MW (too much), a = 72 costs more.
    Cost 73 x 310,950 + 68 x 201,095 = $36,373,810."""
    run = solve_plan(write_plan(min_cost_plan()), integer=True)
    assert units(run, "alpha") == 73
    assert units(run, "beta") == 68
    assert run.result.objective_value == pytest.approx(36_373_810, rel=1e-6)


def test_whole_units_under_a_budget_are_proven_by_branch_and_bound(write_plan):
    """test_budget_bound in whole units. The LP buys 321.595 alpha (3,215.95 PFLOPS). Rounding
    keeps 321 alpha ($99,814,950; the $185,050 left buys no alpha at $310,950 nor beta at
    $201,095): 3,210 PFLOPS, 0.185% below the LP's bound, more than the 0.1% target. So HiGHS's
    branch and bound runs from it and proves it best (320 alpha + 1 beta: 3,204). The gap to the
    proven bound is within 0.1%; the LP's bound stays what `--continuous` gives."""
    plan = base_plan(budget=[{"year": 2026, "limit_usd": "$100M"}])
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    path = write_plan(plan)
    whole = solve_plan(path, integer=True)
    assert units(whole, "alpha") == 321
    assert units(whole, "beta") == 0
    assert whole.compute_pflops_quarters == pytest.approx(3210, rel=1e-9)
    assert whole.result.whole_method == "branch and bound"
    assert whole.result.gap is not None
    assert whole.result.gap <= 1e-3
    lp = solve_plan(path)
    assert lp.compute_pflops_quarters == pytest.approx(1e9 / ALPHA_QUARTER_USD, rel=1e-6)


def test_whole_modules_are_rounded_and_repaired_without_a_search(write_plan):
    """Phasing plan whole: see test_phasing_power_availability_and_lead_time for the LP; the
    search rounds and repairs, stating a gap of at most 0.1%, and every unit and module is whole."""
    run = solve_plan(write_plan(phasing_plan()), integer=True)
    allocation = run.tables.allocation
    assert (allocation["units"] == allocation["units"].round()).all()
    assert run.result.gap is not None
    assert run.result.gap <= 1e-3


def test_large_modules_are_searched_when_the_lp_bound_is_loose():
    """Louisiana's halls come in large modules, so the LP's bound is loose: it builds fractions of
    them, and no whole plan comes within 1% of it (its objective is ~17.44M PFLOPS-quarters, the
    whole plan ~17.22M). Rounding the LP's modules leaves a gap above the 0.1% target, so the modules
    alone are searched (whole modules, fractional units): a relaxation of the whole problem whose
    proven bound is below the LP's. The plan made from its modules is within 0.1% of that bound."""
    from planner.answers.run import Options, load, optimize  # noqa: PLC0415
    from planner.model.whole import MODULES_SEARCHED  # noqa: PLC0415
    from tests.conftest import REPO, shipped_run  # noqa: PLC0415

    whole = shipped_run("louisiana")
    options = Options(integer=False, resolve_steps=False)
    lp = optimize(load(REPO / "sites" / "louisiana.yaml", None, options), options)
    assert whole.result.whole_method == MODULES_SEARCHED
    bound, value = whole.result.best_bound, whole.result.objective_value
    assert bound is not None
    assert bound < lp.result.objective_value * 0.99  # the LP's bound is more than 1% above
    assert value <= bound
    assert whole.result.gap is not None
    assert whole.result.gap <= 1e-3
    allocation = whole.tables.allocation
    assert (allocation["units"] == allocation["units"].round()).all()


def test_steps_of_a_searched_plan_are_worth_what_the_what_if_returns():
    """Louisiana's whole units need a search (its modules), and so does each step: its top steps are
    re-solved by that same search, so "would add" is exactly what the what-if with that change
    returns: $1B more capex in 2027 adds 432 EFLOPS-quarters. (Re-solved in the LP relaxation, the
    step came out another number than the what-if's; 434 against 472 before generation was built in
    whole units.) The marginal value misleads most on Rubin Ultra's supply in 2030Q1: 738
    EFLOPS-quarters at the margin (its dual x 1,000 units), 13 re-solved, because the step runs into
    the budget."""
    from planner.answers.explain import RESOLVED  # noqa: PLC0415
    from planner.answers.run import Options, optimize  # noqa: PLC0415
    from planner.api import load_plan  # noqa: PLC0415
    from planner.api.plans import loaded_of  # noqa: PLC0415
    from tests.conftest import REPO  # noqa: PLC0415

    options = Options(risks=False)
    plan = load_plan(REPO / "sites" / "louisiana.yaml")
    run = optimize(loaded_of(plan), options)
    table = run.tables.constraints
    solved = table[table["solved_step_value"].notna()]
    assert len(solved) >= 5
    assert set(solved["step_value_method"]) == {RESOLVED}
    capex = solved[solved["name"] == "capex_budget__2027__2027"].iloc[0]
    assert "would add" in capex["sentence"]
    changed = optimize(loaded_of(plan.with_overrides({"budget.2027.capex_limit_usd": "$9B"})),
                       Options(risks=False, resolve_steps=False))
    gain = changed.result.objective_value - run.result.objective_value
    assert capex["solved_step_value"] == pytest.approx(gain, rel=1e-9)
    assert gain == pytest.approx(432_120, rel=0.01)
    rubin = table[table["name"] == "supply__rubin_ultra_nvl576__2030Q1"].iloc[0]
    assert rubin["step_value"] == pytest.approx(738_259, rel=1e-3)


@needs_cbc
def test_highs_and_cbc_agree(write_plan):
    path = write_plan(min_cost_plan())
    highs = solve_plan(path, solver="highs")
    cbc = solve_plan(path, solver="cbc")
    assert cbc.result.solver.name == "CBC"
    assert cbc.result.objective_value == pytest.approx(highs.result.objective_value, rel=1e-7)


def phasing_plan() -> dict:
    """Four quarters: grid 1 MW, then 10 MW from 2026Q3; no hall space until a tent module
    (5 MW IT, started 2026Q1 at the earliest, 1 quarter lead) is ready; alpha from 2026Q2."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q4"})
    site = plan["sites"][0]
    site["power_sources"][0]["phases"] = [
        {"online": "2026Q1", "available_mw": 1}, {"online": "2026Q3", "available_mw": 10},
    ]
    site["halls"] = [{
        "id": "tents", "kind": "tent", "cooling": ["air", "liquid"], "max_rack_kw": 200,
        "module_it_mw": 5, "module_capex_usd": "$10M", "lead_quarters": 1, "max_modules": 1,
        "first_module_start": "2026Q1", "backup": "none", "availability": 0.9,
    }]
    plan["catalog"] = [{
        "id": "alpha", "name": "Alpha, late", "vendor": "nvidia", "ecosystem": "cuda", "unit": "rack",
        "accelerators_per_unit": 10, "unit_it_kw": 100, "rack_kw": 100, "bf16_pflops": 1.0, "utilisation": 1.0,
        "fp8_pflops": 2.0, "hbm_gb": 100, "unit_price_usd": 300_000, "first_available": "2026Q2",
        "cooling": "liquid", "workloads": ["training", "inference"],
    }]
    plan["policy"] = {"exclude": ["beta"]}
    return plan


def test_phasing_power_availability_and_lead_time(write_plan):
    """2026Q1: no hall is ready (module lead 1) and alpha is not yet available: nothing.
    2026Q2: 1 MW / 1.25 = 0.8 MW IT -> 8 alpha units. 2026Q3-Q4: the 5 MW module is the limit
    (8 MW IT of power) -> 50 units. Tents deliver 90% (no backup): 50 x 10 x 0.9 = 450 PFLOPS.
    The module is built just in time: 0.16 of it (0.8 MW) is ready for 2026Q2, the rest starts
    then for 2026Q3, as a later start leaves more of its value at the horizon's end."""
    run = solve_plan(write_plan(phasing_plan()))
    assert units(run, "alpha", "2026Q1") == pytest.approx(0, abs=1e-9)
    assert units(run, "alpha", "2026Q2") == pytest.approx(8)
    assert units(run, "alpha", "2026Q3") == pytest.approx(50)
    new = run.result.solution.new
    assert all(t >= 1 for (_, _, _, t), n in new.items() if n > 1e-9)
    assert float(run.tables.compute["training_pflops"].iloc[2]
                 + run.tables.compute["inference_pflops"].iloc[2]) == pytest.approx(450)
    modules = run.result.solution.mod
    assert sum(modules.values()) == pytest.approx(1)
    sites = run.tables.sites.set_index("period")
    assert sites.loc["2026Q1", "hall_ready_mw"] == 0
    assert sites.loc["2026Q2", "hall_ready_mw"] == pytest.approx(0.8)
    assert sites.loc["2026Q3", "hall_ready_mw"] == pytest.approx(5)


def test_gas_plant_online_later_limits_before(write_plan):
    """A second source online in 2026Q3 (gas, 20 MW): before it, only the grid's 10 MW."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q4"},
                     budget=[{"year": 2026, "limit_usd": "$10B"}])
    plan["sites"][0]["power_sources"].append({
        "id": "gas", "kind": "gas", "phases": [{"online": "2026Q3", "available_mw": 20}],
        "energy_usd_per_mwh": 30,
    })
    run = solve_plan(write_plan(plan))
    sites = run.tables.sites.set_index("period")
    assert sites.loc["2026Q2", "power_used_mw"] == pytest.approx(10)
    assert sites.loc["2026Q2", "source_gas_used_mw"] == 0
    assert sites.loc["2026Q3", "power_used_mw"] == pytest.approx(30)
    # Gas is cheaper, so the tie-break dispatches all of it before the grid.
    assert sites.loc["2026Q3", "source_gas_used_mw"] == pytest.approx(20)


def test_verifier_catches_a_broken_plan(write_plan):
    """The re-check is independent of the solver: more units than the power allows must fail."""
    run = solve_plan(write_plan(base_plan()))
    solution = run.result.solution
    broken_new = {key: value * 1.01 for key, value in solution.new.items()}
    broken = type(solution)(**{**solution.__dict__, "new": broken_new})
    families = {v.family for v in verify(run.plan, broken)}
    assert "site_power" in families
    assert ledger(run.plan, broken).site_it_mw[0, 0] == pytest.approx(8.08)
