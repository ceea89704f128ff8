"""Solve a built model with HiGHS (in-process) or CBC, and read the answer back as plain data."""

from __future__ import annotations

import logging
import re
import subprocess
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pulp

from planner.accounting import Solution
from planner.errors import SolverError
from planner.lp import Matrix
from planner.native_output import diverted_stdout
from planner.variables import Model

log = logging.getLogger(__name__)

SOLVERS = ("highs", "cbc")
IPM_FROM_COLUMNS = 50_000
"""HiGHS's interior-point method (with crossover, so duals come from a vertex) beats its dual
simplex on large capacity LPs: 51 s against 259 s on a 300 x 20 x 20 plan (286k columns,
1.2M nonzeros, 2 cores). Below this many columns, simplex is as fast and needs no crossover."""
KEEP_HIGHS_UP_TO_COLUMNS = 50_000
"""Above this many columns the solved HiGHS model is released once its answer is read: nothing
re-solves it (ranging's whole-step re-solves cost more than they tell at that size)."""


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


class TimedHiGHS(pulp.HiGHS):  # type: ignore[misc, unused-ignore]
    """PuLP's in-process HiGHS, timing its stages: hand-over (PuLP -> HiGHS), HiGHS's own
    run, and reading values back into PuLP.

    Given the model's `Matrix` (the PuLP problem's twin, kept by `planner.build`), the hand-over
    passes those arrays to HiGHS in one addCols and one addRows, and the answer goes back into
    PuLP's variables (values, reduced costs) and constraints (duals, slacks) in bulk, instead of
    PuLP's loops over every coefficient and every row. It checks first that the problem still
    has the matrix's shape and columns; a problem changed since it was built takes PuLP's own path.
    """

    def __init__(self, matrix: Matrix | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.seconds: dict[str, float] = {}
        self.matrix = matrix
        self.direct = False
        """Whether the last hand-over was the direct one (else PuLP's own)."""
        self.used = np.zeros(0, dtype=np.int64)
        """Variable id of each HiGHS column (PuLP hands over only variables in use)."""
        self.column = np.zeros(0, dtype=np.int64)
        """HiGHS column of each variable id, -1 for a variable not handed over."""
        self.col_value: np.ndarray | None = None
        """Values by variable id, after a direct solve with a plan."""
        self.row_dual: np.ndarray | None = None
        self.row_slack: np.ndarray | None = None
        self.col_dual = np.zeros(0)

    def timed(self, stage: str, call: Any, lp: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(lp)
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started

    def buildSolverModel(self, lp: Any) -> None:  # noqa: N802 - PuLP's name
        self.timed("hand_over", self._hand_over, lp)

    def callSolver(self, lp: Any) -> None:  # noqa: N802
        self.timed("solver", super().callSolver, lp)

    def findSolutionValues(self, lp: Any) -> Any:  # noqa: N802
        return self.timed("values_to_pulp", self._values_back, lp)

    def _columns(self, lp: Any) -> np.ndarray | None:
        """HiGHS column of each variable id (PuLP passes only variables in use), or None when the
        problem is no longer the matrix's."""
        if not self._matches(lp):
            return None
        assert self.matrix is not None
        used = np.asarray(lp._model.used_variable_ids(), dtype=np.int64)  # noqa: SLF001
        column = np.full(self.matrix.shape[1], -1, dtype=np.int64)
        column[used] = np.arange(len(used))
        self.used, self.column = used, column
        return column

    def _matches(self, lp: Any) -> bool:
        """Whether the problem still has the matrix's shape (nothing added since the build)."""
        core = lp._model  # noqa: SLF001
        return self.matrix is not None and (core.num_constraints, core.num_variables) == self.matrix.shape

    def _hand_over(self, lp: Any) -> None:
        column = self._columns(lp)
        if column is None:
            self.direct = False
            super().buildSolverModel(lp)
            return
        import highspy  # noqa: PLC0415 - pulp.HiGHS imported it already

        matrix, highs, used = self.matrix, lp.solverModel, self.used
        assert matrix is not None
        empty = np.zeros(0, dtype=np.int32)
        highs.addCols(len(used), matrix.cost[used], matrix.col_lower[used], matrix.col_upper[used], 0, empty, empty,
                      np.zeros(0))
        if self.mip and matrix.integer.any():
            integer = column[np.flatnonzero(matrix.integer)].astype(np.int32)
            highs.changeColsIntegrality(len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger))
        if lp.sense == pulp.LpMaximize:
            highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        highs.changeObjectiveOffset(lp.objective.constant)
        # Zero coefficients stay out of HiGHS's matrix, as in PuLP's own hand-over.
        keep = matrix.values != 0
        starts = np.concatenate([[0], np.cumsum(keep)])[matrix.starts]
        highs.addRows(matrix.shape[0], matrix.row_lower, matrix.row_upper, int(starts[-1]),
                      starts[:-1].astype(np.int32), column[matrix.columns[keep]].astype(np.int32),
                      matrix.values[keep])
        self.direct = True

    def _values_back(self, lp: Any) -> Any:
        if not self.direct:
            return super().findSolutionValues(lp)  # type: ignore[no-untyped-call]
        code, has_solution = self.read_arrays(lp.solverModel)
        core = lp._model  # noqa: SLF001
        ids = self.used.tolist()
        assert self.col_value is not None
        assert self.row_dual is not None
        assert self.row_slack is not None
        core.set_variable_values(list(zip(ids, self.col_value[self.used].tolist(), strict=True)))
        core.set_variable_djs(list(zip(ids, self.col_dual.tolist(), strict=True)))
        rows = range(len(self.row_dual))
        core.set_constraint_slacks(list(zip(rows, self.row_slack.tolist(), strict=True)))
        core.set_constraint_pis(list(zip(rows, self.row_dual.tolist(), strict=True)))
        return code, has_solution

    def read_arrays(self, highs: Any) -> tuple[Any, bool]:
        """HiGHS's answer as arrays (values by variable id; duals and slacks by row, slacks as
        PuLP defines them); returns PuLP's status code and whether there is a plan."""
        matrix = self.matrix
        assert matrix is not None
        status = highs.getModelStatus()
        objective = highs.getObjectiveValue()
        solution = highs.getSolution()
        values = np.asarray(solution.col_value, dtype=np.float64)
        self.col_dual = np.asarray(solution.col_dual, dtype=np.float64)
        activity = np.asarray(solution.row_value, dtype=np.float64)
        # PuLP's slack: activity - rhs, and rhs - activity for a <= row.
        self.row_slack = np.where(matrix.less_equal, -(-matrix.rhs + activity), -matrix.rhs + activity)
        self.row_dual = np.asarray(solution.row_dual, dtype=np.float64)
        self.col_value = np.zeros(matrix.shape[1])
        self.col_value[self.used] = values
        optimal, stopped_early = _highs_status(status)
        has_solution = optimal or (stopped_early and np.isfinite(objective))
        return _PULP_STATUS.get(str(status).rsplit(".", 1)[-1], pulp.LpSolveStatus.Undefined), bool(has_solution)

    def solve_direct(self, model: Model, warm: WarmStart | None = None) -> Answer | None:
        """Hand the model's matrix to HiGHS, release PuLP's copy of the LP, run, read the answer
        back as arrays. None when the PuLP problem is no longer the matrix's (then solve it
        through PuLP).

        PuLP's rows are released before HiGHS runs: HiGHS holds the LP from the hand-over on,
        and two copies of a 1.2M-nonzero LP cost ~120 MB at the solve's peak. With `warm`, HiGHS
        starts from its basis where it fits, and an optimal basis is kept in it for the next solve."""
        lp = model.problem
        if not self._matches(lp):
            return None
        self.createAndConfigureSolver(lp)
        self.timed("hand_over", self._hand_over, lp)
        highs: Any = lp.solverModel
        model.highs = highs
        del lp
        model.release_pulp()
        matrix = self.matrix
        assert matrix is not None
        if warm is not None and warm.fits(matrix, self.used):
            highs.setBasis(warm.basis)
            warm.started += 1
        self.timed("solver", lambda _: highs.run(), None)
        code, has_solution = self.read_arrays(highs)
        if warm is not None and code == pulp.LpSolveStatus.Optimal and not model.integer:
            warm.keep(matrix, self.used, highs.getBasis())
        bound = highs.getInfo().mip_dual_bound if model.integer and self.mip else None
        objective = float(highs.getObjectiveValue()) if has_solution else None
        return Answer(code, has_solution, objective, bound if bound is not None and np.isfinite(bound) else None)


@dataclass
class WarmStart:
    """The last optimal basis, and the LP it belongs to: the next solve starts from it when its LP
    has the same rows, columns and nonzero pattern (a sweep run that changes only numbers).

    Only below `IPM_FROM_COLUMNS`: above, HiGHS runs its interior-point method, which does not
    start from a basis. On the Ohio plan, a 10 x 10 grid of prices and budgets took HiGHS 9.4 ms
    a run from scratch and 1.0 ms from the previous run's basis; 15 of the 101 runs ended at
    another optimal plan of the same objective (the LP has ties)."""

    basis: Any = None
    structure: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """(row starts, variable id of each term, variables handed to HiGHS) of the basis's LP."""
    started: int = 0
    """Solves that started from a kept basis."""

    def fits(self, matrix: Matrix, used: np.ndarray) -> bool:
        if self.basis is None or self.structure is None or matrix.shape[1] >= IPM_FROM_COLUMNS:
            return False
        starts, columns, handed = self.structure
        return (np.array_equal(starts, matrix.starts) and np.array_equal(columns, matrix.columns)
                and np.array_equal(handed, used))

    def keep(self, matrix: Matrix, used: np.ndarray, basis: Any) -> None:
        self.basis, self.structure = basis, (matrix.starts, matrix.columns, used)


@dataclass(frozen=True)
class Answer:
    """How a solve ended, in PuLP's terms (what `LpProblem.solve` returns, the parts used here)."""

    status: Any
    has_solution: bool
    objective: float | None
    best_bound: float | None


_PULP_STATUS = {
    "kNotset": pulp.LpSolveStatus.NotSolved, "kModelEmpty": pulp.LpSolveStatus.NotSolved,
    "kOptimal": pulp.LpSolveStatus.Optimal, "kInfeasible": pulp.LpSolveStatus.Infeasible,
    "kUnbounded": pulp.LpSolveStatus.Unbounded, "kObjectiveBound": pulp.LpSolveStatus.GapLimit,
    "kObjectiveTarget": pulp.LpSolveStatus.GapLimit, "kInterrupt": pulp.LpSolveStatus.Interrupted,
    "kTimeLimit": pulp.LpSolveStatus.TimeLimit, "kIterationLimit": pulp.LpSolveStatus.IterationLimit,
    "kSolutionLimit": pulp.LpSolveStatus.SolutionLimit, "kMemoryLimit": pulp.LpSolveStatus.MemoryLimit,
}
"""HiGHS's model status -> PuLP's, as `pulp.HiGHS.findSolutionValues` maps them (others: Undefined)."""
_STOPPED_EARLY = frozenset({"kObjectiveBound", "kObjectiveTarget", "kInterrupt", "kTimeLimit", "kIterationLimit",
                            "kSolutionLimit", "kMemoryLimit"})


def _highs_status(status: Any) -> tuple[bool, bool]:
    """(optimal, stopped early with perhaps a plan) for a HiGHS model status."""
    name = str(status).rsplit(".", 1)[-1]
    return name == "kOptimal", name in _STOPPED_EARLY


def make_solver(
    name: str, time_limit_s: float | None, threads: int, gap: float | None, columns: int = 0, integer: bool = False,
    matrix: Matrix | None = None, log: bool = False,
) -> tuple[Any, SolverInfo]:
    """The PuLP solver object for `name` (highs or cbc), and its name and version. With `log`, the
    solver writes its log (see `planner.native_output` for where it goes).

    Raises:
        SolverError: The solver is not installed.
    """
    solver: Any
    if name == "highs":
        method = {"solver": "ipm"} if columns >= IPM_FROM_COLUMNS and not integer else {}
        solver = TimedHiGHS(matrix=matrix, msg=log, timeLimit=time_limit_s, threads=threads, gapRel=gap, **method)
        if not solver.available():
            raise SolverError("HiGHS is not available: install highspy (pip install highspy)")
        return solver, SolverInfo("HiGHS", _highs_version())
    if name == "cbc":
        # CBC prints solutions with 8 significant digits by default: too coarse for the re-check
        # (1e-6 + 1e-9 x |rhs|), so ask for full doubles.
        solver = pulp.COIN_CMD(  # type: ignore[no-untyped-call]
            msg=log, timeLimit=time_limit_s, threads=threads, gapRel=gap, options=["precision %.17g"]
        )
        if not solver.available():
            raise SolverError("CBC is not available: install it with pip install 'pulp[cbc]'")
        return solver, SolverInfo("CBC", _cbc_version(solver.path))
    raise SolverError(f"unknown solver '{name}'; expected one of {', '.join(SOLVERS)}")


def _status(stats: Answer) -> Status:
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


def _values_by_id(model: Model, solver: Any) -> np.ndarray:
    """Every variable's value, by id: from the direct hand-over's arrays, else from PuLP."""
    values = getattr(solver, "col_value", None)
    if values is None:
        values = np.array([v.value or 0.0 for v in model.problem._model.list_variables()], dtype=np.float64)  # noqa: SLF001
    # Clean solver noise (-1e-12) so the reports never show "-0.0 units".
    return np.where(np.abs(values) < 1e-9, 0.0, values)


def read_solution(model: Model, values: np.ndarray | None = None) -> Solution:
    """The variable values of a solved model, as plain floats."""
    if values is None:
        values = _values_by_id(model, None)

    def family(name: str) -> dict[Any, float]:
        return dict(zip(getattr(model, name), values[model.ids(name)].tolist(), strict=True))

    return Solution(
        new=family("new"), mod=family("mod"), gen=family("gen"), disp=family("disp"),
        lease=family("lease"), train=family("train"), infer=family("infer"),
    )


def solve(
    model: Model,
    solver_name: str = "highs",
    time_limit_s: float | None = None,
    threads: int = 1,
    gap: float | None = None,
    warm: WarmStart | None = None,
    log: bool = False,
) -> SolveResult:
    """Solve `model`; values are read only when the solver returned a plan. `warm`: see `WarmStart`
    (HiGHS only). Nothing the solver prints reaches stdout; with `log`, its log goes to stderr.

    With HiGHS, the model's matrix is handed over directly and PuLP's copy of the LP is released
    (`Model.release_pulp`); above `KEEP_HIGHS_UP_TO_COLUMNS`, so is HiGHS's once a plan is read.

    Raises:
        SolverError: The solver is missing or failed outright.
    """
    with diverted_stdout(log_to_stderr=log):
        return _solve(model, solver_name, time_limit_s, threads, gap, warm, log)


def _solve(
    model: Model, solver_name: str, time_limit_s: float | None, threads: int, gap: float | None,
    warm: WarmStart | None, log: bool,
) -> SolveResult:
    columns = model.matrix.shape[1] if model.matrix is not None else model.problem.numVariables()
    solver, info = make_solver(solver_name, time_limit_s, threads, gap, columns, model.integer, model.matrix, log)
    started = time.perf_counter()
    try:
        answer = solver.solve_direct(model, warm) if isinstance(solver, TimedHiGHS) else None
        if answer is None:
            stats = model.problem.solve(solver)
            answer = Answer(stats.status, stats.has_solution, stats.objective, stats.best_bound)
    except pulp.PulpSolverError as error:
        raise SolverError(f"{info.name} failed: {error}") from None
    solved = time.perf_counter()
    status = _status(answer)
    seconds = {"solve": solved - started, **getattr(solver, "seconds", {})}
    # Reading back runs from the end of HiGHS's run (the answer as arrays) to the duals by name.
    read_started = solved - (seconds["solve"] - seconds["hand_over"] - seconds["solver"] if "solver" in seconds else 0)
    result = SolveResult(
        status=status, solver=info, objective_value=answer.objective, best_bound=answer.best_bound,
        solution=None, seconds=seconds, detail=answer.status.name,
    )
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        result.solution = read_solution(model, _values_by_id(model, solver))
        if model.integer:
            # A MILP has no duals: fix the whole units and modules, solve the LP that is left.
            result.duals_note = (
                "integer plan: shadow prices are those of the LP with whole units and modules fixed at the plan's"
                " values, so they price only what is left free (dispatch, leases, assignment)"
            )
            if model.highs is not None:
                fixed_optimal = _fix_integers_in_highs(model, solver)
            else:
                _fix_integers(model)
                solver, _ = make_solver(solver_name, time_limit_s, threads, None, log=log)
                fixed_optimal = model.problem.solve(solver).status == pulp.LpSolveStatus.Optimal
            if not fixed_optimal:
                result.duals_note = "integer plan: the LP with whole units fixed did not solve, so no shadow prices"
                result.seconds["read_back"] = time.perf_counter() - read_started
                return result
        _read_duals(model, result, solver)
        if columns > KEEP_HIGHS_UP_TO_COLUMNS:
            # Nothing re-solves a model this size (see planner.ranging); HiGHS's working memory
            # (~300 MB at 286k columns) goes.
            model.highs = None
        result.seconds["read_back"] = time.perf_counter() - read_started
    return result


def _fix_integers(model: Model) -> None:
    """Whole units and modules fixed at the plan's values, in PuLP's problem (CBC)."""
    for family in ("new", "mod"):
        variables = getattr(model, family)
        for variable in variables.values():
            value = float(round(variable.varValue or 0.0))
            variable.cat = "Continuous"
            variable.lowBound = value
            variable.upBound = value


def _fix_integers_in_highs(model: Model, solver: TimedHiGHS) -> bool:
    """Whole units and modules fixed at the plan's values in the solved HiGHS model (and the
    matrix), re-run as an LP; whether it solved to optimality."""
    import highspy  # noqa: PLC0415 - pulp.HiGHS imported it already

    matrix, highs, values = model.matrix, model.highs, solver.col_value
    assert matrix is not None
    assert values is not None
    ids = np.concatenate([model.ids("new"), model.ids("mod")])
    fixed = np.round(values[ids])
    matrix.col_lower[ids] = fixed
    matrix.col_upper[ids] = fixed
    matrix.integer[ids] = False
    handed = solver.column[ids] >= 0  # PuLP hands over only variables in use
    columns, fixed = solver.column[ids][handed].astype(np.int32), fixed[handed]
    highs.changeColsIntegrality(len(columns), columns, np.full(len(columns), highspy.HighsVarType.kContinuous))
    highs.changeColsBounds(len(columns), columns, fixed, fixed)
    solver.timed("solver", lambda _: highs.run(), None)
    code, _ = solver.read_arrays(highs)
    return bool(code == pulp.LpSolveStatus.Optimal)


def _read_duals(model: Model, result: SolveResult, solver: Any) -> None:
    duals, slacks = getattr(solver, "row_dual", None), getattr(solver, "row_slack", None)
    if duals is not None and slacks is not None and len(duals) == len(model.rows):
        names = [row.name for row in model.rows]
        result.duals = dict(zip(names, duals.tolist(), strict=True))
        result.slacks = dict(zip(names, slacks.tolist(), strict=True))
        return
    for constraint in model.problem.constraints():
        result.duals[constraint.name] = float(constraint.pi or 0.0)
        result.slacks[constraint.name] = float(constraint.slack or 0.0)
