"""A property over small generated plans: whatever the plan, every plan a solver calls optimal
passes the independent re-check, at both objectives, and its objective is reported as solved.

Plans come from `plan generate` (sites, accelerators, quarters and a seed drawn by hypothesis):
budgets that bind in some years, shares, supply caps, tents without backup, phased grids.
"""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.answers.verify import verify
from planner.inputs.generate import generate
from planner.inputs.loading import Document
from planner.inputs.resolve import plan_from_document
from planner.model.build import build_model
from planner.model.solve import Status, solve
from planner.objective import Objective


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sites=st.integers(1, 3), accelerators=st.integers(1, 4), quarters=st.integers(1, 5),
       seed=st.integers(0, 10_000), objective=st.sampled_from(list(Objective)))
def test_every_optimal_plan_verifies(sites: int, accelerators: int, quarters: int, seed: int,
                                     objective: Objective) -> None:
    data = generate(sites, accelerators, quarters, seed)
    data["objective"] = objective.value
    plan = plan_from_document(Document(data=data, files=[], positions={})).plan
    result = solve(build_model(plan))
    # Generated demand always fits (planner.inputs.generate): max-compute and min-cost both find a plan.
    assert result.status == Status.OPTIMAL, result.detail
    assert result.solution is not None
    assert verify(plan, result.solution) == []
    assert result.duals  # a plan is always priced
    assert result.objective_value is not None
    assert math.isfinite(result.objective_value)
