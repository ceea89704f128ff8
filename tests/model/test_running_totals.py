"""Modules searched as running totals (`planner.model.running_totals`): the same MILP, other columns."""

from __future__ import annotations

import numpy as np
import pytest

from planner.model.highs_run import SolverOptions
from planner.model.lp import Rows
from planner.model.rows import RowKey
from planner.model.running_totals import in_totals, increments_of, totals_of
from planner.model.whole import run_with_highs


def three_quarters_of_modules():
    """Modules started in quarters 1-3 (x1, x2, x3, whole, at most 2 a quarter), 10 MW each, and
    one column of anything else (z). Rows: by quarter 2 at least 15 MW (10 x1 + 10 x2 >= 15); by
    quarter 3 at most 25 MW plus z (10 x1 + 10 x2 + 10 x3 - z <= 25); z <= 4. Cost (minimised):
    3 x1 + 2 x2 + 1 x3 + z: a module costs less the later it starts.
    Optimum: two modules by quarter 2, both in quarter 2 (x2 = 2, cost 4), and none in quarter 3
    (a third would need z = 5 > 4). In running totals y = (0, 2, 2): cost (3-2) y1 + (2-1) y2 +
    1 y3 = 0 + 2 + 2 = 4."""
    rows = Rows()
    rows.add("space", [RowKey(hall="a")], ["q2"], ">=", [15.0])
    rows.add("space", [RowKey(hall="a")], ["q3"], "<=", [25.0])
    rows.terms([0, 0, 1, 1, 1, 1], [0, 1, 0, 1, 2, 3], [10.0, 10.0, 10.0, 10.0, 10.0, -1.0])
    lower, upper = np.zeros(4), np.array([2.0, 2.0, 2.0, 4.0])
    integer = np.array([True, True, True, False])
    return rows.finish("modules", False, (lower, upper, integer), np.array([3.0, 2.0, 1.0, 1.0]), [])


def test_a_row_of_every_start_so_far_reads_the_running_total_alone():
    """Row 1 (10 x1 + 10 x2) becomes 10 y2: the y1 terms (10 y1 - 10 y1) cancel and are left out.
    Row 2 becomes 10 y3 - z. Two rows more bound each quarter's starts: 0 <= y2 - y1 <= 2 and
    0 <= y3 - y2 <= 2; the totals' own bounds are the sums of the starts' (2, 4, 6)."""
    lp = three_quarters_of_modules()
    totals = in_totals(lp, (np.array([0, 1, 2]),))
    matrix = np.zeros(totals.shape)
    for row in range(totals.shape[0]):
        span = slice(totals.row_starts[row], totals.row_starts[row + 1])
        matrix[row, totals.row_columns[span]] = totals.row_values[span]
    assert matrix.tolist() == [[0, 10, 0, 0], [0, 0, 10, -1], [-1, 1, 0, 0], [0, -1, 1, 0]]
    assert totals.row_lower.tolist() == [15, -np.inf, 0, 0]
    assert totals.row_upper.tolist() == [np.inf, 25, 2, 2]
    assert totals.col_upper.tolist() == [2, 4, 6, 4]
    assert totals.cost.tolist() == [1, 1, 1, 1]


def test_the_running_totals_have_the_same_optimum_and_plan():
    """Solved either way: cost 4, x = (0, 2, 0), z = 0 (the docstring of
    three_quarters_of_modules); the totals (0, 2, 2) map back to those starts."""
    lp = three_quarters_of_modules()
    runs = (np.array([0, 1, 2]),)
    direct = run_with_highs(lp, SolverOptions())
    searched = run_with_highs(in_totals(lp, runs), SolverOptions())
    assert direct.objective == pytest.approx(4.0)
    assert searched.objective == pytest.approx(4.0)
    assert searched.values is not None
    assert searched.values.tolist() == pytest.approx([0, 2, 2, 0])
    assert increments_of(searched.values, runs).tolist() == pytest.approx([0, 2, 0, 0])
    assert totals_of(np.array([0.0, 2.0, 0.0, 3.0]), runs).tolist() == [0, 2, 2, 3]
