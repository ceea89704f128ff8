"""The bulk build and the direct hand-over give the LP, and the answer, that PuLP's own paths give.

Correctness only: speed is measured by bench/bench_scale.py, never by a timed test. A generated
plan (every limit family but minimum units) and the Ohio plan (shares, installed units) are
built once; each test checks one promise of planner/build.py and planner/solve.py:
- rows are named family__key__period, `Model.rows` is `problem.constraints()` in order, and the
  number of rows of each family follows from the plan (formulas in `test_row_counts`);
- `Model.matrix` holds exactly the terms, senses and right-hand sides of the PuLP rows;
- HiGHS gets the same LP from the direct hand-over as from PuLP's, and every value, dual and
  slack that comes back is the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pulp
import pytest

from planner import solve as solve_module
from planner.build import build_model
from planner.generate import generate
from planner.loading import Document
from planner.plan import Plan, plan_from_document, read_plan
from planner.solve import TimedHiGHS, read_solution, solve
from planner.variables import Model
from planner.verify import verify
from tests.conftest import REPO


def _generated(sites: int, accelerators: int, quarters: int, seed: int) -> Plan:
    data = generate(sites, accelerators, quarters, seed)
    data["maintenance_share_per_year"] = 0.04
    return plan_from_document(Document(data=data, files=[], positions={})).plan


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {"generated": _generated(6, 5, 8, seed=3), "ohio": read_plan(REPO / "sites" / "ohio.yaml").plan}


@pytest.fixture(scope="module", params=["generated", "ohio"])
def model(request: pytest.FixtureRequest, plans: dict[str, Plan]) -> Model:
    return build_model(plans[request.param])


def test_rows_are_the_problems_constraints_in_order(model: Model) -> None:
    constraints = model.problem.constraints()
    assert [row.name for row in model.rows] == [c.name for c in constraints]
    for row in model.rows:
        assert row.name == f"{row.family}__{row.key}__{row.period}".replace("-", "_")
    assert model.problem.numConstraints() == len(constraints)
    assert model.problem.numVariables() == len(model.problem.variables())


def test_row_counts(model: Model) -> None:
    """One stock row per unit variable; one load row per site and quarter; one assignment row per
    accelerator that can be in service and quarter; one power row per dispatch variable."""
    plan = model.plan
    T = len(plan.periods)
    count = {family: sum(1 for row in model.rows if row.family == family) for family in {r.family for r in model.rows}}
    assert count["stock"] == len(model.new) == len(model.inst)
    assert count["load"] == len(plan.sites) * T
    assert count["assign"] == len(model.pool) * T
    assert count["power"] == len(model.disp)
    assert count.get("budget", 0) == sum(1 for y in plan.horizon_years if y in plan.budget_usd)
    assert count.get("demand", 0) == sum(d > 0 for d in (*plan.training_pflops, *plan.inference_pflops))
    with_modules = {(s, h) for s, h, _ in model.mod}
    assert count.get("modules", 0) == len(with_modules)
    assert count["hall"] <= sum(len(site.halls) for site in plan.sites) * T


def test_matrix_is_the_pulp_problem(model: Model) -> None:
    matrix = model.matrix
    assert matrix is not None
    assert matrix.shape == (model.problem.numConstraints(), model.problem.numVariables())
    for i, constraint in enumerate(model.problem.constraints()):
        a, b = matrix.starts[i], matrix.starts[i + 1]
        assert [(v.id, c) for v, c in constraint.items()] == list(
            zip(matrix.columns[a:b].tolist(), matrix.values[a:b].tolist(), strict=True))
        assert matrix.rhs[i] == -constraint.constant
        assert matrix.less_equal[i] == (constraint.sense == pulp.LpConstraintLE)
    cost = np.zeros(matrix.shape[1])
    for variable, coefficient in model.problem.objective.items():
        cost[variable.id] += coefficient
    assert np.array_equal(cost, matrix.cost)


def _highs_lp(highs: object) -> tuple[np.ndarray, ...]:
    lp = highs.getLp()  # type: ignore[attr-defined]
    a = lp.a_matrix_
    return (np.array(lp.col_cost_), np.array(lp.col_lower_), np.array(lp.col_upper_), np.array(lp.row_lower_),
            np.array(lp.row_upper_), np.array(a.start_), np.array(a.index_), np.array(a.value_))


def _pulp_answer(model: Model) -> tuple[list[float], list[float], list[float]]:
    constraints = model.problem.constraints()
    return ([v.varValue for v in model.problem.variables()], [c.pi for c in constraints],
            [c.slack for c in constraints])


@pytest.mark.parametrize("name", ["generated", "ohio"])
def test_direct_hand_over_is_pulps(plans: dict[str, Plan], name: str) -> None:
    direct, generic = build_model(plans[name]), build_model(plans[name])
    direct_solver = TimedHiGHS(matrix=direct.matrix, msg=False, threads=1)
    generic_solver = TimedHiGHS(msg=False, threads=1)  # no matrix: PuLP's own hand-over and read-back
    first, second = direct.problem.solve(direct_solver), generic.problem.solve(generic_solver)
    assert direct_solver.direct
    assert not generic_solver.direct
    for ours, theirs in zip(_highs_lp(direct.problem.solverModel), _highs_lp(generic.problem.solverModel),
                            strict=True):
        assert np.array_equal(ours, theirs)
    assert first.status == second.status == pulp.LpSolveStatus.Optimal
    assert first.objective == second.objective
    assert _pulp_answer(direct) == _pulp_answer(generic)
    assert read_solution(direct) == read_solution(generic)


def test_a_changed_problem_takes_pulps_path(plans: dict[str, Plan]) -> None:
    """A row added after the build: the matrix no longer describes the problem, so PuLP hands it over."""
    model = build_model(plans["generated"])
    variable = next(iter(model.new.values()))
    model.problem.addConstraint(pulp.LpAffineExpression.from_list([(variable, 1.0)]) <= 0.0, "extra__x__all")
    solver = TimedHiGHS(matrix=model.matrix, msg=False, threads=1)
    stats = model.problem.solve(solver)
    assert not solver.direct
    assert stats.status == pulp.LpSolveStatus.Optimal
    assert variable.varValue == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("name", ["generated", "ohio"])
def test_solution_is_verified_and_duals_are_pulps(plans: dict[str, Plan], name: str) -> None:
    """`solve` (direct hand-over, PuLP's copy released) answers as PuLP's own HiGHS path does."""
    model, through_pulp = build_model(plans[name]), build_model(plans[name])
    result = solve(model)
    through_pulp.problem.solve(pulp.HiGHS(msg=False, threads=1))
    assert result.solution is not None
    assert verify(model.plan, result.solution) == []
    assert result.solution == read_solution(through_pulp)
    for constraint in through_pulp.problem.constraints():
        assert result.duals[constraint.name] == pytest.approx(constraint.pi, abs=1e-9)
        assert result.slacks[constraint.name] == pytest.approx(constraint.slack, abs=1e-9)


def test_solve_releases_pulps_copy_once_highs_holds_the_lp(plans: dict[str, Plan]) -> None:
    model = build_model(plans["generated"])
    rows, columns = model.problem.numConstraints(), model.problem.numVariables()
    solve(model)
    assert model.pulp_problem is None
    with pytest.raises(RuntimeError, match="released"):
        _ = model.problem
    with pytest.raises(RuntimeError, match="released"):
        next(iter(model.new.values()))
    assert model.shape == (rows, columns)
    assert model.highs is not None  # small: kept for ranging's re-solves
    assert (model.highs.getNumRow(), model.highs.getNumCol()) == (rows, columns)


def test_a_large_models_highs_is_released_after_read_back(plans: dict[str, Plan], monkeypatch) -> None:
    monkeypatch.setattr(solve_module, "KEEP_HIGHS_UP_TO_COLUMNS", 10)
    model = build_model(plans["generated"])
    result = solve(model)
    assert result.has_plan
    assert result.duals  # read before HiGHS went
    assert model.highs is None


def test_variables_read_like_a_dict(model: Model) -> None:
    key = next(iter(model.new))
    assert model.new[key].name == "new_" + "_".join(str(part) for part in key)
    assert key in model.new
    assert (-1, -1, "x", -1) not in model.new
    assert [v.name for v in model.inst.values()] == [model.inst[k].name for k in model.inst]
    assert len(dict(model.new.items())) == len(model.new)


def test_generated_plan_matches_the_linopy_peer(plans: dict[str, Plan]) -> None:
    """The benchmark's peer (bench/linopy_model.py) builds the same LP: same size, same optimum."""
    pytest.importorskip("linopy")
    import sys  # noqa: PLC0415

    sys.path.insert(0, str(Path(REPO / "bench")))
    from linopy_model import build_linopy  # noqa: PLC0415

    for plan in plans.values():
        peer = build_linopy(plan)
        peer.solve("highs", output_flag=False)
        model = build_model(plan)
        result = solve(model)
        assert (peer.ncons, peer.nvars) == model.shape
        assert peer.objective.value == pytest.approx(result.objective_value, rel=1e-6)
