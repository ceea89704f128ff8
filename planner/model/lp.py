"""The linear program as one immutable object, and the builder that collects its rows.

`LinearProgram` is what the builder (`planner.model.build`) hands to every solver: column bounds,
kinds and costs, a sparse row-wise matrix, row bounds, and for every row what it means in the
user's terms (`RowInfo`: family, key, period). HiGHS takes its arrays directly through
highspy's public API; PuLP's solvers get a problem built from it through PuLP's public API
(`planner.model.solve`). There is no second copy of the LP to keep equal.

Rows are collected family by family as numpy coordinate lists (row, column, coefficient), so
no Python object is made per term: a 300-site plan has 1.2M nonzeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from planner.model.families import ROW_SCALE
from planner.model.rows import RowInfo, RowKey

F = np.float64


@dataclass(frozen=True)
class ColumnFamily:
    """A family of columns (DESIGN's new, mod, gen, ...): consecutive ids from `first`, one per key."""

    name: str
    first: int
    keys: Sequence[tuple[Any, ...]]

    def names(self) -> list[str]:
        """`name_k1_k2...` for every key (MPS files and PuLP's solvers need a name per column)."""
        if not self.keys:
            return []
        pattern = self.name + "_%s" * len(self.keys[0])
        return [pattern % key for key in self.keys]


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class LinearProgram:
    """min or max `cost @ x + offset` subject to `row_lower <= A x <= row_upper` and
    `col_lower <= x <= col_upper` (x integer where `col_integer`). A is row-wise (CSR): row i's
    terms are `row_columns[row_starts[i]:row_starts[i + 1]]` and the same slice of `row_values`.
    Every array is read-only: a changed LP is a new object (`with_columns_fixed`, `elastic`)."""

    name: str
    maximize: bool
    col_lower: np.ndarray
    col_upper: np.ndarray
    col_integer: np.ndarray
    cost: np.ndarray
    row_starts: np.ndarray
    row_columns: np.ndarray
    row_values: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    rows: Sequence[RowInfo]
    """What each row means, in row order (its family, key, period, sense and right-hand side)."""
    column_families: Sequence[ColumnFamily] = ()
    offset: float = 0.0

    def __post_init__(self) -> None:
        for name in ("col_lower", "col_upper", "col_integer", "cost", "row_starts", "row_columns", "row_values",
                     "row_lower", "row_upper"):
            _frozen(getattr(self, name))

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.row_lower), len(self.col_lower)

    @property
    def nonzeros(self) -> int:
        return len(self.row_values)

    @property
    def rhs(self) -> np.ndarray:
        """Each row's right-hand side: its finite bound (both are equal for `==` rows)."""
        rhs: np.ndarray = np.where(np.isfinite(self.row_upper), self.row_upper, self.row_lower)
        return rhs

    @property
    def less_equal(self) -> np.ndarray:
        """Rows of sense `<=`."""
        return np.isinf(self.row_lower) & np.isfinite(self.row_upper)

    @cached_property
    def money_row_scale(self) -> np.ndarray:
        """What each row is multiplied by on its way to HiGHS's interior-point method or MILP solver
        (`families.ROW_SCALE`: money rows in $100k), and its dual by on the way back; its activity is
        divided by it."""
        scale = np.fromiter((ROW_SCALE.get(row.family, 1.0) for row in self.rows), dtype=F, count=len(self.rows))
        return _frozen(scale)

    def scaled_rows(self, scale: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row bounds and row-wise matrix values, each row multiplied by `scale` (None: as built)."""
        if scale is None:
            return self.row_lower, self.row_upper, self.row_values
        return (self.row_lower * scale, self.row_upper * scale,
                self.row_values * np.repeat(scale, np.diff(self.row_starts)))

    @property
    def is_mip(self) -> bool:
        return bool(self.col_integer.any())

    def column_names(self) -> list[str]:
        names = [f"x{i}" for i in range(self.shape[1])]
        for family in self.column_families:
            names[family.first:family.first + len(family.keys)] = family.names()
        return names

    def row_names(self) -> list[str]:
        return [row.name for row in self.rows]

    def activity(self, values: np.ndarray) -> np.ndarray:
        """A x for column values `values`."""
        row_of_term = np.repeat(np.arange(self.shape[0]), np.diff(self.row_starts))
        return np.bincount(row_of_term, weights=self.row_values * values[self.row_columns], minlength=self.shape[0])

    def slack(self, activity: np.ndarray) -> np.ndarray:
        """Room left in each row: rhs - activity for `<=` rows, activity - rhs for the others."""
        rhs = self.rhs
        slack: np.ndarray = np.where(self.less_equal, rhs - activity, activity - rhs)
        return slack

    def with_columns_fixed(self, columns: np.ndarray, values: np.ndarray) -> LinearProgram:
        """This LP with `columns` fixed at `values` and made continuous (an integer plan's LP for duals)."""
        lower, upper, integer = self.col_lower.copy(), self.col_upper.copy(), self.col_integer.copy()
        lower[columns] = values
        upper[columns] = values
        integer[columns] = False
        return replace(self, col_lower=lower, col_upper=upper, col_integer=integer)

    def elastic(self, rows: np.ndarray, penalty: np.ndarray) -> LinearProgram:
        """This LP's rows and columns, with one slack column more for each row in `rows`: it lets a
        `<=` row exceed its bound, and a `>=` or `==` row fall short of it, at `penalty` per unit.
        The objective is the total penalty alone (minimised); the slack of `rows[i]` is column
        `shape[1] + i`."""
        m, n = self.shape
        count = len(rows)
        less = self.less_equal[rows]
        # Rebuild the CSR arrays with one term more in each elastic row, at its end.
        extra_per_row = np.zeros(m, dtype=np.int64)
        extra_per_row[rows] = 1
        lengths = np.diff(self.row_starts) + extra_per_row
        starts = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        columns = np.empty(starts[-1], dtype=np.int64)
        values = np.empty(starts[-1], dtype=F)
        old = np.arange(self.nonzeros) + np.repeat(starts[:-1] - self.row_starts[:-1], np.diff(self.row_starts))
        columns[old] = self.row_columns
        values[old] = self.row_values
        columns[starts[rows + 1] - 1] = n + np.arange(count)
        values[starts[rows + 1] - 1] = np.where(less, -1.0, 1.0)
        return LinearProgram(
            name=f"{self.name}_elastic", maximize=False,
            col_lower=np.concatenate([self.col_lower, np.zeros(count)]),
            col_upper=np.concatenate([self.col_upper, np.full(count, np.inf)]),
            col_integer=np.zeros(n + count, dtype=bool),
            cost=np.concatenate([np.zeros(n), np.asarray(penalty, dtype=F)]),
            row_starts=starts, row_columns=columns, row_values=values,
            row_lower=self.row_lower.copy(), row_upper=self.row_upper.copy(), rows=self.rows,
            column_families=(*self.column_families, ColumnFamily("elastic", n, [(i,) for i in range(count)])),
        )


@dataclass
class Terms:
    """Cost terms: (quarter, column, USD per unit, capex or not) and each quarter's constant
    USD (opex: rent of leased halls' existing MW, the software stacks in use from the start)."""

    period: np.ndarray
    variable: np.ndarray
    coefficient: np.ndarray
    constant: np.ndarray
    capex: np.ndarray
    """True for a capex term (units, modules, generation), False for opex (energy, leases, upkeep)."""


def merge_duplicates(row: np.ndarray, column: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, ...]:
    """Terms sorted by row, a column's repeated terms in one row summed in order at its first place."""
    order = np.argsort(row, kind="stable")
    row, column, value = row[order], column[order], value[order]
    if len(row) == 0:
        return row, column, value
    key = row * (int(column.max()) + 1) + column
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    summed = np.bincount(inverse, weights=value, minlength=len(first))
    by_place = np.argsort(first, kind="stable")
    return row[first[by_place]], column[first[by_place]], summed[by_place]


@dataclass
class Rows:
    """Rows collected family by family (families, keys, periods, senses, right-hand sides, and
    coordinate terms), turned into a `LinearProgram` by `finish`."""

    families: list[str] = field(default_factory=list)
    keys: list[RowKey] = field(default_factory=list)
    periods: list[str] = field(default_factory=list)
    senses: list[str] = field(default_factory=list)
    rhs: list[np.ndarray] = field(default_factory=list)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def add(self, families: str | list[str], keys: list[RowKey], periods: list[str], senses: str | list[str],
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

    def finish(self, name: str, maximize: bool, columns: tuple[np.ndarray, np.ndarray, np.ndarray],
               cost: np.ndarray, column_families: Sequence[ColumnFamily]) -> LinearProgram:
        """The LP of every row added, in order, with `columns` = (lower, upper, integer) bounds.

        Raises:
            ValueError: A coefficient or right-hand side is not finite, or a row lists a column
                twice (solvers do not all sum such terms: `merge_duplicates` first).
        """
        n = len(self.keys)
        parts = self.parts or [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))]
        row = np.concatenate([p[0] for p in parts])
        order = np.argsort(row, kind="stable")
        row_columns = np.concatenate([p[1] for p in parts])[order]
        values = np.concatenate([p[2] for p in parts])[order]
        rhs = np.concatenate(self.rhs) if self.rhs else np.zeros(0)
        if not (np.isfinite(values).all() and np.isfinite(rhs).all()):
            raise ValueError("invalid coefficient or right-hand side: coefficients and bounds must be finite")
        width = int(row_columns.max(initial=0)) + 1
        cells = np.sort(row[order] * width + row_columns)
        repeated = cells[1:][cells[1:] == cells[:-1]]
        if len(repeated):
            r = int(repeated[0] // width)
            raise ValueError(f"row {self.families[r]} {self.keys[r]} {self.periods[r]} lists a column twice")
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=n), out=starts[1:])
        less = np.array([s == "<=" for s in self.senses], dtype=bool)
        greater = np.array([s == ">=" for s in self.senses], dtype=bool)
        # Rows of one limit share one RowKey object: its text is made once per object.
        distinct = {id(k): k for k in self.keys}
        texts = {i: str(k) for i, k in distinct.items()}
        names = [f"{f}__{texts[id(k)]}__{p}".replace("-", "_")
                 for f, k, p in zip(self.families, self.keys, self.periods, strict=True)]
        infos = list(map(RowInfo, names, self.families, self.keys, self.periods, self.senses, rhs.tolist()))
        return LinearProgram(
            name=name, maximize=maximize, col_lower=columns[0], col_upper=columns[1], col_integer=columns[2],
            cost=cost, row_starts=starts, row_columns=row_columns, row_values=values,
            row_lower=np.where(less, -np.inf, rhs), row_upper=np.where(greater, np.inf, rhs), rows=infos,
            column_families=tuple(column_families),
        )
