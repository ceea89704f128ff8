"""Cooling (limit 9): heat rejection per hall type, each part's liquid/air split, and rack
density with margin, solved on paper with the site and catalog of
tests/model/test_family_binding.py (one quarter, PUE 1.25, 10 MW of grid, 100 MW of hall).

alpha (liquid-cooled, 0.1 MW of IT, 10 PFLOPS) puts 0.85 of its heat in liquid (the default
share of a liquid-cooled part: 0.085 MW) and 0.015 MW in air; beta (air-cooled, 0.01 MW,
4 PFLOPS) puts all 0.01 MW in air. A hall's `liquid_cooling_share` and `air_cooling_share`
are the heat it rejects per MW of ready IT space.
"""

from __future__ import annotations

import pytest

from planner.answers.run import objective_of
from tests.conftest import base_plan
from tests.model.test_family_binding import (
    TIE_BREAK,
    assert_binds,
    assert_verified,
    limit,
    scaled,
    solve_plan,
    units,
)


def hall_plan(**hall: object) -> dict:
    plan = base_plan()
    plan["sites"][0]["halls"][0].update(hall)
    return plan


def test_liquid_cooling_binds(write_plan):
    """alpha only, liquid rejection 5% of 100 MW = 5 MW: 0.085 a <= 5, a = 58.82 (power would
    allow 80); compute 588.2. One more MW of liquid cooling: 10 / 0.085 = 117.6 PFLOPS-quarters."""
    plan = hall_plan(liquid_cooling_share=0.05)
    plan["policy"] = {"allow": ["alpha"]}
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha") == pytest.approx(5 / 0.085)
    assert objective_of(run.plan, run.result).value == pytest.approx(50 / 0.085, rel=TIE_BREAK)
    row = limit(run, "cooling_liquid", "lab.hall", "2026Q1")
    assert_binds(row)
    assert (row["site"], row["hall"]) == ("lab", "hall")
    assert row["shadow_price"] == pytest.approx(10 / 0.085, rel=TIE_BREAK)
    sites = run.tables.sites.iloc[0]
    assert (sites["hall_hall_liquid_heat_mw"], sites["hall_hall_liquid_cooling_mw"]) == pytest.approx((5, 5))
    assert_verified(run, "cooling_liquid", {"new": scaled(run.result.solution.new, 1.01)})


def test_air_cooling_binds_with_power_and_counts_a_liquid_parts_air_share(write_plan):
    """Air rejection 5 MW: 0.015 a + 0.01 b <= 5, with power 0.125 a + 0.0125 b <= 10. Both
    bind: a = 80 - 0.1 b, 0.015 (80 - 0.1 b) + 0.01 b = 5, b = 3.8 / 0.0085 = 447.06,
    a = 35.29; compute 10 a + 4 b = 2,141.2 (beta alone: 500 x 4 = 2,000; alpha alone: 800).
    Duals: 0.125 p + 0.015 c = 10 and 0.0125 p + 0.01 c = 4 give c = 30 / 0.085 = 352.9 per
    MW of air cooling and p = 320 - 0.8 c = 37.6 per MW of power."""
    run = solve_plan(write_plan(hall_plan(air_cooling_share=0.05)))
    b = 3.8 / 0.0085
    a = 80 - 0.1 * b
    assert units(run, "beta") == pytest.approx(b, rel=1e-6)
    assert units(run, "alpha") == pytest.approx(a, rel=1e-6)
    assert objective_of(run.plan, run.result).value == pytest.approx(10 * a + 4 * b, rel=TIE_BREAK)
    row = limit(run, "cooling_air", "lab.hall", "2026Q1")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(30 / 0.085, rel=TIE_BREAK)
    assert limit(run, "power", "lab.grid", "2026Q1")["shadow_price"] == pytest.approx(320 - 0.8 * 30 / 0.085,
                                                                                     rel=1e-2)
    assert_verified(run, "cooling_air", {"new": scaled(run.result.solution.new, 1.01, "beta")})


def test_rack_density_margin_keeps_a_rack_out(write_plan):
    """Budget $100M and 100 MW of power: money binds, so alpha (33.3 PFLOPS per $1M against
    beta's 20) is the part to buy: 321.6 units (tests/model/test_optimize.py). In a hall rated
    110 kW per rack with a 10% margin, only racks up to 99 kW fit: alpha's 100 kW rack is out,
    and the budget buys beta: $100M / $201,095 = 497.3."""
    plan = hall_plan(max_rack_kw=110, rack_kw_margin=0.1)
    plan["budget"] = [{"year": 2026, "limit_usd": "$100M"}]
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    run = solve_plan(write_plan(plan))
    assert units(run, "alpha") == 0
    assert units(run, "beta") == pytest.approx(1e8 / 201_095, rel=1e-6)
    plan["sites"][0]["halls"][0]["rack_kw_margin"] = 0
    assert units(solve_plan(write_plan(plan)), "alpha") > 300
