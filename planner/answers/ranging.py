"""What a whole step of a limit is really worth: re-solve with the limit relaxed by one step.

A shadow price holds at the margin; "1,000 more racks" may run into power long before the
1,000th. For the top-ranked limits the plan is solved again with that one row's bound moved by
the step, and the objective's change is the value quoted in the sentences:
- an LP (`--continuous`): the solved HiGHS model re-run warm, from its own basis;
- whole units (the default): the same whole-unit search and fixed LP as `plan optimize`
  (`solve.whole_objective`), so a what-if making that change returns the same figure. These cost
  a search each, so they stop when `STEP_BUDGET_S` is spent; the limits not re-solved keep their
  marginal value, labelled as such.
Only with HiGHS; otherwise the marginal value stands.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np

from planner.answers.explain import RESOLVED, LimitPrice, Prices, ranked, sentence, step_of
from planner.model.families import POWER, SHARE_MAX, SHARE_MIN, SITE_POWER
from planner.model.highs_run import SolverOptions, change_row_bounds
from planner.model.lp import LinearProgram
from planner.model.solve import whole_objective
from planner.model.variables import Model

log = logging.getLogger(__name__)

MAX_RESOLVES = 25

TOP = 5
"""The limits whose steps are re-solved: the top five, as the terminal lists them."""

STEP_BUDGET_S = 30.0
"""A safety valve, not a schedule: whole-unit step re-solves stop starting once they have taken this
long, or five times the plan's own solve if longer. Below it (every shipped plan, every test) the
same limits are re-solved on any machine, so reruns and sweeps agree."""


def _row_for(model: Model, price: LimitPrice, duals: dict[str, float]) -> str | None:
    """The LP row to relax: itself, or for a site's power its most valuable source."""
    if price.family != SITE_POWER.name:
        return price.name
    sources = [r.name for r in model.rows if r.family == POWER.name and r.period == price.period
               and r.key.site == price.where.site]
    return max(sources, key=lambda name: abs(duals.get(name, 0.0)), default=None)


def realise_steps(
    model: Model,
    prices: Prices,
    duals: dict[str, float],
    top: int = TOP,
    options: SolverOptions | None = None,
    solve_seconds: float = 0.0,
) -> Prices:
    """`prices` with the `top` ranked limits re-solved: `solved_step_value` and their sentence.
    `options`: the solve's (the whole-unit search must stop at the same gap); `solve_seconds`: how
    long the plan's own solve took (the whole-unit re-solves' budget). Where the plan's whole units
    needed a search (Louisiana's modules), so does each step: a value re-solved in the LP relaxation
    instead was not what a what-if returns (Louisiana's 2027 capex: 434 EFLOPS-quarters in the
    relaxation, 472 whole), and a marginal one can mislead far more (its Rubin Ultra supply in
    2030Q1: 738 at the margin, about 11 re-solved)."""
    highs: Any = model.highs  # None above solve.KEEP_HIGHS_UP_TO_COLUMNS: too large to re-solve
    # A MILP's kept model is its LP with the integer columns fixed. With only yes-or-no decisions
    # fixed (software stacks, training clusters) under `--continuous`, units and modules stay free:
    # the re-solve is what the step adds with those choices as they are.
    if highs is None:
        return prices
    base = float(highs.getInfo().objective_function_value)
    maximise = model.plan.objective.maximises

    def gain(after: float) -> float:
        return max(0.0, after - base if maximise else base - after)

    if model.integer:
        objective = _whole_objective(model, options or SolverOptions())
        return _realise(model, prices, duals, top, objective, gain, max(STEP_BUDGET_S, 5 * solve_seconds))
    prices = _realise(model, prices, duals, top, partial(_lp_objective, highs, model.linear_program), gain, math.inf)
    highs.run()  # back to the plan's own optimum, so the model is left as it was solved
    return prices


StepObjective = Callable[[int, LimitPrice], "float | None"]
"""The plan's objective with row i relaxed by the limit's step (None if the re-solve failed)."""


def _realise(
    model: Model, prices: Prices, duals: dict[str, float], top: int, objective: StepObjective,
    gain: Callable[[float], float], budget_s: float,
) -> Prices:
    """Re-solve until the top limits, ranked by their best-known value, all carry a solved value (a
    re-solved limit can drop below one not yet tried), or the budget is spent."""
    index = {row.name: i for i, row in enumerate(model.rows)}
    started = time.perf_counter()
    tried: set[str] = set()
    for _ in range(MAX_RESOLVES):
        pending = [p for p in ranked(prices)[:top]
                   if p.name not in tried and p.family not in (SHARE_MIN.name, SHARE_MAX.name)]
        if not pending or time.perf_counter() - started > budget_s:
            break
        price = pending[0]
        tried.add(price.name)
        name = _row_for(model, price, duals)
        if name is None or name not in index:
            continue
        after = objective(index[name], price)
        if after is not None:
            value = gain(after)
            words = sentence(model.plan, price.family, price.where, price.period, value, resolved=True)
            prices = prices.with_solved(price.name, value, words, RESOLVED)
    return prices


def _relaxed_bounds(lp: LinearProgram, i: int, price: LimitPrice) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds with row i moved by the limit's step."""
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    if price.sense == "<=":
        upper[i] += step_of(price.family).size
    else:
        lower[i] -= step_of(price.family).size
    return lower, upper


def _lp_objective(highs: Any, lp: LinearProgram, i: int, price: LimitPrice) -> float | None:
    """The LP: the solved HiGHS model re-run warm with row i moved, then put back."""
    lower, upper = _relaxed_bounds(lp, i, price)
    change_row_bounds(highs, lp, i, lower[i], upper[i])
    highs.run()
    after = highs.getInfo().objective_function_value if str(highs.getModelStatus()).endswith("kOptimal") else None
    change_row_bounds(highs, lp, i, lp.row_lower[i], lp.row_upper[i])
    return float(after) if after is not None else None


def _whole_objective(model: Model, options: SolverOptions) -> StepObjective:
    """Whole units: the same whole-unit search as the plan's, on its LP with row i moved."""
    lp = model.linear_program

    def objective(i: int, price: LimitPrice) -> float | None:
        lower, upper = _relaxed_bounds(lp, i, price)
        return whole_objective(model, replace(lp, row_lower=lower, row_upper=upper), options)

    return objective
