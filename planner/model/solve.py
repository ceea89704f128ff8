"""Solve a `LinearProgram`: HiGHS in-process through highspy's public API (the default), or any
solver PuLP reaches (CBC and whatever else is installed) through PuLP's public API.

Both paths take the same immutable LP and answer with the same arrays: column values, row
duals and slacks, in the LP's order. Values are read only when the solver returned a plan.
"""

from __future__ import annotations

import errno
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from planner.errors import SolverError
from planner.model.highs_run import (
    IPM_FROM_COLUMNS,
    Answer,
    SolverInfo,
    SolverOptions,
    Status,
    highs_available,
    highs_model,
    highs_version,
    run_highs,
)
from planner.model.lp import LinearProgram
from planner.model.memory import release_freed_memory
from planner.model.native_output import diverted_stdout
from planner.model.solution import Solution
from planner.model.variables import Model
from planner.model.whole import WholeColumns, linear_relaxation, pricing_lp, relative_gap, solve_whole, target_gap
from planner.tolerances import SOLVER_NOISE

log = logging.getLogger(__name__)

KEEP_HIGHS_UP_TO_COLUMNS = 50_000
"""Above this many columns the solved HiGHS model is released once its answer is read: nothing
re-solves it (ranging's whole-step re-solves cost more than they tell at that size)."""


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
    time_limit_reached: bool = False
    duals_note: str = ""
    """How the duals were obtained, when not from the solve itself (integer mode)."""
    whole_method: str = ""
    """How units and modules were made whole (`planner.model.whole`); empty for an LP."""
    target_gap: float | None = None
    """The gap at which a whole plan is good enough (`whole.target_gap`); None for an LP."""
    binding_slacks: dict[str, float] = field(default_factory=dict)
    """Whole units: each row's slack in the LP that prices the plan (`whole.pricing_lp`), which
    decides whether a limit binds; empty when `slacks` decide."""

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL, Status.FEASIBLE) and self.solution is not None

    @property
    def gap(self) -> float | None:
        """Relative gap between the plan found and the best bound (MILP only): `whole.relative_gap`."""
        if self.objective_value is None or self.best_bound is None:
            return None
        return relative_gap(self.best_bound, self.objective_value)


@dataclass
class WarmStart:
    """The last optimal basis, and the LP it belongs to: the next solve starts from it when its LP
    has the same rows, columns and nonzero pattern (a sweep run that changes only numbers).

    Only below `IPM_FROM_COLUMNS`: above, HiGHS runs its interior-point method, which does not
    start from a basis. On the Ohio plan, a 10 x 10 grid of prices and budgets took HiGHS 9.4 ms
    a run from scratch and 1.0 ms from the previous run's basis; 15 of the 101 runs ended at
    another optimal plan of the same objective (the LP has ties)."""

    basis: Any = None
    structure: tuple[np.ndarray, np.ndarray] | None = None
    """(row starts, column of each term) of the basis's LP."""
    started: int = 0
    """Solves that started from a kept basis."""

    def fits(self, lp: LinearProgram) -> bool:
        if self.basis is None or self.structure is None or lp.shape[1] >= IPM_FROM_COLUMNS:
            return False
        starts, columns = self.structure
        return np.array_equal(starts, lp.row_starts) and np.array_equal(columns, lp.row_columns)

    def keep(self, lp: LinearProgram, basis: Any) -> None:
        self.basis, self.structure = basis, (lp.row_starts, lp.row_columns)


# --- every other solver, through PuLP ------------------------------------------------------

def _pulp_solver(name: str, options: SolverOptions) -> tuple[Any, SolverInfo]:
    import pulp  # noqa: PLC0415

    common = {"msg": options.log, "timeLimit": options.time_limit_s, "gapRel": options.gap}
    if name == "cbc":
        # CBC prints solutions with 8 significant digits by default: too coarse for the re-check
        # (1e-6 + 1e-9 x |rhs|), so ask for full doubles.
        solver: Any = pulp.COIN_CMD(  # type: ignore[no-untyped-call]
            threads=options.threads, options=["precision %.17g"], **common)
        if not solver.available():
            raise SolverError("CBC is not available: install it with pip install 'ai-capacity-planner[cbc]'")
        return solver, SolverInfo("CBC", _cbc_version(solver.path))
    known = {solver.lower(): solver for solver in pulp.listSolvers()}
    if name.lower() not in known:
        raise SolverError(f"unknown solver '{name}'; expected highs, cbc or one of PuLP's: "
                          f"{', '.join(pulp.listSolvers(onlyAvailable=True))}")
    solver = pulp.getSolver(known[name.lower()], **common)
    if not solver.available():
        raise SolverError(f"{known[name.lower()]} is not available here; installed: "
                          f"{', '.join(pulp.listSolvers(onlyAvailable=True))}")
    return solver, SolverInfo(f"{known[name.lower()]} through PuLP", "unknown")


CBC_NAMES = frozenset({"COIN_CMD", "PULP_CBC_CMD"})


def _cbc_version(path: str) -> str:
    import re  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    try:
        output = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"Version:\s*(\S+)", output)
    return match[1] if match else "unknown"


def pulp_problem(lp: LinearProgram) -> tuple[Any, list[Any]]:
    """`lp` as a PuLP problem, built through PuLP's public API, and its variables in column order."""
    import pulp  # noqa: PLC0415

    problem = pulp.LpProblem(lp.name, pulp.LpMaximize if lp.maximize else pulp.LpMinimize)
    variables = [
        problem.add_variable(name, float(low), float(up) if np.isfinite(up) else None,
                             "Integer" if integer else "Continuous")
        for name, low, up, integer in zip(lp.column_names(), lp.col_lower.tolist(), lp.col_upper.tolist(),
                                          lp.col_integer.tolist(), strict=True)
    ]
    starts, columns, values = lp.row_starts.tolist(), lp.row_columns.tolist(), lp.row_values.tolist()
    for i, row in enumerate(lp.rows):
        a, b = starts[i], starts[i + 1]
        expression = pulp.lpSum_vars_coefs([(variables[j], v) for j, v in zip(columns[a:b], values[a:b],
                                                                               strict=True)])
        constraint = {"<=": expression <= row.rhs, ">=": expression >= row.rhs, "==": expression == row.rhs}
        problem.addConstraint(constraint[row.sense], row.name)
    used = np.flatnonzero(lp.cost)
    problem.setObjective(pulp.lpSum_vars_coefs([(variables[j], float(lp.cost[j])) for j in used.tolist()])
                         + lp.offset)
    return problem, variables


def run_pulp(lp: LinearProgram, solver: Any, name: str) -> Answer:
    """Solve `lp` with a PuLP solver (called `name` in messages) and read the answer back as arrays.

    Raises:
        SolverError: The solver failed outright.
    """
    import pulp  # noqa: PLC0415

    problem, variables = pulp_problem(lp)
    try:
        stats = problem.solve(solver)
    except pulp.PulpSolverError as error:
        raise SolverError(f"{name} failed: {error}") from None
    code = pulp.LpSolveStatus
    # CBC ends a MILP it has solved to within its gap tolerance ("Optimal solution found (within gap
    # tolerance)", gap 0 on a small plan) as GapLimit: optimal in HiGHS's sense too (kOptimal
    # within mip_rel_gap), so not a plan "stopped at a limit".
    if stats.status in (code.Optimal, code.GapLimit) and stats.has_solution:
        status = Status.OPTIMAL
    elif stats.status == code.Infeasible:
        status = Status.INFEASIBLE
    elif stats.status == code.Unbounded:
        status = Status.UNBOUNDED
    else:
        status = Status.FEASIBLE if stats.has_solution else Status.NO_SOLUTION
    answer = Answer(status, stats.status.name, time_limit_reached=stats.status == code.TimeLimit)
    if status not in (Status.OPTIMAL, Status.FEASIBLE):
        return answer
    answer.values = np.array([v.varValue or 0.0 for v in variables], dtype=np.float64)
    answer.objective = float(stats.objective) if stats.objective is not None else None
    answer.best_bound = float(stats.best_bound) if stats.best_bound is not None and lp.is_mip else None
    if not lp.is_mip:
        duals = np.array([c.pi or 0.0 for c in problem.constraints()], dtype=np.float64)
        # CBC solves a maximisation as the minimisation of its negative and reports that problem's
        # duals; planner's are the change in the plan's own objective per unit of a row's bound.
        answer.duals = -duals if lp.maximize and solver.name in CBC_NAMES else duals
        answer.slacks = lp.slack(lp.activity(answer.values))
    return answer


# --- one entry point -----------------------------------------------------------------------

def solve(
    model: Model,
    solver_name: str = "highs",
    time_limit_s: float | None = None,
    threads: int = 1,
    gap: float | None = None,
    warm: WarmStart | None = None,
    log: bool = False,
) -> SolveResult:
    """Solve `model`'s LP; values are read only when the solver returned a plan. `warm`: see
    `WarmStart` (HiGHS only). Nothing the solver prints reaches stdout; with `log`, its log goes
    to stderr. With HiGHS, the solved model is kept on `model.highs` for re-solves (ranging, IIS)
    up to `KEEP_HIGHS_UP_TO_COLUMNS` columns.

    Raises:
        SolverError: The solver is missing or failed outright.
    """
    options = SolverOptions(time_limit_s, threads, gap, log)
    with diverted_stdout(log_to_stderr=log):
        if solver_name == "highs":
            return _solve_highs(model, options, warm)
        return _solve_pulp(model, solver_name, options)


def whole_columns(model: Model) -> WholeColumns | None:
    """The columns that must come out whole (units bought or retired, modules), or None for the LP
    (`--continuous`) or a plan with none."""
    if not model.integer:
        return None
    n = model.columns
    units, modules = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    units[model.ids("new")] = True
    units[model.ids("retire")] = True
    units[model.ids("keep")] = True  # an installed lot's units still in service: whole, as those retired
    modules[model.ids("mod")] = True
    # Units of generation: few and large, searched with the modules (rounded with the racks instead,
    # Louisiana's step re-solves took 17-25 s against 8, two of them ending in a full branch and bound);
    # free when the limits are priced, so that what may be built is priced.
    generation = np.zeros(n, dtype=bool)
    generation[model.ids("blk")] = True
    modules |= generation
    runs = (*_runs(model.mod, model.first_id.get("mod", 0)), *_runs(model.blk, model.first_id.get("blk", 0)))
    return WholeColumns(units, modules, generation, runs) if units.any() or modules.any() else None


def _runs(keys: list[tuple[int, int, int]], first: int) -> list[np.ndarray]:
    """Columns keyed (site, hall or source, quarter) from column `first`, as runs of one hall or source in
    quarter order (those of two quarters or more)."""
    by_place: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for offset, (site, place, quarter) in enumerate(keys):
        by_place.setdefault((site, place), []).append((quarter, first + offset))
    return [np.array([column for _, column in sorted(run)], dtype=np.int64)
            for run in by_place.values() if len(run) > 1]


def _solve_highs(model: Model, options: SolverOptions, warm: WarmStart | None) -> SolveResult:
    lp = model.linear_program
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if not highs_available():
        raise SolverError("HiGHS is not available: install highspy (pip install highspy)")
    info = SolverInfo("HiGHS", highs_version())
    whole = whole_columns(model)
    first = lp if whole is None else linear_relaxation(lp)  # the LP, or the whole search's step 1
    highs = highs_model(first, options)
    if warm is not None and warm.fits(lp) and not lp.is_mip:
        highs.setBasis(warm.basis)
        warm.started += 1
    seconds["hand_over"] = time.perf_counter() - started
    started = time.perf_counter()
    method = ""
    if whole is None:
        answer = run_highs(highs, lp)
    else:
        # The relaxation is solved on `highs` (kept for an infeasible plan's diagnosis), the search
        # for whole units on models of its own.
        found = solve_whole(lp, whole, options, relaxation=run_highs(highs, first))
        answer, method = found.answer, found.method
    seconds["solver"] = time.perf_counter() - started
    started = time.perf_counter()
    if warm is not None and answer.status == Status.OPTIMAL and not lp.is_mip:
        warm.keep(lp, highs.getBasis())
    keep = lp.shape[1] <= KEEP_HIGHS_UP_TO_COLUMNS
    if not keep:
        # The answer is in arrays: HiGHS frees the model before they become Python objects (values
        # by key, duals and slacks by row name), which would otherwise pile on top of HiGHS's working
        # memory, a large plan's peak (15 MB more at 300 sites: bench/README.md).
        highs = None
        release_freed_memory()
    result = _result(model, answer, info, seconds, whole, method, options)
    if result.solution is not None and lp.is_mip:
        # A MILP has no duals: fix its integer columns, solve the LP that is left.
        fixed = _fixed_lp(model, answer)
        highs = highs_model(fixed, options)
        _take_fixed(model, result, answer, run_highs(highs, fixed))
        if whole is not None and answer.values is not None and result.duals_note == INTEGER_DUALS_NOTE:
            pricing = pricing_lp(lp, whole, answer.values)
            _take_pricing(model, result, answer, run_highs(highs_model(pricing, options), pricing))
        if not keep:
            highs = None  # as above
            release_freed_memory()
    if result.solution is not None:
        _read_duals(model, result, answer)
    model.highs = highs
    seconds["read_back"] = time.perf_counter() - started
    return result


def whole_objective(model: Model, lp: LinearProgram, options: SolverOptions) -> float | None:
    """The objective `plan optimize` would report for `lp`, a variant of `model`'s LP (one bound
    moved): the same whole-unit search, then the LP with its integer columns fixed. None without a
    plan. HiGHS only; what a what-if with that change returns, to the last digit."""
    whole = whole_columns(model)
    assert whole is not None
    with diverted_stdout(log_to_stderr=options.log):
        found = solve_whole(lp, whole, options)
        if found.answer.values is None:
            return None
        integer = np.flatnonzero(lp.col_integer)
        fixed = lp.with_columns_fixed(integer, np.round(found.answer.values[integer]))
        answer = run_highs(highs_model(fixed, options), fixed)
    return answer.objective if answer.status == Status.OPTIMAL else None


INTEGER_DUALS_NOTE = (
    "integer plan: shadow prices are those of the LP with its whole-number and yes-or-no decisions fixed at"
    " the plan's values, so they price only what is left free (dispatch, leases, assignment)"
)
WHOLE_DUALS_NOTE = (
    "whole units: marginal values are the shadow prices of the LP with the plan's modules and yes-or-no"
    " choices fixed and its units free to move in fractions, which hold for small steps; a limit binds where"
    " that LP fills it (the whole plan may leave less than a unit's room); the top limits' steps are re-solved"
    " in whole units"
)
STACK_DUALS_NOTE = (
    "software stacks chosen: shadow prices are those of the LP with the stacks in use each year fixed"
    " as chosen, so they price the other limits for that choice; a stack's worth is a what-if (plan whatif)"
)


def _fixed_lp(model: Model, answer: Answer) -> LinearProgram:
    """The LP with every integer column (whole units and modules under `--integer`, yes-or-no
    decisions: software stacks, training clusters) fixed at the plan's values, rounded (for an
    integer plan's duals and the plan it reports)."""
    assert answer.values is not None
    columns = np.flatnonzero(model.linear_program.col_integer)
    return model.linear_program.with_columns_fixed(columns, np.round(answer.values[columns]))


def _take_fixed(model: Model, result: SolveResult, answer: Answer, fixed: Answer) -> None:
    """Duals and slacks from the LP with the integer columns fixed (`_fixed_lp`), and, when it
    solved, its plan: the same one with those columns exactly whole, so that a stack not in use
    buys exactly nothing (the MILP's tolerance, 1e-6 on a binary, times a big M of thousands of
    units, could leave a fraction of a unit)."""
    result.duals_note = STACK_DUALS_NOTE if not model.integer else INTEGER_DUALS_NOTE
    if model.use and model.integer:
        result.duals_note = INTEGER_DUALS_NOTE + "; the software stacks in use are fixed as chosen too"
    if fixed.status != Status.OPTIMAL or fixed.values is None:
        result.duals_note = "integer plan: the LP with whole units fixed did not solve, so no shadow prices"
    else:
        result.solution = read_solution(model, fixed.values)
        result.objective_value = fixed.objective
    answer.duals, answer.slacks = fixed.duals, fixed.slacks


def _take_pricing(model: Model, result: SolveResult, answer: Answer, pricing: Answer) -> None:
    """Whole units: the duals of `whole.pricing_lp`, and which limits it fills (`binding_slacks`)."""
    if pricing.duals is None or pricing.slacks is None:
        return  # the fixed LP's duals stand, with their note
    answer.duals = pricing.duals
    result.binding_slacks = dict(zip([row.name for row in model.rows], pricing.slacks.tolist(), strict=True))
    result.duals_note = WHOLE_DUALS_NOTE


def _solve_pulp(model: Model, solver_name: str, options: SolverOptions) -> SolveResult:
    lp = model.linear_program
    solver, info = _pulp_solver(solver_name, options)
    started = time.perf_counter()
    whole = whole_columns(model)
    method = ""
    if whole is None:
        answer = run_pulp(lp, solver, info.name)
    else:
        def run(part: LinearProgram, part_options: SolverOptions, start: np.ndarray | None) -> Answer:
            # PuLP's solvers start from variables' initial values only where they support it: none here.
            return run_pulp(part, _pulp_solver(solver_name, part_options)[0], info.name)

        found = solve_whole(lp, whole, options, run=run)
        answer, method = found.answer, found.method
    seconds = {"solver": time.perf_counter() - started}
    result = _result(model, answer, info, seconds, whole, method, options)
    if result.solution is not None and lp.is_mip:
        # The fixed LP has no integer columns left: no gap to stop at.
        fixed = run_pulp(_fixed_lp(model, answer), _pulp_solver(solver_name, replace(options, gap=None))[0], info.name)
        _take_fixed(model, result, answer, fixed)
        if whole is not None and answer.values is not None and result.duals_note == INTEGER_DUALS_NOTE:
            _take_pricing(model, result, answer, run(pricing_lp(lp, whole, answer.values), options, None))
    if result.solution is not None:
        _read_duals(model, result, answer)
    return result


def _result(model: Model, answer: Answer, info: SolverInfo, seconds: dict[str, float], whole: WholeColumns | None,
            method: str, options: SolverOptions) -> SolveResult:
    """The answer as a `SolveResult`; with `whole`, how the units were made whole (`method`) and the
    gap they were made whole to."""
    result = SolveResult(
        status=answer.status, solver=info, objective_value=answer.objective, best_bound=answer.best_bound,
        solution=None, seconds=dict(seconds), detail=answer.detail, time_limit_reached=answer.time_limit_reached,
    )
    if whole is not None:
        result.whole_method, result.target_gap = method, target_gap(options)
    if answer.values is not None:
        result.solution = read_solution(model, answer.values)
    result.seconds["solve"] = sum(seconds.values())
    return result


def read_solution(model: Model, values: np.ndarray) -> Solution:
    """The column values of a solved model, as plain floats by family and key."""
    values = np.where(np.abs(values) < SOLVER_NOISE, 0.0, values)

    def family(name: str) -> dict[Any, float]:
        return dict(zip(getattr(model, name), values[model.ids(name)].tolist(), strict=True))

    return Solution(
        new=family("new"), mod=family("mod"), gen=family("gen"), disp=family("disp"),
        lease=family("lease"), train=family("train"), infer=family("infer"), use=family("use"),
        retire={key: n for key, n in family("retire").items() if n},
        ctrain={key: n for key, n in family("ctrain").items() if n},
    )


def _read_duals(model: Model, result: SolveResult, answer: Answer) -> None:
    if answer.duals is None or answer.slacks is None:
        return
    names = [row.name for row in model.rows]
    result.duals = dict(zip(names, answer.duals.tolist(), strict=True))
    result.slacks = dict(zip(names, answer.slacks.tolist(), strict=True))


def write_mps(lp: LinearProgram, path: str) -> None:
    """Write `lp` as a free-format MPS file, columns and rows named, through HiGHS: the LP exactly
    as HiGHS solves it (money rows in units of $100k for a MILP or the IPM: `highs_run.row_scale`).

    Raises:
        OSError: HiGHS could not write the whole file (a full disk, a file-size limit).
    """
    import highspy  # noqa: PLC0415

    with diverted_stdout():
        highs = highs_model(lp, SolverOptions(), names=True)
        status = highs.writeModel(path)
    if status != highspy.HighsStatus.kOk or not _ends_with_endata(path):
        # HiGHS reports no error when a write is cut short (a full disk, a file-size limit): an MPS
        # file is whole only when it ends with its ENDATA line.
        raise OSError(errno.EIO, "HiGHS could not write the whole MPS file (disk full or a file-size limit?)")


def _ends_with_endata(path: str) -> bool:
    try:
        with open(path, "rb") as stream:  # noqa: PTH123 - HiGHS takes the name as text
            stream.seek(0, 2)
            stream.seek(max(0, stream.tell() - 64))
            return stream.read().rstrip().endswith(b"ENDATA")
    except OSError:
        return False


__all__ = [
    "Answer", "SolveResult", "SolverInfo", "SolverOptions", "Status", "WarmStart", "highs_model", "pulp_problem",
    "read_solution", "run_highs", "solve", "whole_columns", "whole_objective", "write_mps",
]
