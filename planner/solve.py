"""Solve a built model with HiGHS (in-process) or CBC, and read the answer back as plain data."""

from __future__ import annotations

import logging
import re
import subprocess
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulp

from planner.accounting import Solution
from planner.build import Model
from planner.errors import SolverError

log = logging.getLogger(__name__)

SOLVERS = ("highs", "cbc")
IPM_FROM_COLUMNS = 50_000
"""HiGHS's interior-point method (with crossover, so duals come from a vertex) beats its dual
simplex on large capacity LPs: 51 s against 259 s on a 300 x 20 x 20 plan (286k columns,
1.2M nonzeros, 2 cores). Below this many columns, simplex is as fast and needs no crossover."""


class Status(StrEnum):
    """How a solve ended."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    """A plan was found but not proven optimal (time or gap limit)."""
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"
    """The solver stopped (time limit, error) without any plan."""


@dataclass(frozen=True)
class SolverInfo:
    name: str
    version: str


@dataclass
class SolveResult:
    """A solver's answer: status, the values (only with a plan), duals and slacks by row name."""

    status: Status
    solver: SolverInfo
    objective_value: float | None
    best_bound: float | None
    solution: Solution | None
    duals: dict[str, float] = field(default_factory=dict)
    slacks: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    detail: str = ""
    duals_note: str = ""
    """How the duals were obtained, when not from the solve itself (integer mode)."""

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE) and self.solution is not None

    @property
    def gap(self) -> float | None:
        """Relative gap between the plan found and the best bound (MILP only)."""
        if self.objective_value is None or self.best_bound is None:
            return None
        return abs(self.best_bound - self.objective_value) / max(1e-9, abs(self.objective_value))


def _highs_version() -> str:
    import highspy  # noqa: PLC0415

    return str(highspy.Highs().version())  # type: ignore[no-untyped-call]


def _cbc_version(path: str) -> str:
    try:
        output = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"Version:\s*(\S+)", output)
    return match[1] if match else "unknown"


class TimedHiGHS(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's in-process HiGHS, timing its stages: hand-over (PuLP -> HiGHS), HiGHS's own
    run, and reading values back into PuLP."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.seconds: dict[str, float] = {}

    def _timed(self, stage: str, call: Any, lp: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(lp)
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

    def buildSolverModel(self, lp: Any) -> None:  # noqa: N802 - PuLP's name
        self._timed("hand_over", super().buildSolverModel, lp)

    def callSolver(self, lp: Any) -> None:  # noqa: N802
        self._timed("solver", super().callSolver, lp)

    def findSolutionValues(self, lp: Any) -> Any:  # noqa: N802
        return self._timed("values_to_pulp", super().findSolutionValues, lp)


def make_solver(
    name: str, time_limit_s: float | None, threads: int, gap: float | None, columns: int = 0, integer: bool = False
) -> tuple[Any, SolverInfo]:
    """The PuLP solver object for `name` (highs or cbc), and its name and version.

    Raises:
        SolverError: The solver is not installed.
    """
    solver: Any
    if name == "highs":
        method = {"solver": "ipm"} if columns >= IPM_FROM_COLUMNS and not integer else {}
        solver = TimedHiGHS(msg=False, timeLimit=time_limit_s, threads=threads, gapRel=gap, **method)
        if not solver.available():
            raise SolverError("HiGHS is not available: install highspy (pip install highspy)")
        return solver, SolverInfo("HiGHS", _highs_version())
    if name == "cbc":
        # CBC prints solutions with 8 significant digits by default: too coarse for the re-check
        # (1e-6 + 1e-9 x |rhs|), so ask for full doubles.
        solver = pulp.COIN_CMD(  # type: ignore[no-untyped-call]
            msg=False, timeLimit=time_limit_s, threads=threads, gapRel=gap, options=["precision %.17g"]
        )
        if not solver.available():
            raise SolverError("CBC is not available: install it with pip install 'pulp[cbc]'")
        return solver, SolverInfo("CBC", _cbc_version(solver.path))
    raise SolverError(f"unknown solver '{name}'; expected one of {', '.join(SOLVERS)}")


def _status(stats: Any) -> Status:
    code = pulp.LpSolveStatus
    if stats.status == code.Optimal and stats.has_solution:
        return Status.OPTIMAL
    if stats.status == code.Infeasible:
        return Status.INFEASIBLE
    if stats.status == code.Unbounded:
        return Status.UNBOUNDED
    if stats.has_solution:
        return Status.FEASIBLE
    return Status.NO_SOLUTION


def _values(variables: dict[Any, Any]) -> dict[Any, float]:
    # Clean solver noise (-1e-12) so the reports never show "-0.0 units".
    out = {}
    for key, variable in variables.items():
        value = variable.varValue or 0.0
        out[key] = 0.0 if abs(value) < 1e-9 else float(value)
    return out


def read_solution(model: Model) -> Solution:
    """The variable values of a solved model, as plain floats."""
    return Solution(
        new=_values(model.new), mod=_values(model.mod), gen=_values(model.gen), disp=_values(model.disp),
        lease=_values(model.lease), train=_values(model.train), infer=_values(model.infer),
    )


def solve(
    model: Model,
    solver_name: str = "highs",
    time_limit_s: float | None = None,
    threads: int = 1,
    gap: float | None = None,
) -> SolveResult:
    """Solve `model`; values are read only when the solver returned a plan.

    Raises:
        SolverError: The solver is missing or failed outright.
    """
    solver, info = make_solver(solver_name, time_limit_s, threads, gap, model.problem.numVariables(), model.integer)
    started = time.perf_counter()
    try:
        stats = model.problem.solve(solver)
    except pulp.PulpSolverError as error:
        raise SolverError(f"{info.name} failed: {error}") from None
    solved = time.perf_counter()
    status = _status(stats)
    seconds = {"solve": solved - started, **getattr(solver, "seconds", {})}
    result = SolveResult(
        status=status, solver=info, objective_value=stats.objective, best_bound=stats.best_bound,
        solution=None, seconds=seconds,
        detail=stats.status.name,
    )
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        result.solution = read_solution(model)
        if model.integer:
            # A MILP has no duals: fix the whole units and modules, solve the LP that is left.
            _fix_integers(model)
            fixed_solver, _ = make_solver(solver_name, time_limit_s, threads, None)
            fixed = model.problem.solve(fixed_solver)
            result.duals_note = (
                "integer plan: shadow prices are those of the LP with whole units and modules fixed at the plan's"
                " values, so they price only what is left free (dispatch, leases, assignment)"
            )
            if fixed.status != pulp.LpSolveStatus.Optimal:
                result.duals_note = "integer plan: the LP with whole units fixed did not solve, so no shadow prices"
                result.seconds["read_back"] = time.perf_counter() - solved
                return result
        _read_duals(model, result)
        result.seconds["read_back"] = time.perf_counter() - solved
    return result


def _fix_integers(model: Model) -> None:
    for variable in (*model.new.values(), *model.mod.values()):
        value = float(round(variable.varValue or 0.0))
        variable.cat = "Continuous"
        variable.lowBound = value
        variable.upBound = value


def _read_duals(model: Model, result: SolveResult) -> None:
    for constraint in model.problem.constraints():
        result.duals[constraint.name] = float(constraint.pi or 0.0)
        result.slacks[constraint.name] = float(constraint.slack or 0.0)
