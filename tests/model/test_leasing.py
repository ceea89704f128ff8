"""Halls and plants leased from a partner (limit 13, money): a leased hall module or expansion
pays rent as opex, a quarter of its yearly rate per MW, from the quarter it is ready to the
horizon's end; it has no capex and no residual value. A leased hall type's existing MW pays
rent in every quarter (a constant).

Solved on paper with the site and catalog of tests/model/test_family_binding.py (quarters of
2,190 h, PUE 1.25, energy at $40/MWh; alpha $300k for 10 PFLOPS and 0.1 MW IT, beta $200k
for 4 PFLOPS and 0.01 MW IT). A quarter's energy per MW of IT: 1.25 x 2,190 x 40 = $109,500.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.answers.accounting import ledger, residual_value_usd
from planner.answers.run import objective_of
from planner.cli import app
from tests.conftest import REPO, SMALL_CATALOG, base_plan
from tests.model.test_family_binding import TIE_BREAK, assert_binds, assert_verified, limit, scaled, solve_plan, units

ENERGY_USD_PER_IT_MW_QUARTER = 1.25 * 2190 * 40  # $109,500


def _hall(hall_id: str, **money: object) -> dict:
    """A hall type of 1 MW modules, ready a quarter after they are started, and nothing else."""
    return {"id": hall_id, "kind": "building", "cooling": ["air", "liquid"], "max_rack_kw": 200,
            "module_it_mw": 1, "lead_quarters": 1, "max_modules": 5, **money}


def _build_or_lease_plan(residual_value: str) -> dict:
    """Four quarters of 2026, min-cost, 100 PFLOPS of training from 2026Q2 (10 alpha, 1 MW IT),
    no hall space but what the plan adds: a module built for $10M, or one leased at $2M per MW
    a year; either started in 2026Q1 is ready for 2026Q2."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q4"}, objective="min-cost",
                     residual_value=residual_value, policy={"allow": ["alpha"]},
                     demand={"training": [{"from": "2026Q2", "pflops": 100}]})
    plan["sites"][0]["halls"] = [_hall("built", module_capex_usd="$10M"),
                                 _hall("leased", lease_usd_per_mw_year="$2M")]
    return plan


def _leased_plant_plan() -> dict:
    """Four quarters, min-cost, 100 PFLOPS of training from 2026Q2 (10 alpha: 1 MW IT, 1.25 MW
    facility), 100 MW of owned halls, and no power but a gas plant a partner builds and leases
    at $100/kW a year ($25,000 per MW a quarter), online a quarter after it is started."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q4"}, objective="min-cost", policy={"allow": ["alpha"]},
                     demand={"training": [{"from": "2026Q2", "pflops": 100}]})
    plan["sites"][0]["power_sources"] = [{
        "id": "plant", "kind": "gas", "energy_usd_per_mwh": "$40/MWh",
        "expansion": {"max_mw": "10 MW", "lease_usd_per_kw_year": "$100/kW", "lead_quarters": 1}}]
    return plan


def test_a_leased_module_is_cheaper_than_a_built_one_over_a_short_horizon(write_plan):
    """Whole costs (no residual value): the module is needed from 2026Q2 to 2026Q4, three
    quarters. Built: $10M. Leased: 1 MW x $2M / 4 = $500k a quarter x 3 = $1.5M (building
    pays only after 5 years). So the plan leases one module and builds none.
    Objective: 10 alpha x $300k = $3M (bought in 2026Q2, when the hall is ready)
    + energy 3 x $109,500 = $328,500 + rent $1.5M = $4,828,500.
    2026's opex: $328,500 + $1,500,000 = $1,828,500; capex $3M, none of it for halls."""
    run = solve_plan(write_plan(_build_or_lease_plan("none")))
    mod = run.result.solution.mod
    assert mod[0, 1, 0] == pytest.approx(1.0)  # the leased hall type's module, started 2026Q1
    assert sum(n for (_, h, _), n in mod.items() if h == 0) == pytest.approx(0, abs=1e-9)
    assert units(run, "alpha") == pytest.approx(10)
    assert objective_of(run.plan, run.result).value == pytest.approx(4_828_500, rel=1e-9)
    books = ledger(run.plan, run.result.solution)
    assert [books.opex_usd.get((t, "hall_lease"), 0.0) for t in range(4)] == pytest.approx([0, 5e5, 5e5, 5e5])
    budget = run.tables.budget.iloc[0]
    assert budget["opex_hall_lease_usd"] == pytest.approx(1_500_000)
    assert budget["opex_usd"] == pytest.approx(1_828_500)
    assert (budget["capex_usd"], budget["capex_modules_usd"]) == pytest.approx((3_000_000, 0))
    assert run.violations == []


def test_a_leased_module_keeps_no_residual_value(write_plan):
    """The same plan, net of the straight-line residual value: the built module serves 3 of its
    60 quarters and keeps 57/60 of $10M, so it costs $500k net against the lease's $1.5M, which
    leaves nothing behind. The plan builds. Objective: alpha $3M x 3/20 = $450,000 + energy
    $328,500 + module $500,000 = $1,278,500; no rent."""
    run = solve_plan(write_plan(_build_or_lease_plan("straight-line")))
    mod = run.result.solution.mod
    assert mod[0, 0, 0] == pytest.approx(1.0)
    assert sum(n for (_, h, _), n in mod.items() if h == 1) == pytest.approx(0, abs=1e-9)
    assert objective_of(run.plan, run.result).value == pytest.approx(1_278_500, rel=1e-9)
    assert run.tables.budget.iloc[0]["opex_hall_lease_usd"] == pytest.approx(0, abs=1e-6)


def test_an_opex_limit_binds_on_leased_modules(write_plan):
    """One quarter, max-compute, no hall space but leased 1 MW modules at $4M per MW a year
    (lead 0: ready at once), $1M a quarter; opex at most $2,219,000 in 2026. An IT MW costs
    $1M of rent + $109,500 of energy = $1,109,500 of opex, so 2 MW: beta (400 PFLOPS per MW,
    alpha 100) fills them, 200 beta ($40M of capex, within the $1B total), 2 modules, compute
    800 PFLOPS-quarters (power, 2.5 MW of 10, is slack). One more dollar of opex: 400 /
    1,109,500 = 3.6052e-4 PFLOPS-quarters (a `<=` row under max-compute: positive)."""
    plan = base_plan(budget=[{"year": 2026, "limit_usd": "$1B", "opex_limit_usd": 2_219_000}])
    plan["sites"][0]["halls"][0].update(existing_it_mw=0, module_it_mw=1, max_modules=100, lead_quarters=0,
                                        lease_usd_per_mw_year="$4M")
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(200)
    assert units(run, "alpha") == pytest.approx(0, abs=1e-6)
    assert run.result.solution.mod[0, 0, 0] == pytest.approx(2)
    assert objective_of(run.plan, run.result).value == pytest.approx(800)
    budget = run.tables.budget.iloc[0]
    assert (budget["opex_hall_lease_usd"], budget["opex_energy_usd"]) == pytest.approx((2e6, 219_000))
    row = limit(run, "opex_budget", "2026", "2026")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(400 / 1_109_500, rel=TIE_BREAK)
    assert not bool(limit(run, "power", "lab.grid", "2026Q1")["binding"])
    assert_verified(run, "opex_budget", {"mod": scaled(run.result.solution.mod, 1.01)})


def test_a_leased_halls_existing_mw_pays_rent_every_quarter(write_plan):
    """The one-quarter site's 100 MW hall, leased at $40k per MW a year: $1M of rent in the
    quarter whatever the plan does, out of an opex limit of $1.5M; $500k is left for energy,
    which beta uses best ($1,095 a quarter for 4 PFLOPS): 500,000 / 1,095 = 456.6 beta, as
    tests/model/test_money.py's opex limit of $500k with no rent. Price 4 / 1,095 per $."""
    plan = base_plan(budget=[{"year": 2026, "opex_limit_usd": "$1.5M"}])
    plan["sites"][0]["halls"][0]["lease_usd_per_mw_year"] = "$40k"
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(500_000 / 1_095, rel=1e-6)
    budget = run.tables.budget.iloc[0]
    assert budget["opex_hall_lease_usd"] == pytest.approx(1e6)
    assert (budget["opex_usd"], budget["opex_limit_usd"]) == pytest.approx((1.5e6, 1.5e6))
    row = limit(run, "opex_budget", "2026", "2026")
    assert_binds(row)
    assert row["rhs"] == pytest.approx(500_000)  # the LP's row: the limit less the rent
    assert row["shadow_price"] == pytest.approx(4 / 1_095, rel=TIE_BREAK)
    assert_verified(run, "opex_budget", {"disp": scaled(run.result.solution.disp, 1.01)})


def test_a_leased_plant_pays_rent_from_the_quarter_it_is_online(write_plan):
    """1.25 MW of the leased plant, started in 2026Q1, online from 2026Q2: rent 1.25 x $25,000 =
    $31,250 a quarter in 2026Q2-Q4 ($93,750), none in 2026Q1, no capex and nothing left at the
    end. Objective: alpha $3M x 3/20 (net of its residual value) = $450,000 + energy
    3 x $109,500 = $328,500 + rent $93,750 = $872,250. The residual value is alpha's alone:
    $3M x 17/20 = $2.55M."""
    run = solve_plan(write_plan(_leased_plant_plan()))
    assert run.result.solution.gen[0, 0, 0] == pytest.approx(1.25)
    assert objective_of(run.plan, run.result).value == pytest.approx(872_250, rel=1e-9)
    books = ledger(run.plan, run.result.solution)
    assert [books.opex_usd.get((t, "generation_lease"), 0.0) for t in range(4)] == pytest.approx(
        [0, 31_250, 31_250, 31_250])
    assert sum(books.capex_usd.get((t, "generation"), 0.0) for t in range(4)) == pytest.approx(0, abs=1e-9)
    assert run.tables.budget.iloc[0]["opex_generation_lease_usd"] == pytest.approx(93_750)
    assert residual_value_usd(run.plan, run.result.solution) == pytest.approx(2_550_000)
    assert run.violations == []


@pytest.mark.parametrize("plan", [_build_or_lease_plan("none"), _leased_plant_plan()], ids=["hall", "plant"])
def test_the_linopy_peer_charges_the_same_leases(plan, write_plan):
    """bench/linopy_model.py builds the same LP: same size, same optimum."""
    pytest.importorskip("linopy")
    sys.path.insert(0, str(Path(REPO / "bench")))
    from linopy_model import build_linopy  # noqa: PLC0415

    from planner.model.build import build_model  # noqa: PLC0415
    from planner.model.solve import solve  # noqa: PLC0415

    run = solve_plan(write_plan(plan))
    peer = build_linopy(run.plan)
    peer.solve("highs", output_flag=False)
    model = build_model(run.plan)
    assert (peer.ncons, peer.nvars) == model.shape
    assert peer.objective.value == pytest.approx(solve(model).objective_value, rel=1e-9)


BAD = {
    # id: (change to the one-quarter plan's site, key named, words)
    "hall both": (lambda site: site["halls"][0].update(lease_usd_per_mw_year="$1.2M", module_capex_usd="$10M"),
                  "sites[0].halls[0]", "leave out `module_capex_usd` (found $10.0M a module)"),
    "expansion both": (lambda site: site["power_sources"][0].update(expansion={
        "max_mw": 10, "capex_usd_per_kw": "$1000/kW", "lease_usd_per_kw_year": "$100/kW", "lead_quarters": 1}),
                       "sites[0].power_sources[0].expansion", "`lease_usd_per_kw_year`"),
    "expansion neither": (lambda site: site["power_sources"][0].update(expansion={"max_mw": 10, "lead_quarters": 1}),
                          "sites[0].power_sources[0].expansion", "found neither"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_built_and_leased_at_once_is_refused(case, write_plan, tmp_path):
    change, key, words = BAD[case]
    plan = base_plan()
    change(plan["sites"][0])
    path = write_plan(plan)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["optimize", str(path), "--catalog", str(SMALL_CATALOG), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: {re.escape(key)}: ", result.output), result.output
    assert words in " ".join(result.output.split()), result.output
    assert not out.exists()
