"""The whole-unit search's later steps (`planner.model.whole`): the wider rounding after the module
search, the time the searches share, and HiGHS's objective checked against its plan."""

from __future__ import annotations

import numpy as np
import pytest

from planner.inputs.generate import generate
from planner.inputs.loading import Document
from planner.inputs.resolve import plan_from_document
from planner.model.build import build_model
from planner.model.highs_run import Answer, SolverInfo, SolverOptions, Status, _check_objective
from planner.model.solve import SolveResult, whole_columns
from planner.model.whole import (
    MODULES_SEARCHED,
    ROUNDED,
    WHOLE_GAP,
    WholeColumns,
    linear_relaxation,
    relative_gap,
    run_with_highs,
    solve_whole,
)
from tests.model.test_running_totals import three_quarters_of_modules


@pytest.fixture(scope="module")
def few_large_racks():
    """`plan generate --sites 6 --accelerators 8 --quarters 12 --seed 2`: racks few and large, so
    rounding its units within one unit of the module search's loses more than the 0.1% target."""
    data = generate(6, 8, 12, 2)
    model = build_model(plan_from_document(Document(data=data, files=[], positions={})).plan, integer=True)
    whole = whole_columns(model)
    assert whole is not None
    return model.linear_program, whole


class Recorded:
    """`run_with_highs`, each call kept: the LP's integer columns, the options and the answer."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, SolverOptions, Answer]] = []

    def __call__(self, lp, options, start=None) -> Answer:
        answer = run_with_highs(lp, options, start)
        self.calls.append((lp.col_integer.copy(), options, answer))
        return answer


def test_units_rounded_wider_after_the_module_search_reach_the_target_gap(few_large_racks):
    """The module search proves its bound (4,259,949 PFLOPS-quarters); its units rounded within
    one unit (4,254,376) are 0.131% below it, above the 0.1% target. Rounded again one unit wider,
    stopping at the first plan within the target (HiGHS's objective_target), the plan (4,257,187)
    is 0.065% below: no MILP over every column follows."""
    lp, whole = few_large_racks
    run = Recorded()
    found = solve_whole(lp, whole, SolverOptions(), run)
    searches = [i for i, (_, options, _) in enumerate(run.calls) if not options.plan_heuristics]
    assert len(searches) == 1
    bound = run.calls[searches[0]][2].best_bound
    assert bound == pytest.approx(4_259_949, rel=1e-6)
    rounded, wider = (answer for _, _, answer in run.calls[searches[0] + 1:])
    assert rounded.objective == pytest.approx(4_254_376, rel=1e-6)
    assert relative_gap(bound, rounded.objective) > WHOLE_GAP
    assert wider.objective == pytest.approx(4_257_187, rel=1e-6)
    assert found.method == MODULES_SEARCHED
    assert found.answer.objective == wider.objective
    assert found.gap == pytest.approx(relative_gap(bound, wider.objective))
    assert found.gap <= WHOLE_GAP
    assert not any(step_five(integer, whole) for integer, _, _ in run.calls)


def step_five(integer: np.ndarray, whole: WholeColumns) -> bool:
    """Whether a run's integer columns are step 5's: units and modules whole at once."""
    return bool(integer[whole.modules].any() and integer[whole.units].any())


def test_a_module_search_out_of_time_ends_the_searches(few_large_racks):
    """Where the module search runs out of time (here made to, with no plan), the MILP over every
    column would too (it holds the module search): it is not run. The plan is the rounding's, its
    gap to the LP's bound stated, above the target and so not called optimal."""
    lp, whole = few_large_racks
    run = Recorded()

    def out_of_time(lp_, options, start=None) -> Answer:
        if not options.plan_heuristics:  # the module search
            return Answer(Status.NO_SOLUTION, "Time limit reached", time_limit_reached=True)
        return run(lp_, options, start)

    found = solve_whole(lp, whole, SolverOptions(), out_of_time)
    assert found.method == ROUNDED
    assert not any(step_five(integer, whole) for integer, _, _ in run.calls)
    assert found.gap is not None
    assert found.gap > WHOLE_GAP
    assert found.answer.status == Status.FEASIBLE


def test_the_first_step_is_the_lp_with_every_column_continuous(few_large_racks):
    lp, _ = few_large_racks
    assert lp.col_integer.any()
    assert not linear_relaxation(lp).col_integer.any()


def test_an_objective_that_disagrees_with_its_plan_is_not_believed():
    """three_quarters_of_modules's plan x = (0, 2, 0), z = 0 costs 2 x 2 = 4. An answer that calls
    it 12, proven, keeps the plan at 4, unproven (FEASIBLE) and without a bound; one that calls it
    4 is left as it is."""
    lp = three_quarters_of_modules()
    plan = np.array([0.0, 2.0, 0.0, 0.0])
    wrong = Answer(Status.OPTIMAL, "Optimal", objective=12.0, best_bound=12.0, values=plan)
    _check_objective(lp, wrong)
    assert wrong.objective == pytest.approx(4.0)
    assert wrong.best_bound is None
    assert wrong.status == Status.FEASIBLE
    right = Answer(Status.OPTIMAL, "Optimal", objective=4.0, best_bound=4.0, values=plan)
    _check_objective(lp, right)
    assert (right.objective, right.best_bound, right.status) == (4.0, 4.0, Status.OPTIMAL)


def test_the_gap_is_highs_own_relative_to_the_plan():
    """A cost minimised, bound 1,000, plan 1,001: HiGHS's gap |1,001 - 1,000| / 1,001 = 0.0999%,
    within 0.1%, and so is planner's (relative to the bound it would be 0.1%, 1 / 1,000, and a
    plan 1,001.001 would be short). Compute maximised, bound 1,000, plan 999: 1 / 999 = 0.1001%.
    The gap the reports state is the same function's."""
    assert relative_gap(1_000, 1_001) == pytest.approx(1 / 1_001)
    assert relative_gap(1_000, 1_001) <= WHOLE_GAP
    assert relative_gap(1_000, 999) == pytest.approx(1 / 999)
    assert relative_gap(1_000, 999) > WHOLE_GAP
    result = SolveResult(Status.OPTIMAL, SolverInfo("HiGHS", "1.16.0"), 1_001.0, 1_000.0, None)
    assert result.gap == relative_gap(1_000, 1_001)
