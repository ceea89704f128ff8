"""PuLP plumbing for large LPs: rows collected as numpy coordinate lists, added to PuLP one bulk
call per row, and kept as CSR arrays (`Matrix`) that `planner.solve` hands to HiGHS directly.

PuLP's public idioms (`lpSum`, `c*x`) make a Python object per term; at 1M nonzeros that is
seconds. `_rustcore.AffineExpr.add_term_ids_coeffs` is the bulk path `pulp.lpSum_vars` itself
uses, so the problem PuLP holds (and writes with `writeMPS`) is the same one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp
from pulp import LpAffineExpression, LpProblem, LpVariable, _rustcore

from planner.rows import RowInfo

F = np.float64
SENSES = {"<=": _rustcore.Sense.LessEqual, ">=": _rustcore.Sense.GreaterEqual, "==": _rustcore.Sense.Equal}
RENAMED = re.compile(r"[-+\[\] ]")
"""Characters PuLP rewrites to '_' in a name."""


class Problem(LpProblem):
    """PuLP's problem, counting its variables and rows without wrapping each one in a Python object
    (PuLP's `numVariables()` builds the whole list: 0.3 s at 300k columns, called by every solve)."""

    def numVariables(self) -> int:  # noqa: N802 - PuLP's name
        return int(self._model.num_variables)

    def numConstraints(self) -> int:  # noqa: N802
        return int(self._model.num_constraints)


class Variables(Mapping[Any, LpVariable]):
    """A family's variables by key, in creation order (ids first_id, first_id + 1, ...); each
    `LpVariable` is made when asked for (a dict of 300k of them costs a quarter of a second and
    30 MB to fill)."""

    def __init__(self, problem: LpProblem, keys: list[Any], first_id: int) -> None:
        self._rust_model: Any = problem._model  # noqa: SLF001
        self._keys = keys
        self._first = first_id
        self._index: dict[Any, int] | None = None

    @property
    def _core(self) -> Any:
        if self._rust_model is None:
            raise RuntimeError("these variables' PuLP problem was released (see Model.release_pulp)")
        return self._rust_model

    def release(self) -> None:
        """Drop the reference to PuLP's problem (keys stay), so that it can be freed."""
        self._rust_model = None

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._keys)

    def _position(self) -> dict[Any, int]:
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self._keys)}
        return self._index

    def __getitem__(self, key: Any) -> LpVariable:
        return LpVariable(self._core.get_variable(self._first + self._position()[key]))

    def __contains__(self, key: object) -> bool:
        return key in self._position()

    def values(self) -> Iterator[LpVariable]:  # type: ignore[override]
        get = self._core.get_variable
        return (LpVariable(get(i)) for i in range(self._first, self._first + len(self._keys)))

    def items(self) -> Iterator[tuple[Any, LpVariable]]:  # type: ignore[override]
        return zip(self._keys, self.values(), strict=True)


@dataclass
class Matrix:
    """The LP as arrays, row by row as `problem.constraints()` and column by variable id: the
    PuLP problem's twin, handed to HiGHS without reading PuLP's rows back one by one."""

    starts: np.ndarray
    """Row i's terms are `columns[starts[i]:starts[i + 1]]` (variable ids) and `values[...]`."""
    columns: np.ndarray
    values: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    rhs: np.ndarray
    less_equal: np.ndarray
    """Rows of sense `<=` (PuLP's slack of such a row is rhs - activity, of others activity - rhs)."""
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    cost: np.ndarray

    def set_objective(self, variable: np.ndarray, coefficient: np.ndarray) -> None:
        """Objective coefficients by variable id (a variable listed twice gets the sum, in order)."""
        self.cost = np.bincount(variable, weights=coefficient, minlength=len(self.col_lower))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rhs), len(self.col_lower)


@dataclass
class Terms:
    """Cost terms: (quarter, variable id, USD per unit) and each quarter's constant USD."""

    period: np.ndarray
    variable: np.ndarray
    coefficient: np.ndarray
    constant: np.ndarray


def merge_duplicates(row: np.ndarray, column: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, ...]:
    """Terms sorted by row, a variable's repeated terms in one row summed in order at its first
    place: what adding the terms one by one to a PuLP expression gives."""
    order = np.argsort(row, kind="stable")
    row, column, value = row[order], column[order], value[order]
    if len(row) == 0:
        return row, column, value
    key = row * (int(column.max()) + 1) + column
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    summed = np.bincount(inverse, weights=value, minlength=len(first))
    by_place = np.argsort(first, kind="stable")
    return row[first[by_place]], column[first[by_place]], summed[by_place]


class Rows:
    """Rows collected family by family (names, senses, right-hand sides, coordinate terms), then
    added to PuLP in order, each with its terms in one bulk call."""

    def __init__(self) -> None:
        self.families: list[str] = []
        self.keys: list[str] = []
        self.periods: list[str] = []
        self.senses: list[str] = []
        self.rhs: list[np.ndarray] = []
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, families: str | list[str], keys: list[str], periods: list[str], senses: str | list[str],
            rhs: Any) -> int:
        """Append len(keys) rows; return the position of the first."""
        offset = len(self.keys)
        count = len(keys)
        self.families += [families] * count if isinstance(families, str) else families
        self.senses += [senses] * count if isinstance(senses, str) else senses
        self.keys += keys
        self.periods += periods
        self.rhs.append(np.asarray(rhs, dtype=F).reshape(count))
        return offset

    def terms(self, row: Any, variable: Any, coefficient: Any) -> None:
        """Add terms to rows already added; within a row, terms keep the order they are given in."""
        self.parts.append((np.asarray(row, dtype=np.int64), np.asarray(variable, dtype=np.int64),
                           np.asarray(coefficient, dtype=F)))

    def finish(self, problem: LpProblem, bounds: tuple[np.ndarray, ...]) -> tuple[Matrix, list[RowInfo]]:
        """Add every row to `problem` in order; return the matrix and the rows in the user's terms."""
        n = len(self.keys)
        parts = self.parts or [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))]
        row = np.concatenate([p[0] for p in parts])
        order = np.argsort(row, kind="stable")
        columns = np.concatenate([p[1] for p in parts])[order]
        values = np.concatenate([p[2] for p in parts])[order]
        rhs = np.concatenate(self.rhs) if self.rhs else np.zeros(0)
        if not (np.isfinite(values).all() and np.isfinite(rhs).all()):
            raise pulp.PulpError("Invalid coefficient or right-hand side: coefficients and bounds must be finite.")
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=starts[1:])
        names = [f"{f}__{k}__{p}".replace("-", "_")
                 for f, k, p in zip(self.families, self.keys, self.periods, strict=True)]
        _add_pulp_rows(problem, starts, columns, values, rhs, self.senses, names)
        less = np.array([s == "<=" for s in self.senses], dtype=bool)
        greater = np.array([s == ">=" for s in self.senses], dtype=bool)
        matrix = Matrix(
            starts=starts, columns=columns, values=values, rhs=rhs, less_equal=less,
            row_lower=np.where(less, -np.inf, rhs), row_upper=np.where(greater, np.inf, rhs),
            col_lower=bounds[0], col_upper=bounds[1], integer=bounds[2], cost=np.zeros(len(bounds[0])),
        )
        infos = list(map(RowInfo, names, self.families, self.keys, self.periods, self.senses, rhs.tolist()))
        return matrix, infos


def _add_pulp_rows(problem: LpProblem, starts: np.ndarray, columns: np.ndarray, values: np.ndarray,
                   rhs: np.ndarray, senses: list[str], names: list[str]) -> None:
    """One Rust expression per row, its terms passed as two buffers (no Python object per term)."""
    core = problem._model  # noqa: SLF001 - PuLP's bulk path, as pulp.lpSum_vars uses it
    ids = memoryview(columns.astype(np.uint64))
    coefficients = memoryview(np.ascontiguousarray(values))
    expression, add = _rustcore.AffineExpr, core.add_constraint
    rust_senses = [SENSES[s] for s in senses]
    if RENAMED.search("".join(names)):  # never with valid ids (^[a-z][a-z0-9_]*$), but as PuLP would name them
        names = [name.translate(LpAffineExpression.trans) for name in names]
    bounds = starts.tolist()
    # As `expression <= rhs` does: the constant is 0 - rhs.
    for a, b, constant, sense, name in zip(bounds[:-1], bounds[1:], (0.0 - rhs).tolist(), rust_senses, names,
                                           strict=True):
        row = expression()
        row.add_term_ids_coeffs(core, ids[a:b], coefficients[a:b])
        row.set_constant(constant)
        row.set_sense(sense)
        row.set_name(name)
        add(row)


def objective_expression(problem: LpProblem, variable: np.ndarray, coefficient: np.ndarray) -> LpAffineExpression:
    """The objective as one PuLP expression, its terms passed in bulk (repeated variables summed in order)."""
    expression = _rustcore.AffineExpr()
    if len(variable):
        expression.add_term_ids_coeffs(problem._model, memoryview(variable.astype(np.uint64)),  # noqa: SLF001
                                       memoryview(np.ascontiguousarray(coefficient, dtype=F)))
    return LpAffineExpression(expression)
