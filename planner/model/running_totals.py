"""Modules searched as running totals: the same MILP, branched on how many modules a hall has, not
on how many are started in one quarter.

The LP counts modules (and units of generation) by the quarter they are started in (`mod`,
`blk`); what every limit sees is their running total. Branching on one quarter's starts cuts the
search space thinly (a module may move to the quarter before or after at almost no cost), so
branch and bound spends its nodes moving starts around. With the running totals as columns,
`y_t = x_1 + ... + x_t`, the same problem (every whole `x` is a whole `y` and back) lets
HiGHS branch on "at most / at least N modules by quarter t": Louisiana's module search then
proves its own optimum, in fewer LP iterations (the figures are in bench/README.md, bench_whole).

Each run's starts keep their bounds as rows, `lower_t <= y_t - y_{t-1} <= upper_t`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from planner.model.lp import F, LinearProgram, merge_duplicates
from planner.model.rows import RowInfo, RowKey

Runs = tuple[np.ndarray, ...]
"""Column ids of starts that add up, each run in time order (one per hall or power source)."""

RUNNING_TOTAL = "running_total"
"""The family of the rows that bound one quarter's starts (found only in the searched MILP)."""


def _previous(runs: Runs, columns: int) -> np.ndarray:
    """For each column, the column before it in its run, or -1."""
    previous = np.full(columns, -1, dtype=np.int64)
    for run in runs:
        previous[run[1:]] = run[:-1]
    return previous


def in_totals(lp: LinearProgram, runs: Runs) -> LinearProgram:
    """`lp` with each run's columns standing for running totals instead of starts. Its objective
    and its feasible set are `lp`'s: `increments_of` maps its values back."""
    m, n = lp.shape
    previous = _previous(runs, n)
    # A term a * x_t becomes a * y_t - a * y_{t-1}.
    row_of_term = np.repeat(np.arange(m, dtype=np.int64), np.diff(lp.row_starts))
    shifted = previous[lp.row_columns] >= 0
    started = np.concatenate([run[1:] for run in runs]) if runs else np.zeros(0, dtype=np.int64)
    bound_row = m + np.arange(len(started))  # one per start after a run's first: y_t - y_{t-1}
    rows = np.concatenate([row_of_term, row_of_term[shifted], bound_row, bound_row])
    columns = np.concatenate([lp.row_columns, previous[lp.row_columns[shifted]], started, previous[started]])
    values = np.concatenate([lp.row_values, -lp.row_values[shifted], np.ones(len(started)), -np.ones(len(started))])
    rows, columns, values = merge_duplicates(rows, columns, values)
    keep = values != 0  # a running total's terms cancel where a row sums every start so far
    rows, columns, values = rows[keep], columns[keep], values[keep]
    starts = np.zeros(m + len(started) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m + len(started)), out=starts[1:])
    cost = lp.cost.copy()
    np.subtract.at(cost, previous[started], lp.cost[started])
    lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
    for run in runs:
        lower[run], upper[run] = np.cumsum(lp.col_lower[run]), np.cumsum(lp.col_upper[run])
    bound_rows = [RowInfo(f"{RUNNING_TOTAL}_{column}", RUNNING_TOTAL, RowKey(), "", ">=", float(lp.col_lower[column]))
                  for column in started]  # internal: no report reads them
    return replace(
        lp, col_lower=lower, col_upper=upper, cost=cost, row_starts=starts, row_columns=columns,
        row_values=values.astype(F), row_lower=np.concatenate([lp.row_lower, lp.col_lower[started]]),
        row_upper=np.concatenate([lp.row_upper, lp.col_upper[started]]), rows=[*lp.rows, *bound_rows])


def totals_of(values: np.ndarray, runs: Runs) -> np.ndarray:
    """Column values of `lp` as `in_totals(lp, runs)` takes them."""
    totals = values.copy()
    for run in runs:
        totals[run] = np.cumsum(values[run])
    return totals


def increments_of(values: np.ndarray, runs: Runs) -> np.ndarray:
    """Column values of `in_totals(lp, runs)` as `lp` takes them."""
    increments = values.copy()
    for run in runs:
        increments[run] = np.diff(values[run], prepend=0.0)
    return increments
