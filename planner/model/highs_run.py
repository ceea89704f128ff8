"""The solver's answer in planner's terms (status, arrays in the LP's order), and HiGHS run
in-process through highspy's public API: the pieces that `planner.model.solve` and the
whole-unit search (`planner.model.whole`) both use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from planner.model.lp import LinearProgram
from planner.model.native_output import diverted_stdout

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


@dataclass(frozen=True)
class SolverOptions:
    """How to run a solver: what the user chose, and whether to show its log (on stderr)."""

    time_limit_s: float | None = None
    threads: int = 1
    gap: float | None = None
    log: bool = False
    max_nodes: int | None = None
    """Stop a MILP's branch and bound after this many nodes: a limit on work that, unlike a time
    limit, ends at the same plan on any machine."""
    objective_target: float | None = None
    """Stop a MILP at its first plan at least this good (in the LP's own sense): for a rounding
    that is wanted for a plan within the target gap, not for the best plan of its neighbourhood."""
    plan_heuristics: bool = True
    """False: HiGHS's heuristics that look for plans (sub-MIPs from the root's reduced costs, and
    every heuristic in the tree) stay off. For a search wanted for its bound, whose plans the
    branching finds anyway: on Louisiana's modules they cost more than the tree they save."""


@dataclass
class Answer:
    """What any solver returned, as arrays in the LP's order."""

    status: Status
    detail: str
    """The solver's own word for how it ended."""
    time_limit_reached: bool = False
    objective: float | None = None
    best_bound: float | None = None
    values: np.ndarray | None = None
    duals: np.ndarray | None = None
    slacks: np.ndarray | None = None


# --- HiGHS, in-process --------------------------------------------------------------------

_HIGHS_STATUS = {
    "kOptimal": Status.OPTIMAL, "kInfeasible": Status.INFEASIBLE, "kUnbounded": Status.UNBOUNDED,
}
"""HiGHS's model status -> planner's. Any other status (time, iteration, gap or memory limit,
interrupt, error) is FEASIBLE when HiGHS holds a feasible plan, else NO_SOLUTION."""


def highs_available() -> bool:
    """Whether highspy can be imported here (the solver stack is not imported to find out)."""
    import importlib.util  # noqa: PLC0415

    return importlib.util.find_spec("highspy") is not None


@functools.cache
def highs_version() -> str:
    """HiGHS's version, asked once a process: each asking builds a `Highs` (some 8 ms, paid by every
    solve before, and the risk sweep's 30 solves)."""
    import highspy  # noqa: PLC0415 - the solver stack loads only where a plan is solved

    with diverted_stdout():
        return str(highspy.Highs().version())  # type: ignore[no-untyped-call]


def uses_ipm(lp: LinearProgram) -> bool:
    """Whether HiGHS solves `lp` by its interior-point method (a large LP; never a MILP)."""
    return lp.shape[1] >= IPM_FROM_COLUMNS and not lp.is_mip


def row_scale(lp: LinearProgram) -> np.ndarray | None:
    """What each row of `lp` is multiplied by in HiGHS's model (`LinearProgram.money_row_scale` for
    the IPM and for a MILP; None: rows as built). A MILP's answer passes HiGHS's own last check,
    which holds every row of the unscaled model to an absolute 1e-6: a budget row in USD (right-hand
    side 6e9, a part's price 1.6e9) missed it by 1.9e-6, a relative 3e-16, and HiGHS then called
    the plan it had proven optimal a solve error."""
    return lp.money_row_scale if lp.is_mip or uses_ipm(lp) else None


def _set_options(highs: Any, lp: LinearProgram, options: SolverOptions) -> None:
    """HiGHS's options for `lp` as `options` asks."""
    highs.setOptionValue("output_flag", options.log)
    highs.setOptionValue("threads", options.threads)
    if options.time_limit_s is not None:
        highs.setOptionValue("time_limit", float(options.time_limit_s))
    if options.gap is not None:
        highs.setOptionValue("mip_rel_gap", float(options.gap))
    if options.max_nodes is not None:
        highs.setOptionValue("mip_max_nodes", int(options.max_nodes))
    if lp.is_mip:
        if options.objective_target is not None:
            highs.setOptionValue("objective_target", float(options.objective_target))
        highs.setOptionValue("mip_heuristic_run_rins", False)
        highs.setOptionValue("mip_heuristic_run_rens", False)
        if not options.plan_heuristics:
            highs.setOptionValue("mip_heuristic_run_root_reduced_cost", False)
            highs.setOptionValue("mip_heuristic_effort", 0.0)
    if uses_ipm(lp):
        highs.setOptionValue("solver", "ipm")


def highs_model(lp: LinearProgram, options: SolverOptions, names: bool = False) -> Any:
    """A `highspy.Highs` holding `lp`, its options set (IPM for large LPs, its money rows then
    scaled: `row_scale`); with `names`, the columns and rows named (for MPS files). `run_highs`
    reads the answer back in the LP's own units."""
    import highspy  # noqa: PLC0415

    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    _set_options(highs, lp, options)
    m, n = lp.shape
    empty = np.zeros(0, dtype=np.int32)
    highs.addCols(n, lp.cost, lp.col_lower, lp.col_upper, 0, empty, empty, np.zeros(0))
    if lp.is_mip:
        integer = np.flatnonzero(lp.col_integer).astype(np.int32)
        highs.changeColsIntegrality(len(integer), integer, np.full(len(integer), highspy.HighsVarType.kInteger))
    if lp.maximize:
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if lp.offset:
        highs.changeObjectiveOffset(lp.offset)
    # Zero coefficients stay out of HiGHS's matrix.
    row_lower, row_upper, row_values = lp.scaled_rows(row_scale(lp))
    keep = row_values != 0
    starts = np.concatenate([[0], np.cumsum(keep)])[lp.row_starts]
    highs.addRows(m, row_lower, row_upper, int(starts[-1]), starts[:-1].astype(np.int32),
                  lp.row_columns[keep].astype(np.int32), row_values[keep])
    if names:
        for column, name in enumerate(lp.column_names()):
            highs.passColName(column, name)
        for row, name in enumerate(lp.row_names()):
            highs.passRowName(row, name)
    return highs


def run_highs(highs: Any, lp: LinearProgram) -> Answer:
    """Run HiGHS on the LP it holds and read the answer back as arrays."""
    highs.run()
    status = highs.getModelStatus()
    word = highs.modelStatusToString(status)
    name = str(status).rsplit(".", 1)[-1]
    if name == "kUnboundedOrInfeasible":
        # Presolve saw one or the other; without presolve HiGHS tells which.
        highs.setOptionValue("presolve", "off")
        highs.run()
        highs.setOptionValue("presolve", "choose")
        status = highs.getModelStatus()
        word, name = highs.modelStatusToString(status), str(status).rsplit(".", 1)[-1]
    info = highs.getInfo()
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    ours = _HIGHS_STATUS.get(name, Status.FEASIBLE if has_plan else Status.NO_SOLUTION)
    answer = Answer(ours, word, time_limit_reached=name == "kTimeLimit")
    if ours not in (Status.OPTIMAL, Status.FEASIBLE):
        return answer
    solution = highs.getSolution()
    answer.values = np.asarray(solution.col_value, dtype=np.float64)
    answer.objective = float(info.objective_function_value)
    if lp.is_mip and np.isfinite(info.mip_dual_bound):
        answer.best_bound = float(info.mip_dual_bound)
    if lp.is_mip:
        _check_objective(lp, answer)
    if solution.dual_valid:
        duals, activity = np.asarray(solution.row_dual, dtype=np.float64), np.asarray(solution.row_value)
        scale = row_scale(lp)
        if scale is not None:
            duals, activity = duals * scale, activity / scale
        answer.duals, answer.slacks = duals, lp.slack(activity)
    return answer


OBJECTIVE_AGREES = 1e-7
"""How far, relative to the objective, HiGHS's reported objective may be from its plan's."""


def _check_objective(lp: LinearProgram, answer: Answer) -> None:
    """A MILP's objective as its plan has it. HiGHS 1.16, started from a plan (`setSolution`), has
    reported a proven optimum three times what that plan, which it returned, is worth (Ohio's
    module search with $6B of capex in 2027; without presolve the same MILP came out right): where
    the two disagree, the plan's value stands, unproven, and its bound is dropped."""
    assert answer.values is not None
    assert answer.objective is not None
    value = float(lp.cost @ answer.values) + lp.offset
    if abs(value - answer.objective) > OBJECTIVE_AGREES * max(1.0, abs(value)):
        answer.objective, answer.best_bound = value, None
        answer.status = Status.FEASIBLE
        answer.detail += " (its objective disagreed with its plan's: the plan's stands, unproven)"


def change_row_bounds(highs: Any, lp: LinearProgram, row: int, lower: float, upper: float) -> None:
    """Set row `row`'s bounds, given in the LP's own units, in the HiGHS model built from `lp`."""
    scale = row_scale(lp)
    factor = 1.0 if scale is None else float(scale[row])
    highs.changeRowBounds(row, lower * factor, upper * factor)
