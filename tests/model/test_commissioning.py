"""Commissioning and ramp (limit 10): a unit delivered in quarter t takes hall space from t, but
draws power and delivers compute only from t + lag; a new part's supply ramps up over its first
quarters. Solved on paper, with the site and catalog of tests/model/test_family_binding.py
(PUE 1.25, 10 MW of grid; beta: 0.01 MW of IT, 4 BF16 PFLOPS, $200k) over two quarters."""

from __future__ import annotations

import pytest
import yaml

from planner.answers.run import objective_of
from tests.conftest import SMALL_CATALOG, base_plan
from tests.model.test_family_binding import assert_verified, scaled, solve_plan


def two_quarters(existing_it_mw: float, lag: int, **beta_fields: object) -> dict:
    beta = next(a for a in yaml.safe_load(SMALL_CATALOG.read_text())["accelerators"] if a["id"] == "beta")
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q2"},
                     catalog=[{**beta, "commission_quarters": lag, **beta_fields}], policy={"allow": ["beta"]})
    plan["sites"][0]["halls"][0]["existing_it_mw"] = existing_it_mw
    return plan


def test_a_unit_serves_a_quarter_after_delivery_and_takes_space_from_delivery(write_plan):
    """Hall space 5 MW. Units bought in 2026Q1 are installed then (0.01 b1 <= 5 in 2026Q1) and
    serve in 2026Q2; units bought in 2026Q2 would never serve, so none are. b1 = 500: 5 MW of
    hall in both quarters, 6.25 MW of power in 2026Q2 only, compute 500 x 4 = 2,000
    PFLOPS-quarters (4,000 if they served at once: 2 quarters x 500 x 4)."""
    run = solve_plan(write_plan(two_quarters(5, lag=1)))
    allocation = run.tables.allocation.set_index("period")
    assert float(allocation.loc["2026Q1", "new_units"]) == pytest.approx(500)
    assert float(allocation.loc["2026Q1", "units"]) == pytest.approx(0)
    assert float(allocation.loc["2026Q2", "units"]) == pytest.approx(500)
    sites = run.tables.sites.set_index("period")
    assert list(sites["hall_used_mw"]) == pytest.approx([5, 5])
    assert list(sites["power_used_mw"]) == pytest.approx([0, 6.25])
    assert objective_of(run.plan, run.result).value == pytest.approx(2000)
    assert_verified(run, "hall", {"new": scaled(run.result.solution.new, 1.01)})


def test_without_a_lag_the_same_units_serve_at_once(write_plan):
    """The same plan, lag 0: 500 beta from 2026Q1, compute 2 x 2,000 = 4,000."""
    run = solve_plan(write_plan(two_quarters(5, lag=0)))
    assert objective_of(run.plan, run.result).value == pytest.approx(4000)


def test_a_new_parts_supply_ramps_up(write_plan):
    """Supply of beta 400 a quarter, ramp [0.25]: 100 in its first quarter (2026Q1), 400 after.
    Power allows 800. So 100 in 2026Q1 (400 PFLOPS-quarters) and 500 in 2026Q2 (2,000): 2,400;
    without the ramp, 400 then 800: 1,600 + 3,200 = 4,800. The ramped cap is the supply row's."""
    plan = two_quarters(100, lag=0, ramp=[0.25])
    plan["supply"] = [{"accelerator": "beta", "units_per_quarter": 400}]
    run = solve_plan(write_plan(plan))
    assert objective_of(run.plan, run.result).value == pytest.approx(2400, rel=1e-3)
    assert run.plan.supply_units["beta"] == (100, 400)
    plan["catalog"][0]["ramp"] = []
    unramped = solve_plan(write_plan(plan))
    assert objective_of(unramped.plan, unramped.result).value == pytest.approx(4800, rel=1e-3)
