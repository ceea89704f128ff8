"""Whole racks, servers and modules: a plan in whole units from the LP, its gap to the LP's bound stated.

A MILP over every unit and module proves its answer but costs 25-90 times the LP on the shipped
plans (bench/README.md). Most of that work is spent on a handful of fractional modules; units come
in thousands and round at almost no cost. So the search goes, each step a solve of its own:

1. The LP relaxation (units and modules continuous; yes-or-no choices stay binary). Its objective
   is the bound no whole plan can beat.
2. The modules made whole, each choice fixed in turn while the units are re-optimised as an LP:
   every fraction rounded up (keeps every unit the LP placed), then to nearest and down (only where
   step 4 cannot run: it weighs every choice of module).
3. For each, the units rounded in the LP's own neighbourhood: a MILP in which every unit column
   may only take the whole number just below or just above its LP value, the modules fixed
   (Berthold's RENS, "Relaxation enforced neighborhood search", 2007). It is tiny after presolve.
4. The first plan within the target gap is kept, else the best. When its gap to the LP's bound
   exceeds the target, the LP's bound may be what is loose: where modules are large (Louisiana's
   buildings), no whole plan comes within 1.3% of it. Then the modules alone are searched: a MILP
   with whole modules and fractional units, started from the best plan, branching on each hall's
   running total of modules rather than on one quarter's starts (`planner.model.running_totals`).
   It is a relaxation of the whole problem, so its proven bound is a bound for every whole plan,
   and tighter than the LP's; its modules, with the units rounded as in 3, make the next plan.
5. Only when that plan is still above the target gap, and the LP is small enough to search, does a
   MILP over everything run (modules in running totals again), started from the best plan
   (`setSolution`), stopping at the target gap
   or the time limit; its proven bound then replaces the others when tighter.

Every step is deterministic for one LP (HiGHS with a fixed thread count), so a what-if that changes
one bound gets exactly the plan the same search finds for the re-solved step (`ranging`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from planner.model.highs_run import IPM_FROM_COLUMNS, Answer, SolverOptions, Status, highs_model, run_highs
from planner.model.lp import LinearProgram
from planner.model.running_totals import Runs, in_totals, increments_of, totals_of

SEARCHED = "branch and bound"
"""`WholeAnswer.method` when the rounded plans were not good enough and HiGHS's search ran."""
MODULES_SEARCHED = "modules searched, units rounded"
"""`WholeAnswer.method` when the modules came from the MILP over modules alone (step 4)."""
ROUNDED = "rounded and repaired"

WHOLE_GAP = 1e-3
"""The gap to the best bound, relative to the bound, at which a whole plan is good enough: 0.1%."""

NEIGHBOURHOODS = (0.0, 10.0)
"""How far beyond the floor and ceiling of its LP value a unit column may move when its units are
rounded: first not at all (RENS); where that has no plan (a spend floor and a spend cap both tight,
say), ten units either way."""

NEIGHBOURHOOD_NODES = 200
"""A rounding's branch and bound stops after this many nodes, with the best plan it holds: rounding
is meant to be quick, and a node limit (unlike a time limit) gives the same plan on any machine."""

SEARCH_AFTER_ROUNDINGS = 1
"""Where the modules can be searched (an LP below `IPM_FROM_COLUMNS` columns), the roundings stop
after every module rounded up (one LP, and the plan itself where it is close enough): the other
roundings are fixed choices the search weighs anyway."""

SEARCH_TIME_LIMIT_S = 10.0
"""The branch and bound's time limit when the user set none: it starts from a whole plan, so it
only ever improves on one; a plan it leaves above the target gap says so (status and gap)."""

WHOLE_TOLERANCE = 1e-6
"""An LP value within this of a whole number is that number (HiGHS's own integrality tolerance)."""


@dataclass(frozen=True)
class WholeColumns:
    """Which columns must come out whole: units (racks, servers, retired units) and modules."""

    units: np.ndarray
    """Boolean mask over the LP's columns."""
    modules: np.ndarray
    """Searched as modules are: hall modules, and units of generation."""
    priced_free: np.ndarray
    """Of `modules`, those the pricing LP leaves free (units of generation: so that a binding limit
    on what may be built is priced, and its step re-solved, as it was before they came whole)."""
    runs: Runs
    """Of `modules`, the starts that add up over quarters (one run per hall and power source): the
    searches branch on their running totals (`planner.model.running_totals`)."""

    @property
    def mask(self) -> np.ndarray:
        """Every whole column."""
        mask: np.ndarray = self.units | self.modules
        return mask


@dataclass
class WholeAnswer:
    """The whole plan found, and how it was found."""

    answer: Answer
    """The plan (or the relaxation's status when it has none); `best_bound` is the best bound known."""
    relaxation: Answer
    method: str
    """How the plan was made whole: "rounded and repaired" or "branch and bound"."""

    @property
    def gap(self) -> float | None:
        if self.answer.objective is None or self.answer.best_bound is None:
            return None
        return relative_gap(self.answer.best_bound, self.answer.objective)


def relative_gap(bound: float, value: float) -> float:
    """|bound - value| relative to the bound (0 when both are 0)."""
    return abs(bound - value) / max(1e-9, abs(bound))


Run = Callable[[LinearProgram, SolverOptions, "np.ndarray | None"], Answer]
"""Solve an LP or MILP (started from the given column values, where the solver can)."""


def run_with_highs(lp: LinearProgram, options: SolverOptions, start: np.ndarray | None = None) -> Answer:
    """HiGHS, started from `start` (every column's value) when given."""
    highs = highs_model(lp, options)
    if start is not None:
        columns = np.arange(lp.shape[1], dtype=np.int32)
        highs.setSolution(len(columns), columns, start)
    return run_highs(highs, lp)


@dataclass
class _Best:
    """The best whole plan so far, the best bound known, and how the plan was found."""

    lp: LinearProgram
    bound: float
    target: float
    plan: Answer | None = None
    method: str = ROUNDED

    def offer(self, candidate: Answer | None, method: str) -> None:
        if candidate is not None and candidate.values is not None and (
                self.plan is None or _better(self.lp, candidate, self.plan)):
            self.plan, self.method = candidate, method

    def tighten(self, bound: float | None) -> None:
        if bound is not None:
            self.bound = min(self.bound, bound) if self.lp.maximize else max(self.bound, bound)

    @property
    def short(self) -> bool:
        """No plan yet, or one further from the bound than the target gap."""
        return self.plan is None or relative_gap(self.bound, _objective(self.plan)) > self.target


def solve_whole(
    lp: LinearProgram,
    whole: WholeColumns,
    options: SolverOptions,
    run: Run = run_with_highs,
    relaxation: Answer | None = None,
) -> WholeAnswer:
    """The best whole plan the search finds for `lp` (whose `whole` columns are integer).
    `relaxation`: the relaxation's answer when the caller solved it already."""
    relaxed = replace(lp, col_integer=lp.col_integer & ~whole.mask)
    if relaxation is None:
        relaxation = run(relaxed, replace(options, gap=None), None)
    if relaxation.values is None or relaxation.objective is None:
        return WholeAnswer(relaxation, relaxation, "none")
    target = options.gap if options.gap is not None else WHOLE_GAP
    best = _Best(lp, relaxation.best_bound if relaxation.best_bound is not None else relaxation.objective, target)
    searchable = lp.shape[1] < IPM_FROM_COLUMNS
    _round(best, relaxed, relaxation.values, whole, options, run, SEARCH_AFTER_ROUNDINGS if searchable else None)
    limit = options.time_limit_s if options.time_limit_s is not None else SEARCH_TIME_LIMIT_S
    start = None if best.plan is None else best.plan.values
    if best.short and searchable and whole.modules.any():
        modules = replace(relaxed, col_integer=relaxed.col_integer | whole.modules)
        # Half the target gap, so that rounding the units has the other half.
        wanted = replace(options, gap=target / 2, time_limit_s=limit, plan_heuristics=False)  # for its bound
        searched = _run_in_totals(run, modules, whole.runs, wanted, start)
        if searched.status in (Status.OPTIMAL, Status.FEASIBLE):
            best.tighten(searched.best_bound)
        if searched.values is not None:
            rounded = np.round(searched.values[whole.modules])
            best.offer(_whole_units(lp, relaxed, whole, rounded, options, run), MODULES_SEARCHED)
    if best.short and searchable:
        start = None if best.plan is None else best.plan.values
        searched = _run_in_totals(run, lp, whole.runs, replace(options, gap=target, time_limit_s=limit), start)
        best.offer(searched, SEARCHED)
        best.tighten(searched.best_bound)
        if best.plan is None:
            return WholeAnswer(searched, relaxation, SEARCHED)
    if best.plan is None:
        return WholeAnswer(Answer(Status.NO_SOLUTION, "no whole plan found near the LP's"), relaxation, "none")
    found = best.plan
    found.best_bound = best.bound
    if found.status == Status.FEASIBLE and not best.short:
        found.status = Status.OPTIMAL  # within the target gap, as HiGHS's own kOptimal is within mip_rel_gap
    return WholeAnswer(found, relaxation, best.method)


def _run_in_totals(run: Run, lp: LinearProgram, runs: Runs, options: SolverOptions,
                   start: np.ndarray | None) -> Answer:
    """`run` on `lp` with its runs of starts searched as running totals: the same plans, found in
    fewer nodes; the answer's values are `lp`'s."""
    if not runs:
        return run(lp, options, start)
    answer = run(in_totals(lp, runs), options, None if start is None else totals_of(start, runs))
    if answer.values is not None:
        answer.values = increments_of(answer.values, runs)
    return answer


def _round(best: _Best, relaxed: LinearProgram, values: np.ndarray, whole: WholeColumns, options: SolverOptions,
           run: Run, most: int | None) -> None:
    """Offer `best` the plans of the LP's module roundings (steps 2 and 3), until one is within the
    target gap, or after `most` of them (where the module search follows: it finds at least what
    the later roundings would)."""
    for tried, rounded in enumerate(_module_roundings(values, whole), start=1):
        best.offer(_whole_units(best.lp, relaxed, whole, rounded, options, run), ROUNDED)
        if not best.short or (most is not None and tried >= most):
            break  # good enough, or the search takes over: the next rounding costs more solves


def _objective(answer: Answer) -> float:
    assert answer.objective is not None
    return answer.objective


def _better(lp: LinearProgram, a: Answer, b: Answer) -> bool:
    return _objective(a) > _objective(b) if lp.maximize else _objective(a) < _objective(b)


def _module_roundings(values: np.ndarray, whole: WholeColumns) -> Iterator[np.ndarray]:
    """Whole module counts near the relaxation's, best first: every fraction rounded up (keeps
    every unit the LP placed), then to nearest, and down."""
    x = values[whole.modules]
    tried: list[np.ndarray] = []
    for rounded in (np.ceil(x - WHOLE_TOLERANCE), np.round(x), np.floor(x + WHOLE_TOLERANCE)):
        if not any(np.array_equal(rounded, r) for r in tried):
            tried.append(rounded)
            yield rounded


def _whole_units(
    lp: LinearProgram, relaxed: LinearProgram, whole: WholeColumns, modules: np.ndarray, options: SolverOptions,
    run: Run,
) -> Answer | None:
    """Modules fixed at `modules`: the units re-optimised as an LP, then rounded within one unit of
    it (RENS). None when either has no plan."""
    columns = np.flatnonzero(whole.modules)
    fixed = relaxed.with_columns_fixed(columns, modules)
    repaired = run(fixed, replace(options, gap=None), None)
    if repaired.values is None:
        return None
    target = options.gap if options.gap is not None else WHOLE_GAP
    for widen in NEIGHBOURHOODS:
        neighbourhood = _neighbourhood(fixed, whole.units, repaired.values, widen)
        rounded = run(neighbourhood, replace(options, gap=target / 10, max_nodes=NEIGHBOURHOOD_NODES), None)
        if rounded.values is not None:
            break
    else:
        return None
    rounded.values = _snapped(rounded.values, whole)
    return rounded


def _neighbourhood(fixed: LinearProgram, units: np.ndarray, x: np.ndarray, widen: float) -> LinearProgram:
    """`fixed` with its unit columns whole and within `widen` of the floor and ceiling of `x`."""
    lower, upper = fixed.col_lower.copy(), fixed.col_upper.copy()
    lower[units] = np.maximum(lower[units], np.floor(x[units] + WHOLE_TOLERANCE) - widen)
    upper[units] = np.minimum(upper[units], np.ceil(x[units] - WHOLE_TOLERANCE) + widen)
    return replace(fixed, col_lower=lower, col_upper=upper, col_integer=fixed.col_integer | units)


def _snapped(values: np.ndarray, whole: WholeColumns) -> np.ndarray:
    """Whole columns exactly whole (the solver's 1e-6 tolerance would leave 2005.0000001 racks)."""
    mask = whole.mask
    snapped = values.copy()
    snapped[mask] = np.round(values[mask])
    return snapped


def pricing_lp(lp: LinearProgram, whole: WholeColumns, values: np.ndarray) -> LinearProgram:
    """The LP that prices a whole plan's limits: its modules and yes-or-no choices fixed as the plan
    has them, its units free to move in fractions. (The LP with every unit fixed too prices only
    what is left free, dispatch and leases; the relaxation prices another plan's limits.)"""
    columns = np.flatnonzero(((lp.col_integer & ~whole.units) | whole.modules) & ~whole.priced_free)
    return replace(lp, col_integer=np.zeros_like(lp.col_integer)).with_columns_fixed(columns,
                                                                                     np.round(values[columns]))
