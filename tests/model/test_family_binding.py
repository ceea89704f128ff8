"""Limit families binding in plans small enough to solve on paper (firm power, cooling and
commissioning have their own modules beside this one).

The site and catalog are those of tests/model/test_optimize.py (tests/data/one-quarter.yaml and
tests/data/catalog-small.yaml): PUE 1.25, grid 10 MW at $40/MWh, 100 MW of hall space, a $1B
budget for 2026; a quarter is 2,190 h.
- alpha (nvidia, cuda): 0.1 MW IT (0.125 MW facility), 10 BF16 PFLOPS, $300k a unit;
- beta (amd, rocm): 0.01 MW IT (0.0125 MW facility), 4 BF16 PFLOPS, $200k a unit.
Per facility MW alpha gives 80 PFLOPS and beta 320, so beta wins where power binds; per dollar
(with a quarter's energy: alpha $310,950, beta $201,095) alpha wins where money binds.

Each test reads its family's row from `run.tables.constraints` (the table behind
constraints.csv) by family, key and period, never by LP row name. Its `shadow_price` is the
change of the objective per unit of the row's right-hand side, in the objective's own sense:
under max-compute (PFLOPS-quarters) a binding `<=` row has a positive price and a binding `>=`
row a negative one; under min-cost (USD) the other way round. `step_value` is |price| x the
family's step ($1B, 1,000 units, 100 MW, one share point).

Max-compute's objective also holds two tie-breaks (planner/build.py): -1e-9 per dollar spent and
+1e-6 x the PFLOPS assigned to training. They move a max-compute price by about 5e-5 of its
value (a beta unit's objective worth is 4 x (1 + 1e-6) - 1e-9 x $201,095 = 3.99980, not 4), so
those prices are asserted to rel=1e-3. Min-cost's only tie-break (1e-15 per training PFLOPS)
is far below any tolerance, so its prices are asserted as exact.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from planner.answers.run import Options, RunResult, load, objective_of, optimize
from planner.answers.verify import verify
from tests.conftest import SMALL_CATALOG, base_plan

ALPHA_QUARTER_USD = 300_000 + 0.1 * 1.25 * 2190 * 40  # $310,950: the unit and a quarter's energy
BETA_QUARTER_USD = 200_000 + 0.01 * 1.25 * 2190 * 40  # $201,095
TIE_BREAK = 1e-3
"""Relative tolerance of a max-compute price or objective: covers the tie-breaks (~5e-5)."""


def solve_plan(path: Path, **options: object) -> RunResult:
    """The plan solved as an LP unless the test asks for whole units (`integer=True`): the optima
    in the docstrings are worked out on paper in continuous arithmetic."""
    chosen = Options(**{"integer": False, **options})  # type: ignore[arg-type]
    return optimize(load(path, SMALL_CATALOG, chosen), chosen)


def units(run: RunResult, accelerator: str, period: str | None = None, column: str = "units") -> float:
    """Units of `accelerator` in service (or, with column="new_units", installed) in `period`."""
    table = run.tables.allocation
    rows = table[(table["accelerator"] == accelerator) & (table["period"] == (period or run.plan.periods[-1]))]
    return float(rows[column].sum())


def limit(run: RunResult, family: str, key: str, period: str) -> pd.Series:
    """The one row of the constraints table for this family, key and period."""
    table = run.tables.constraints
    rows = table[(table["family"] == family) & (table["key"] == key) & (table["period"] == period)]
    assert len(rows) == 1, table[["family", "key", "period"]].to_string()
    return rows.iloc[0]


def assert_binds(row: pd.Series) -> None:
    assert bool(row["binding"]), row.to_dict()
    assert row["lhs"] == pytest.approx(row["rhs"], rel=1e-9, abs=1e-6)
    assert row["slack"] == pytest.approx(0, abs=1e-6)


def assert_verified(run: RunResult, family: str, broken: dict[str, dict]) -> None:
    """The run was re-checked with no violation, `verify` agrees, and it catches the family
    once the solution is pushed past the limit (`broken`: the solution's fields replaced)."""
    assert run.violations == []
    solution = run.result.solution
    assert verify(run.plan, solution) == []
    families = {v.family for v in verify(run.plan, dataclasses.replace(solution, **broken))}
    assert family in families


def scaled(values: dict, factor: float, chosen: str | None = None) -> dict:
    """`values` times `factor`: all of them, or only the `new` entries of accelerator `chosen`."""
    return {key: value * (factor if chosen is None or key[2] == chosen else 1.0) for key, value in values.items()}


def test_commitment_min_binds_under_power(write_plan):
    """At least $6M with NVIDIA (alpha): 300,000 a >= 6e6, so a = 20 (alpha is the worse buy
    where power binds). Power: 0.125 x 20 + 0.0125 b = 10, b = 600. Compute 200 + 2,400 = 2,600
    PFLOPS-quarters (3,200 with no commitment).
    One more committed dollar buys 1/300,000 alpha and, for its 0.125 MW, 10x as many fewer beta:
    (10 - 10 x 4) / 300,000 = -1e-4 PFLOPS-quarters per $ (a `>=` row under max-compute:
    negative), 100,000 per $1B. Power's price is beta's: 4 / 0.0125 = 320 per MW."""
    plan = base_plan(policy={"commitments": [{"vendor": "nvidia", "min_usd": "$6M"}]})
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha") == pytest.approx(20)
    assert units(run, "beta") == pytest.approx(600)
    assert objective_of(run.plan, run.result).value == pytest.approx(2600)
    assert run.result.objective_value == pytest.approx(2600, rel=TIE_BREAK)
    row = limit(run, "commitment_min", "nvidia", "all")
    assert_binds(row)
    assert row["sense"] == ">="
    assert row["rhs"] == pytest.approx(6e6)
    assert row["shadow_price"] == pytest.approx(-1e-4, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(100_000, rel=TIE_BREAK)
    assert limit(run, "power", "lab.grid", "2026Q1")["shadow_price"] == pytest.approx(320, rel=TIE_BREAK)
    assert_verified(run, "commitment_min", {"new": scaled(run.result.solution.new, 0.99, "alpha")})


def test_commitment_max_binds_under_min_cost(write_plan):
    """Min-cost, 1 EFLOPS of training under 10 MW (tests/test_optimize.py: a = 73.33, b = 66.67,
    $36,209,333.33), with at most $15M for NVIDIA: a = 15e6 / 300,000 = 50, and beta makes up
    the rest, b = (1,000 - 500) / 4 = 125 (power 6.25 + 1.5625 = 7.8125 MW, slack).
    Cost 50 x 310,950 + 125 x 201,095 = 15,547,500 + 25,136,875 = $40,684,375.
    One more allowed dollar buys 1/300,000 alpha, replacing 10 / 4 = 2.5x as many beta:
    (310,950 - 2.5 x 201,095) / 300,000 = -191,787.5 / 300,000 = -0.639292 USD per USD
    (a `<=` row under min-cost: negative), $639.29M per $1B. Demand's price is beta's cost of a
    PFLOPS, 201,095 / 4 = $50,273.75. No tie-break at this scale: exact."""
    plan = base_plan(objective="min-cost", demand={"training": [{"from": "2026Q1", "pflops": "1 EFLOPS"}]},
                     residual_value="none",  # whole costs, as above (the residual value: test_money.py)
                     policy={"commitments": [{"vendor": "nvidia", "max_usd": "$15M"}]})
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha") == pytest.approx(50)
    assert units(run, "beta") == pytest.approx(125)
    assert run.result.objective_value == pytest.approx(50 * ALPHA_QUARTER_USD + 125 * BETA_QUARTER_USD, rel=1e-9)
    assert run.result.objective_value == pytest.approx(40_684_375, rel=1e-9)
    row = limit(run, "commitment_max", "nvidia", "all")
    assert_binds(row)
    assert row["sense"] == "<="
    expected = (ALPHA_QUARTER_USD - 2.5 * BETA_QUARTER_USD) / 300_000
    assert expected == pytest.approx(-0.639292, rel=1e-6)
    assert row["shadow_price"] == pytest.approx(expected, rel=1e-6)
    assert row["step_value"] == pytest.approx(-expected * 1e9, rel=1e-6)
    assert limit(run, "demand", "training", "2026Q1")["shadow_price"] == pytest.approx(BETA_QUARTER_USD / 4, rel=1e-6)
    assert not bool(limit(run, "power", "lab.grid", "2026Q1")["binding"])
    assert_verified(run, "commitment_max", {"new": scaled(run.result.solution.new, 1.01, "alpha")})


def test_commitment_max_binds_under_max_compute(write_plan):
    """Max-compute with at most $100M for AMD (beta, the better buy where power binds):
    b = 1e8 / 200,000 = 500 (6.25 MW facility), alpha fills the other 3.75 MW: a = 30.
    Compute 300 + 2,000 = 2,300 PFLOPS-quarters. One more allowed dollar buys 1/200,000 beta,
    whose 0.0125 MW displaces a tenth as many alpha: (4 - 0.1 x 10) / 200,000 = 1.5e-5 per $
    (a `<=` row under max-compute: positive), 15,000 per $1B. Power's price is now alpha's,
    10 / 0.125 = 80 per MW."""
    plan = base_plan(policy={"commitments": [{"vendor": "amd", "max_usd": "$100M"}]})
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(500)
    assert units(run, "alpha") == pytest.approx(30)
    assert objective_of(run.plan, run.result).value == pytest.approx(2300)
    row = limit(run, "commitment_max", "amd", "all")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(1.5e-5, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(15_000, rel=TIE_BREAK)
    assert limit(run, "power", "lab.grid", "2026Q1")["shadow_price"] == pytest.approx(80, rel=TIE_BREAK)
    assert_verified(run, "commitment_max", {"new": scaled(run.result.solution.new, 1.01, "beta")})


@pytest.mark.parametrize("group", [{"ecosystem": "rocm"}, {"vendor": "amd"}], ids=["ecosystem", "vendor"])
def test_share_max_binds_under_power(write_plan, group):
    """ROCm (or AMD: the same part, beta) at most half the BF16 compute: 4b <= 0.5 (10a + 4b),
    i.e. the row 2b - 5a <= 0. Power 0.125a + 0.0125b <= 10; beta is better per MW, so
    b = 2.5a: 0.15625a = 10, a = 64, b = 160, compute 640 + 640 = 1,280 (3,200 unbounded).
    With the row's right-hand side r: b = (r + 5a) / 2, so 0.15625a + 0.00625r = 10,
    a = 64 - 0.04r, b = 160 + 0.4r, compute 1,280 + 1.2r: price +1.2 (a `<=` row under
    max-compute) per PFLOPS of the row. One share point is 1% of the 1,280 PFLOPS in service,
    12.8 x 1.2 = 15.36 PFLOPS-quarters. Power's price: 20a = 20 x P / 0.15625 = 128 per MW."""
    kind, name = next(iter(group.items()))
    run = solve_plan(write_plan(base_plan(policy={"shares": [{**group, "max_share": 0.5}]})))
    assert units(run, "alpha") == pytest.approx(64)
    assert units(run, "beta") == pytest.approx(160)
    assert objective_of(run.plan, run.result).value == pytest.approx(1280)
    compute = run.tables.compute.iloc[0]
    assert compute["bf16_pflops_amd"] == pytest.approx(0.5 * compute["bf16_pflops_in_service"])
    row = limit(run, "share_max", name, "2026Q1")
    assert row[kind] == name  # the key's structured field: vendor or ecosystem
    assert_binds(row)
    assert row["sense"] == "<="
    assert row["shadow_price"] == pytest.approx(1.2, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(15.36, rel=TIE_BREAK)
    assert limit(run, "power", "lab.grid", "2026Q1")["shadow_price"] == pytest.approx(128, rel=TIE_BREAK)
    assert_verified(run, "share_max", {"new": scaled(run.result.solution.new, 1.01, "beta")})


def test_share_max_binds_under_budget(write_plan):
    """NVIDIA (alpha, the better buy where money binds) at most half the BF16 compute, with
    $100M and 100 MW (money binds, as in tests/test_optimize.py's budget test: 321.6 alpha alone).
    Row: 10a - 0.5 (10a + 4b) = 5a - 2b <= r, so b = (5a - r) / 2. Budget:
    310,950a + 201,095 (5a - r) / 2 = 1e8, a = (1e8 + 100,547.5r) / 813,687.5: at r = 0
    a = 122.8973, b = 307.2433, compute 10a + 4b = 20a = 2,457.95 PFLOPS-quarters.
    Price: d(20a - 2r)/dr = 20 x 100,547.5 / 813,687.5 - 2 = +0.471403 per PFLOPS of the row;
    a point is 1% of 2,457.95 in service: 24.5795 x 0.471403 = 11.587 PFLOPS-quarters.
    Budget's price: 20 / 813,687.5 per $ = 24,579.5 per $1B."""
    plan = base_plan(budget=[{"year": 2026, "limit_usd": "$100M"}],
                     policy={"shares": [{"vendor": "nvidia", "max_share": 0.5}]})
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    run = solve_plan(write_plan(plan))
    per_alpha_usd = ALPHA_QUARTER_USD + 2.5 * BETA_QUARTER_USD  # 813,687.5 for one alpha and 2.5 beta
    a = 1e8 / per_alpha_usd
    assert a == pytest.approx(122.8973, rel=1e-6)
    assert units(run, "alpha") == pytest.approx(a, rel=1e-6)
    assert units(run, "beta") == pytest.approx(2.5 * a, rel=1e-6)
    assert objective_of(run.plan, run.result).value == pytest.approx(20 * a, rel=1e-6)
    assert float(run.tables.budget["total_usd"].iloc[0]) == pytest.approx(1e8, rel=1e-9)
    row = limit(run, "share_max", "nvidia", "2026Q1")
    assert_binds(row)
    price = 20 * 0.5 * BETA_QUARTER_USD / per_alpha_usd - 2
    assert price == pytest.approx(0.471403, rel=1e-5)
    assert row["shadow_price"] == pytest.approx(price, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(price * 0.01 * 20 * a, rel=TIE_BREAK)
    budget = limit(run, "budget", "2026", "2026")
    assert_binds(budget)
    assert budget["step_value"] == pytest.approx(20 / per_alpha_usd * 1e9, rel=TIE_BREAK)
    assert not bool(limit(run, "power", "lab.grid", "2026Q1")["binding"])
    assert_verified(run, "share_max", {"new": scaled(run.result.solution.new, 1.01, "alpha")})


def test_min_units_binds_from_its_quarter(write_plan):
    """Two quarters at 10 MW; at least 20 alpha in service by 2026Q2 (so a row for 2026Q2 only).
    Nothing retires and units stay in service, so alpha bought in 2026Q2 would need room that
    beta bought in 2026Q1 already holds: the 20 alpha are bought in 2026Q1 (they deliver in both
    quarters), with b = (10 - 2.5) / 0.0125 = 600 beta. Compute (200 + 2,400) x 2 = 5,200
    PFLOPS-quarters (6,400 with no minimum).
    One more required unit: 1 alpha more and 10 beta fewer from 2026Q1, -30 in each quarter:
    price -60 PFLOPS-quarters per unit (a `>=` row under max-compute), 60,000 per 1,000 units.
    The power rows are degenerate (nothing is bought in 2026Q2, yet its power binds): their
    prices are not unique, but beta in service in both quarters fixes their sum,
    8 PFLOPS-quarters / 0.0125 MW = 640 per MW."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q2"},
                     policy={"min_units": [{"accelerator": "alpha", "units": 20, "by": "2026Q2"}]})
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha", "2026Q1", "new_units") == pytest.approx(20)
    assert units(run, "beta", "2026Q1", "new_units") == pytest.approx(600)
    assert units(run, "alpha", "2026Q2", "new_units") == pytest.approx(0, abs=1e-6)
    assert units(run, "beta", "2026Q2", "new_units") == pytest.approx(0, abs=1e-6)
    assert units(run, "alpha", "2026Q2") == pytest.approx(20)
    assert objective_of(run.plan, run.result).value == pytest.approx(5200)
    table = run.tables.constraints
    assert list(table[table["family"] == "min_units"]["period"]) == ["2026Q2"]
    row = limit(run, "min_units", "alpha", "2026Q2")
    assert_binds(row)
    assert row["sense"] == ">="
    assert row["rhs"] == pytest.approx(20)
    assert row["shadow_price"] == pytest.approx(-60, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(60_000, rel=TIE_BREAK)
    power = sum(limit(run, "power", "lab.grid", period)["shadow_price"] for period in ("2026Q1", "2026Q2"))
    assert power == pytest.approx(640, rel=TIE_BREAK)
    assert_verified(run, "min_units", {"new": scaled(run.result.solution.new, 0.99, "alpha")})


def test_expansion_binds(write_plan):
    """Two quarters; beside the 10 MW grid, a gas plant the plan may build: at most 20 MW, $1,000
    per kW, one quarter from start to power, startable from 2026Q1, energy $30/MWh.
    2026Q1: grid only, 8 MW IT = 800 beta (3,200). The plant, started in 2026Q1, is all built
    (20 MW, $20M) and runs from 2026Q2: 30 MW facility, 24 MW IT = 2,400 beta (9,600).
    Compute 12,800 PFLOPS-quarters; spend 480M (beta) + 20M (plant) + 2 x 876,000 (grid) +
    1,314,000 (gas) = $503.066M, below $1B.
    One more buildable MW: 0.8 MW IT, 80 beta, 320 PFLOPS-quarters in 2026Q2, less the tie-break
    on its cost (1e-9 x ($1M + 80 x $200k + energy) = 0.017): price +320 per MW
    (a `<=` row under max-compute), 32,000 per 100 MW."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q2"})
    plan["sites"][0]["power_sources"].append({
        "id": "gas", "kind": "gas", "energy_usd_per_mwh": "$30/MWh",
        "expansion": {"max_mw": "20 MW", "capex_usd_per_kw": "$1000/kW", "lead_quarters": 1,
                      "first_start": "2026Q1"},
    })
    run = solve_plan(write_plan(plan))
    assert run.result.solution.gen == {(0, 1, 0): pytest.approx(20)}
    assert units(run, "beta", "2026Q1") == pytest.approx(800)
    assert units(run, "beta", "2026Q2") == pytest.approx(2400)
    assert units(run, "alpha", "2026Q2") == pytest.approx(0, abs=1e-6)
    assert objective_of(run.plan, run.result).value == pytest.approx(12_800)
    sites = run.tables.sites.set_index("period")
    assert sites.loc["2026Q1", "source_gas_used_mw"] == pytest.approx(0, abs=1e-6)
    assert sites.loc["2026Q2", "source_gas_used_mw"] == pytest.approx(20)
    assert sites.loc["2026Q2", "power_used_mw"] == pytest.approx(30)
    budget = run.tables.budget.iloc[0]
    assert budget["capex_generation_usd"] == pytest.approx(20e6)
    assert budget["total_usd"] == pytest.approx(503_066_000)
    row = limit(run, "expansion", "lab.gas", "all")
    assert_binds(row)
    assert row["sense"] == "<="
    assert row["rhs"] == pytest.approx(20)
    assert row["shadow_price"] == pytest.approx(320, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(32_000, rel=TIE_BREAK)
    assert_verified(run, "expansion", {"gen": scaled(run.result.solution.gen, 1.01)})


def test_hall_space_binds(write_plan):
    """5 MW of hall (power would allow 8 MW of IT): 0.01 b <= 5, b = 500, compute 2,000. One more
    MW of hall is 100 more beta: 400 PFLOPS-quarters per MW, 40,000 per 100 MW."""
    plan = base_plan()
    plan["sites"][0]["halls"][0]["existing_it_mw"] = 5
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(500)
    row = limit(run, "hall", "lab.hall", "2026Q1")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(400, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(40_000, rel=TIE_BREAK)
    assert not bool(limit(run, "power", "lab.grid", "2026Q1")["binding"])
    assert_verified(run, "hall", {"new": scaled(run.result.solution.new, 1.01)})


def test_modules_bind(write_plan):
    """No hall yet; up to 2 modules of 2 MW of IT, ready in the quarter they start: 0.01 b <= 4,
    b = 400, compute 1,600. One more module is 200 more beta: 800 PFLOPS-quarters."""
    plan = base_plan()
    plan["sites"][0]["halls"][0].update(existing_it_mw=0, module_it_mw=2, max_modules=2, module_capex_usd=0,
                                        lead_quarters=0, first_module_start="2026Q1")
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(400)
    row = limit(run, "modules", "lab.hall", "all")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(800, rel=TIE_BREAK)
    assert_verified(run, "modules", {"mod": scaled(run.result.solution.mod, 1.5)})


def test_supply_binds(write_plan):
    """At most 300 beta: then alpha takes the rest of the power, (10 - 3.75) / 0.125 = 50, compute
    1,200 + 500 = 1,700. One more beta gives 4 and displaces 0.1 alpha (1): 3 PFLOPS-quarters,
    3,000 per 1,000 units."""
    run = solve_plan(write_plan(base_plan(supply=[{"accelerator": "beta", "units_per_quarter": 300}])))
    assert (units(run, "beta"), units(run, "alpha")) == pytest.approx((300, 50))
    row = limit(run, "supply", "beta", "2026Q1")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(3, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(3000, rel=TIE_BREAK)
    assert_verified(run, "supply", {"new": scaled(run.result.solution.new, 1.01, "beta")})


def test_share_min_binds_under_power(write_plan):
    """NVIDIA (alpha) at least half the BF16 compute: 10a >= 0.5 (10a + 4b), the row
    5a - 2b >= r. With power, a = 64 + 0.04 r and b = 160 - 0.4 r: compute 1,280 - 1.2 r, so
    the price is -1.2 (a `>=` row under max-compute). A point is 1% of the 1,280 in service:
    12.8 x 1.2 = 15.36 PFLOPS-quarters."""
    run = solve_plan(write_plan(base_plan(policy={"shares": [{"vendor": "nvidia", "min_share": 0.5}]})))
    assert (units(run, "alpha"), units(run, "beta")) == pytest.approx((64, 160))
    row = limit(run, "share_min", "nvidia", "2026Q1")
    assert_binds(row)
    assert row["sense"] == ">="
    assert row["shadow_price"] == pytest.approx(-1.2, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(15.36, rel=TIE_BREAK)
    assert_verified(run, "share_min", {"new": scaled(run.result.solution.new, 1.5, "beta")})
