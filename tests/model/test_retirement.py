"""Refresh and retirement (limit 12) and effective compute, solved on paper with the site of
tests/data/one-quarter.yaml (PUE 1.25, 10 MW of grid: 8 MW of IT) and the small catalog (alpha
10 PFLOPS and 0.1 MW a rack, $300k, liquid; beta 4 PFLOPS and 0.01 MW a server, $200k, air;
both at utilisation 1 and a 20-quarter life), over 2026Q1-2026Q4."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.answers.run import objective_of
from planner.answers.verify import verify
from tests.conftest import base_plan
from tests.model.test_family_binding import TIE_BREAK, solve_plan, units

YEAR = {"start": "2026Q1", "end": "2026Q4"}


def installed_plan(since: str, **overrides: object) -> dict:
    """80 alpha racks (8 MW: the grid is full) in service since `since`."""
    plan = base_plan(horizon=YEAR, **overrides)
    plan["sites"][0]["halls"][0]["installed"] = [{"accelerator": "alpha", "units": 80, "since": since}]
    return plan


def test_installed_units_retire_at_the_end_of_their_life(write_plan):
    """In service since 2021Q3 with a 20-quarter life: they serve 2026Q1 and Q2 (quarters 19 and
    20 of their life) and are gone from 2026Q3. With no capex allowed nothing replaces them:
    800 PFLOPS in each of two quarters, 1,600 PFLOPS-quarters."""
    plan = installed_plan("2021Q3", budget=[{"year": 2026, "limit_usd": "$1B", "capex_limit_usd": 0}])
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha", "2026Q2") == pytest.approx(80)
    assert units(run, "alpha", "2026Q3") == pytest.approx(0, abs=1e-9)
    assert objective_of(run.plan, run.result).value == pytest.approx(1_600, rel=TIE_BREAK)


def test_a_power_bound_campus_refreshes_when_it_pays(write_plan):
    """80 alpha since 2025Q1 fill the 8 MW of IT at 100 PFLOPS per MW; beta gives 400. Retiring
    them all in 2026Q1 and putting in 800 beta ($160M) gives 3,200 PFLOPS a quarter, 12,800
    over the year, against 800 x 4 = 3,200 kept. They sell at half their book value, 16 of 20
    quarters left: 80 x $300k x 0.8 x 0.5 = $9.6M; taking them out costs 2% of their price,
    80 x $6k = $480k (opex)."""
    run = solve_plan(write_plan(installed_plan("2025Q1")))
    assert objective_of(run.plan, run.result).value == pytest.approx(12_800, rel=TIE_BREAK)
    assert units(run, "alpha", "2026Q1") == pytest.approx(0, abs=1e-6)
    assert units(run, "beta", "2026Q1") == pytest.approx(800)
    assert units(run, "alpha", "2026Q1", column="retired_units") == pytest.approx(80)
    budget = run.tables.budget.iloc[0]
    assert budget["resale_usd"] == pytest.approx(9.6e6)
    assert budget["opex_decommissioning_usd"] == pytest.approx(480e3)


def test_without_early_retirement_the_campus_keeps_what_it_has(write_plan):
    """The same plan with `retirement: {early: false}`: the grid stays full of alpha, 3,200."""
    run = solve_plan(write_plan(installed_plan("2025Q1", retirement={"early": False})))
    assert objective_of(run.plan, run.result).value == pytest.approx(3_200, rel=TIE_BREAK)
    assert units(run, "alpha", "2026Q4") == pytest.approx(80)
    assert units(run, "beta") == pytest.approx(0, abs=1e-6)


def test_verify_flags_retiring_more_than_a_lot_holds_or_what_may_not_retire(write_plan):
    run = solve_plan(write_plan(installed_plan("2025Q1")))
    solution = run.result.solution
    too_many = replace(solution, retire={(0, 0, 0, 0): 80.0, (0, 0, 0, 1): 5.0})
    kept = [v.period for v in verify(run.plan, too_many) if v.family == "kept"]
    assert kept == ["2026Q2", "2026Q3", "2026Q4"]  # -5 kept (the load they imply is off too)
    forbidden = replace(run.plan, retirement=replace(run.plan.retirement, early=False))
    assert {v.family for v in verify(forbidden, solution)} == {"retirement_allowed"}


@pytest.mark.parametrize(("factor", "part", "compute"), [(0.2, "alpha", 800.0), (0.3, "beta", 960.0)])
def test_a_young_stack_makes_its_parts_worth_less(write_plan, factor, part, compute):
    """One quarter, 8 MW of IT. Beta's stack (rocm) at `factor` of a mature one: beta gives
    400 x factor effective PFLOPS per MW against alpha's 100. At 0.2 (80) alpha wins: 80 racks,
    800 PFLOPS. At 0.3 (120) beta wins: 800 servers, 3,200 peak, 960 effective."""
    plan = base_plan(stacks=[{"id": "rocm", "maturity": [{"from": "2026Q1", "factor": factor}]}])
    run = solve_plan(write_plan(plan))
    assert objective_of(run.plan, run.result).value == pytest.approx(compute, rel=TIE_BREAK)
    allocation = run.tables.allocation
    chosen = allocation[allocation["accelerator"] == part].iloc[0]
    assert chosen["effective_bf16_pflops"] == pytest.approx(compute)
    peak = 800.0 if part == "alpha" else 3_200.0
    assert chosen["bf16_pflops"] == pytest.approx(peak)


def test_utilisation_scales_what_a_part_delivers(write_plan):
    """Only alpha, at utilisation 0.5: 80 racks deliver 800 x 0.5 = 400 effective PFLOPS."""
    plan = base_plan(policy={"allow": ["alpha"]}, catalog=[{
        "id": "alpha", "name": "Alpha rack", "vendor": "nvidia", "ecosystem": "cuda", "unit": "rack",
        "accelerators_per_unit": 10, "unit_it_kw": 100, "rack_kw": 100, "bf16_pflops": 1.0, "fp8_pflops": 2.0,
        "hbm_gb": 100, "unit_price_usd": "$300k", "first_available": "2026Q1", "cooling": "liquid",
        "workloads": ["training", "inference"], "utilisation": 0.5}])
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha") == pytest.approx(80)
    assert objective_of(run.plan, run.result).value == pytest.approx(400, rel=TIE_BREAK)


@pytest.mark.parametrize(("trade_in", "beta", "compute"), [(False, 775.0, 12_500.0), (True, 800.0, 12_800.0)])
def test_a_trade_in_funds_the_refresh_inside_the_capex_limit(write_plan, trade_in, beta, compute):
    """The refresh above under a $155M capex limit. Sold as income, the $9.6M of resale stays
    outside the limit: 155 / 0.2 = 775 beta (7.75 MW), the last 0.25 MW kept as 2.5 alpha:
    (3,100 + 25) x 4 = 12,500. Traded in, it is credited against capex: 800 beta net of the
    credit cost $160M - $9.6M = $150.4M, within the limit: 12,800, budget.csv's trade-in -$9.6M."""
    plan = installed_plan("2025Q1", budget=[{"year": 2026, "limit_usd": "$1B", "capex_limit_usd": "$155M"}],
                          retirement={"trade_in": trade_in})
    run = solve_plan(write_plan(plan))
    assert objective_of(run.plan, run.result).value == pytest.approx(compute, rel=TIE_BREAK)
    assert units(run, "beta", "2026Q1") == pytest.approx(beta)
    budget = run.tables.budget.iloc[0]
    assert budget["capex_trade_in_usd"] == pytest.approx(-9.6e6 if trade_in else 0.0)


def test_the_decision_says_what_to_buy_and_retire_and_what_it_costs_per_unit(write_plan):
    """The refresh above in a sentence: 800 beta servers in 2026Q1, the 80 alpha retired then,
    capex $160M; at the end 3.2 effective EFLOPS (800 x 8 x 0.5 PFLOPS) on 8 MW of IT:
    $50M per effective EFLOPS, $20M per MW."""
    from planner.answers.decision import decision  # noqa: PLC0415

    run = solve_plan(write_plan(installed_plan("2025Q1")))
    said = decision(run.plan, run.result.solution, run.ledger)
    assert said.sentence == ("Buy 800 x server (beta, 2026Q1); retire 80 installed units early (2026Q1). "
                             "Capex $160M over the horizon.")
    assert said.capex_usd_per_effective_eflops_end == pytest.approx(50e6)
    assert said.capex_usd_per_it_mw_end == pytest.approx(20e6)


def test_the_decision_names_what_is_leased_and_leaves_it_out_of_capex_per_unit(write_plan):
    """The same refresh with 10 alpha leased from a cloud offer at $2 an hour in each of the four
    quarters: 4 x 10 x 2,190 h x $2 = $175.2k of opex, named in the sentence (capex alone would
    hide it); the capex per effective
    EFLOPS counts only what is owned, so it stays $50M (the leased alpha have no capex)."""
    from planner.answers.decision import decision  # noqa: PLC0415

    plan = installed_plan("2025Q1")
    plan["cloud_offers"] = [{"id": "c", "accelerator": "alpha", "usd_per_accelerator_hour": 2, "max_accelerators": 10}]
    run = solve_plan(write_plan(plan))
    said = decision(run.plan, run.result.solution, run.ledger)
    alpha = run.plan.catalog["alpha"].name
    assert f"lease up to 10 x {alpha} (c, 2026Q1-2026Q4; $175k of opex)" in said.sentence
    assert said.capex_usd_per_effective_eflops_end == pytest.approx(50e6)
