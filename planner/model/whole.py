"""Whole racks, servers and modules: a plan in whole units from the LP, its gap to the LP's bound stated.

A MILP over every unit and module proves its answer but costs 25-90 times the LP on the shipped
plans (bench/README.md). Most of that work is spent on a handful of fractional modules; units come
in thousands and round at almost no cost. So the search goes, each step a solve of its own:

1. The LP relaxation: every column continuous, the yes-or-no choices (training clusters, software
   stacks) too. Its objective is a bound no whole plan can beat. (Keeping the choices binary, a
   MILP of its own, costs 3-6 times the LP and left every shipped plan's bound where it was.)
2. The modules made whole, each choice fixed in turn while the units are re-optimised as an LP:
   every fraction rounded up (keeps every unit the LP placed), then to nearest and down (only where
   step 4 cannot run: it weighs every choice of module).
3. For each, the units rounded in the LP's own neighbourhood: a MILP in which every unit column
   may only take the whole number just below or just above its LP value, the modules fixed
   (Berthold's RENS, "Relaxation enforced neighborhood search", 2007). It is tiny after presolve.
4. The first plan within the target gap is kept, else the best. When its gap to the LP's bound
   exceeds the target, the LP's bound may be what is loose: where modules are large (Louisiana's
   buildings), no whole plan comes within 1.3% of it. Then the modules alone are searched: a MILP
   with whole modules, fractional units and fractional choices, branching on each hall's running
   total of modules rather than on one quarter's starts (`planner.model.running_totals`). It is a
   relaxation of the whole problem, so its proven bound is a bound for every whole plan, and
   tighter than the LP's; its modules make the next plan, the units rounded within one unit of the
   search's own (where that has no plan, as in 3). Where racks are few and large, that rounding may
   lose more than the target gap (a generated plan of 12 sites: 0.12%): then they are rounded
   again one unit wider, stopping at the first plan within the target.
5. Only when that plan is still above the target gap, the LP is small enough to search and the
   module search ended within the time limit (the MILP over everything holds it), does a MILP over
   everything run (modules in running totals again), started from the best plan (`setSolution`),
   stopping at the target gap or the time limit; its proven bound then replaces the others when
   tighter. Steps 4 and 5 share one time limit.

Every step is deterministic for one LP (HiGHS with a fixed thread count), so a what-if that changes
one bound gets exactly the plan the same search finds for the re-solved step (`ranging`).
"""

from __future__ import annotations

import time
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

WIDER_BY = 1.0
"""How far beyond the floor and ceiling of the module search's units the second rounding of step 4
may move them (wider costs more: ten units took 1.7 s on a 12-site generated plan, and found less
in its 200 nodes than one unit did in 0.7 s)."""

TARGET_MARGIN = 0.9
"""A rounding that stops at its first plan within the target gap aims at this share of the target,
so that its plan is not judged short by a rounding error of the objective."""

NEIGHBOURHOOD_NODES = 200
"""A rounding's branch and bound stops after this many nodes, with the best plan it holds: rounding
is meant to be quick, and a node limit (unlike a time limit) gives the same plan on any machine."""

SEARCH_AFTER_ROUNDINGS = 1
"""Where the modules can be searched (an LP below `IPM_FROM_COLUMNS` columns), the roundings stop
after every module rounded up (one LP, and the plan itself where it is close enough): the other
roundings are fixed choices the search weighs anyway."""

SEARCH_TIME_LIMIT_S = 10.0
"""The time limit of the searches (steps 4 and 5, together) when the user set none: they start from
the best plan, where there is one, so they only ever improve on it; a plan they leave above the
target gap says so (status and gap)."""

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
    """|bound - value| relative to the plan's value (0 when both are 0): HiGHS's `mip_rel_gap`, so
    that a search HiGHS ends within the target gap is within it here too, and the gap every report
    states (`SolveResult.gap`). (Relative to the bound instead, a minimised cost HiGHS ended at
    0.09995% was 0.10005%: short of 0.1%, while the reports said 0.0999%.)"""
    return abs(bound - value) / max(1e-9, abs(value))


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
    def wanted(self) -> float:
        """An objective within the target gap of the bound, with `TARGET_MARGIN`: |bound - value| at
        most m t |value|, so (for either sign) within m t |bound| / (1 + m t) of the bound."""
        share = TARGET_MARGIN * self.target
        within = share * abs(self.bound) / (1 + share)
        return self.bound - within if self.lp.maximize else self.bound + within

    @property
    def short(self) -> bool:
        """No plan yet, or one further from the bound than the target gap."""
        return self.plan is None or relative_gap(self.bound, _objective(self.plan)) > self.target


def target_gap(options: SolverOptions) -> float:
    """The gap at which a whole plan is good enough: the user's (`--gap`), else `WHOLE_GAP`."""
    return options.gap if options.gap is not None else WHOLE_GAP


def linear_relaxation(lp: LinearProgram) -> LinearProgram:
    """`lp` with every column continuous: step 1."""
    return replace(lp, col_integer=np.zeros_like(lp.col_integer))


def solve_whole(
    lp: LinearProgram,
    whole: WholeColumns,
    options: SolverOptions,
    run: Run = run_with_highs,
    relaxation: Answer | None = None,
) -> WholeAnswer:
    """The best whole plan the search finds for `lp` (whose `whole` columns are integer).
    `relaxation`: the answer of `linear_relaxation(lp)` when the caller solved it already."""
    relaxed = replace(lp, col_integer=lp.col_integer & ~whole.mask)  # units and modules continuous
    if relaxation is None:
        relaxation = run(linear_relaxation(lp), replace(options, gap=None), None)
    if relaxation.values is None or relaxation.objective is None:
        return WholeAnswer(relaxation, relaxation, "none")
    target = target_gap(options)
    best = _Best(lp, relaxation.objective, target)  # an LP's: its objective is its bound
    searchable = lp.shape[1] < IPM_FROM_COLUMNS
    _round(best, relaxed, relaxation.values, whole, options, run, SEARCH_AFTER_ROUNDINGS if searchable else None)
    clock = _Clock.of(options)
    out_of_time = False
    if best.short and searchable and whole.modules.any():
        out_of_time = _search_modules(best, relaxed, whole, options, run, clock)
    # The MILP over everything holds the module search's: where that ran out of time, so would it.
    if best.short and searchable and not out_of_time and clock.left_s > 0:
        start = None if best.plan is None else best.plan.values
        everything = replace(options, gap=target, time_limit_s=clock.left_s)
        searched = _run_in_totals(run, lp, whole.runs, everything, start)
        best.offer(searched, SEARCHED)
        best.tighten(searched.best_bound)
        if best.plan is None:
            return WholeAnswer(searched, relaxation, SEARCHED)
    if best.plan is None:
        if relaxed.is_mip:  # the yes-or-no choices, made, may be what has no plan
            choices = run(relaxed, replace(options, gap=None), None)
            if choices.values is None:
                return WholeAnswer(choices, relaxation, "none")
        return WholeAnswer(Answer(Status.NO_SOLUTION, "no whole plan found near the LP's"), relaxation, "none")
    found = best.plan
    found.best_bound = best.bound
    # Optimal within the target gap, as HiGHS's own kOptimal is within mip_rel_gap; a plan further
    # from the bound is not proven good enough, whatever its rounding called it (a rounding's
    # "optimal" is its neighbourhood's).
    found.status = Status.FEASIBLE if best.short else Status.OPTIMAL
    return WholeAnswer(found, relaxation, best.method)


@dataclass(frozen=True)
class _Clock:
    """The time the searches (steps 4 and 5) share."""

    ends_at: float

    @classmethod
    def of(cls, options: SolverOptions) -> _Clock:
        limit_s = options.time_limit_s if options.time_limit_s is not None else SEARCH_TIME_LIMIT_S
        return cls(time.perf_counter() + limit_s)

    @property
    def left_s(self) -> float:
        return max(0.0, self.ends_at - time.perf_counter())


def _search_modules(best: _Best, relaxed: LinearProgram, whole: WholeColumns, options: SolverOptions, run: Run,
                    clock: _Clock) -> bool:
    """Step 4: offer `best` the plan of the module search, and tighten its bound with the search's.
    True when the search ran out of time."""
    # Yes-or-no choices fractional too: still a relaxation of the whole problem, whose search
    # branches on modules alone (Louisiana: 14 nodes where, with its 180 choices binary, 174).
    modules = replace(relaxed, col_integer=whole.modules.copy())
    # Half the target gap, so that rounding the units has the other half; no plan heuristics, as it
    # is run for its bound. Not started from the best plan: its branching finds plans as good, and
    # HiGHS has ended a search started from one with a bound its plan did not have
    # (`highs_run._check_objective`).
    wanted = replace(options, gap=best.target / 2, time_limit_s=clock.left_s, plan_heuristics=False)
    searched = _run_in_totals(run, modules, whole.runs, wanted, None)
    if searched.status in (Status.OPTIMAL, Status.FEASIBLE):
        best.tighten(searched.best_bound)
    if searched.values is not None:
        rounded = np.round(searched.values[whole.modules])
        best.offer(_whole_units(best.lp, relaxed, whole, rounded, options, run, searched.values), MODULES_SEARCHED)
        if best.short and clock.left_s > 0:
            fixed = relaxed.with_columns_fixed(np.flatnonzero(whole.modules), rounded)
            wider = replace(options, max_nodes=NEIGHBOURHOOD_NODES, objective_target=best.wanted,
                            time_limit_s=clock.left_s)
            best.offer(_rounded(fixed, whole, searched.values, WIDER_BY, wider, run), MODULES_SEARCHED)
    return searched.time_limit_reached


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
    run: Run, around: np.ndarray | None = None,
) -> Answer | None:
    """Modules fixed at `modules`: the units rounded within one unit of a plan with those modules
    (RENS). That plan is `around` where the caller has one (the module search's), and where its
    rounding has none, the units re-optimised as an LP. None when neither has a plan."""
    fixed = relaxed.with_columns_fixed(np.flatnonzero(whole.modules), modules)
    target = target_gap(options)
    rounding = replace(options, gap=target / 10, max_nodes=NEIGHBOURHOOD_NODES)
    if around is not None:
        rounded = _rounded(fixed, whole, around, NEIGHBOURHOODS[0], rounding, run)
        if rounded is not None:
            return rounded
    repaired = run(fixed, replace(options, gap=None), None)
    if repaired.values is None:
        return None
    for widen in NEIGHBOURHOODS:
        rounded = _rounded(fixed, whole, repaired.values, widen, rounding, run)
        if rounded is not None:
            return rounded
    return None


def _rounded(fixed: LinearProgram, whole: WholeColumns, around: np.ndarray, widen: float, options: SolverOptions,
             run: Run) -> Answer | None:
    """`fixed`'s best plan (or first good enough: `options.objective_target`) with its units whole
    and within `widen` of the floor and ceiling of `around`; None where it has none."""
    rounded = run(_neighbourhood(fixed, whole.units, around, widen), options, None)
    if rounded.values is None:
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
