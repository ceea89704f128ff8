"""Availability (limit 11): nothing is bought after a part's end of sale, and a part's default
volume per quarter (the catalog's `units_per_quarter`) caps what is bought unless the plan's
`supply:` says otherwise. Solved on paper with the site and catalog of
tests/model/test_family_binding.py (PUE 1.25; alpha 0.1 MW and 10 PFLOPS, beta 0.01 MW and
4 PFLOPS a unit)."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from planner.answers.run import objective_of
from planner.answers.verify import verify
from tests.conftest import SMALL_CATALOG, base_plan
from tests.model.test_family_binding import assert_binds, limit, solve_plan, units

PARTS = {a["id"]: a for a in yaml.safe_load(SMALL_CATALOG.read_text())["accelerators"]}


def test_nothing_is_bought_after_the_end_of_sale(write_plan):
    """Beta only, sold until 2026Q1; the grid grows from 5 MW to 10 MW in 2026Q2. 400 beta in
    2026Q1 (5 / 0.0125) and none after: compute 1,600 + 1,600 = 3,200 PFLOPS-quarters (4,800
    if beta were still sold in 2026Q2: 400 more)."""
    plan = base_plan(horizon={"start": "2026Q1", "end": "2026Q2"}, policy={"allow": ["beta"]},
                     catalog=[{**PARTS["beta"], "last_available": "2026Q1"}])
    plan["sites"][0]["power_sources"][0]["phases"] = [{"online": "2026Q1", "available_mw": 5},
                                                      {"online": "2026Q2", "available_mw": 10}]
    run = solve_plan(write_plan(plan))
    assert objective_of(run.plan, run.result).value == pytest.approx(3200, rel=1e-3)
    assert sum(n for (_, _, _, t), n in run.result.solution.new.items() if t == 1) == 0
    late = {**run.result.solution.new, (0, 0, "beta", 1): 1.0}
    assert "last_available" in {v.family for v in verify(run.plan, dataclasses.replace(run.result.solution,
                                                                                       new=late))}
    plan["catalog"] = [PARTS["beta"]]
    still_sold = solve_plan(write_plan(plan))
    assert objective_of(still_sold.plan, still_sold.result).value == pytest.approx(4800, rel=1e-3)


def test_the_catalogs_default_volume_caps_a_part_unless_the_plan_says(write_plan):
    """Beta's default volume is 300 a quarter: 300 beta, and alpha takes the rest of the 10 MW,
    (10 - 3.75) / 0.125 = 50: compute 1,200 + 500 = 1,700. The plan's own supply of 500
    replaces it: alpha (10 - 6.25) / 0.125 = 30, compute 2,000 + 300 = 2,300."""
    plan = base_plan(catalog=[{**PARTS["beta"], "units_per_quarter": 300}])
    run = solve_plan(write_plan(plan))
    assert (units(run, "beta"), units(run, "alpha")) == pytest.approx((300, 50))
    assert_binds(limit(run, "supply", "beta", "2026Q1"))
    plan["supply"] = [{"accelerator": "beta", "units_per_quarter": 500}]
    run = solve_plan(write_plan(plan))
    assert (units(run, "beta"), units(run, "alpha")) == pytest.approx((500, 30))
    assert objective_of(run.plan, run.result).value == pytest.approx(2300, rel=1e-3)


@pytest.mark.parametrize("name", ["ohio", "louisiana", "meta-fleet"])
def test_no_shipped_plan_buys_a_part_outside_its_availability(name):
    """Every unit a shipped plan buys is bought between its part's first and last quarter."""
    from tests.conftest import shipped_run  # noqa: PLC0415

    run = shipped_run(name)
    bought = [(c, t) for (_, _, c, t), n in run.result.solution.new.items() if n > 1e-6]
    assert bought
    for c, t in bought:
        part = run.plan.catalog[c]
        assert part.first_period <= t <= (part.last_period if part.last_period is not None else t), (c, t)
