"""What a sweep varies and the runs it makes.

A `Variable` is one swept input (a `--set` path, and whether its values are set, multiply the
plan's number or shift its quarter); a `Run` is one combination of their values. `Base` holds the
base plan loaded once: each run's plan is that tree plus the run's overrides, validated and
resolved against a catalog read once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from planner.answers.run import Options
from planner.errors import InputError, Position, Problem
from planner.inputs import schema
from planner.inputs.loading import Document
from planner.inputs.plan import LoadedPlan
from planner.inputs.resolve import resolve, with_objective
from planner.inputs.schema import PERIOD_PATTERN
from planner.inputs.validation import validate
from planner.scenarios.overrides import Override, parse_value
from planner.scenarios.plan_tree import CatalogSource, Marks, Slot, as_number, shift_period
from planner.scenarios.scenarios import Scenario, apply_scenario
from planner.scenarios.set_paths import describe
from planner.scenarios.sweep_file import Draw, SweepFile, draw_words, quantile

MAX_RUNS = 10_000
_SIGNED_INT = re.compile(r"^[+-]?[0-9]{1,3}$")
_FACTOR = re.compile(r"^[x*](?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?$")
MAX_FACTOR = 1_000.0


def factor_of(value: Any) -> float | None:
    """A scale factor written `x1.5` (or `*1.5`) as its number; None for a value of another form.

    Raises:
        ValueError: It starts as a factor does but is not one (`x1..2`, `x1e-`), or is not above 0 and
            at most MAX_FACTOR.
    """
    if not isinstance(value, str) or not value.startswith(("x", "*")):
        return None
    if not _FACTOR.match(value):
        raise ValueError(f"expected a scale factor such as x0.8 or x1.5, found '{value}'")
    number = float(value[1:])
    if not (math.isfinite(number) and 0 < number <= MAX_FACTOR):
        raise ValueError(f"expected a scale factor above 0 and at most {MAX_FACTOR:,.0f}, found '{value}'")
    return number


@dataclass(frozen=True)
class Variable:
    """One swept input: a path and how its values apply (set a value, scale, shift a quarter)."""

    path: str
    kind: str
    """`value` (set a number or any value), `period` (set a quarter), `factor` (multiply the plan's
    number), `slip` (shift the plan's quarter by whole quarters)."""
    base: Any
    """Its value in the base plan, in the same terms (a factor of 1, a slip of 0)."""
    low: Any = None
    high: Any = None
    """Ends for the one-at-a-time (tornado) runs: a grid's ends, or a distribution's P10/P90."""
    origin: Position = field(default_factory=lambda: Position("--set-range", 1, 1))
    spread: str = ""
    """Its values in words: a grid's values, or the distribution drawn from."""

    @property
    def column(self) -> str:
        return f"{self.path}:{self.kind}" if self.kind in ("factor", "slip") else self.path

    @property
    def label(self) -> str:
        return self.path + {"factor": " (x base)", "slip": " (slip, quarters)"}.get(self.kind, "")

    def override(self, value: Any) -> Override:
        op = {"factor": "scale", "slip": "shift"}.get(self.kind, "set")
        return Override(self.path, op, value, self.origin, str(value))  # type: ignore[arg-type]

    def text(self, value: Any) -> str:
        """A value as a person reads it: `x1.2`, `+2 q`, `$3.5M`, `150 MW`, `2027Q1`."""
        from planner import fmt  # noqa: PLC0415

        if self.kind == "factor":
            return f"x{value:g}"
        if self.kind == "slip":
            return f"{int(value):+d} q"
        if isinstance(value, int | float) and not isinstance(value, bool):
            if self.path.endswith("_usd"):
                return fmt.usd(float(value))
            if self.path.endswith("_mw"):
                return fmt.mw(float(value))
            return f"{value:.4g}"
        return str(value)


@dataclass(frozen=True)
class Run:
    """One run of a sweep: its values (None: as in the base plan)."""

    index: int
    kind: str
    """`base`, `grid`, `sample`, or `low`/`high` (one input moved alone)."""
    values: tuple[Any, ...]
    varied: str = ""
    """For `low`/`high` runs: the column of the input moved."""


# --- building the runs -------------------------------------------------------------------------

class Base:
    """The base plan loaded once; each run's plan is this tree plus overrides, validated and resolved."""

    def __init__(self, document: Document, catalog_path: Path | None, options: Options,
                 fixed: Scenario | None = None) -> None:
        from planner.inputs.catalog import read_catalog  # noqa: PLC0415

        self.source = CatalogSource(catalog_path)
        self.document = apply_scenario(document, fixed, self.source) if fixed else document
        self.marks = Marks.of(self.document.positions)
        read = read_catalog(catalog_path)
        self.catalog, self.catalog_files, self.catalog_as_of = read.accelerators, tuple(read.files), read.as_of
        self.options = options

    def loaded(self, overrides: Sequence[Override]) -> LoadedPlan:
        """Validate and resolve the base tree with `overrides` (what `plan_from_document` does,
        with the catalog read once instead of once per run).

        Raises:
            InputError: An override that does not apply, or a plan that does not validate.
        """
        document = self.document
        if overrides:
            document = apply_scenario(document, Scenario("run", "run", (), tuple(overrides)), self.source, self.marks)
        plan_file = validate(schema.PlanFile, document)
        catalog = {**self.catalog, **{entry.id: entry for entry in plan_file.catalog}}
        plan = resolve(plan_file, catalog, document, self.catalog_as_of)
        return with_objective(LoadedPlan(plan, tuple(document.files), self.catalog_files,
                                          dict(document.digests)), self.options.objective)

    def describe(self, path: str, origin: Position) -> tuple[Slot, Any]:
        return describe(self.document, Override(path, "set", 0, origin, ""), self.source)


def _linspace(low: float, high: float, count: int) -> list[float]:
    return [float(v) for v in np.linspace(low, high, count)]


def grid_words(variable: Variable, values: Sequence[Any], shown: int = 12) -> str:
    """A grid's values in words: `5 values: $5B, $7.5B, $10B, $12.5B, $15B`."""
    texts = [variable.text(v) for v in values]
    listed = ", ".join(texts[:shown]) + (f", ... ({len(texts) - shown} more), {texts[-1]}" if len(texts) > shown
                                         else "")
    return f"{len(texts)} value{'s' if len(texts) != 1 else ''}: {listed}"


def _with_grid_words(found: tuple[Variable, list[Any]]) -> tuple[Variable, list[Any]]:
    variable, values = found
    return replace(variable, spread=grid_words(variable, values)), values


def range_variable(base: Base, argument: str, number: int) -> tuple[Variable, list[Any]]:
    """`PATH=LO:HI:N` -> the variable and its N values (numbers, quarters, slips or factors).

    Raises:
        InputError: Not PATH=LO:HI:N, a path that does not exist, or values of the wrong kind.
    """
    return _with_grid_words(_range_variable(base, argument, number))


def _range_variable(base: Base, argument: str, number: int) -> tuple[Variable, list[Any]]:
    origin = Position("--set-range", number, 1)
    path, _, spec = argument.partition("=")
    parts = spec.rsplit(":", 2)
    if len(parts) != 3 or not path or not parts[2].strip().isdigit() or not 1 <= int(parts[2]) <= 1000:
        raise InputError([Problem(origin, path, f"expected PATH=LO:HI:N with 1 <= N <= 1000, found '{argument}'")])
    low, high, count = parts[0].strip(), parts[1].strip(), int(parts[2])
    slot, current = base.describe(path, origin)

    def fail(message: str) -> InputError:
        return InputError([Problem(origin, path, message)])

    if slot.is_period and PERIOD_PATTERN.match(low) and PERIOD_PATTERN.match(high):
        first, last = schema.period_index(low), schema.period_index(high)
        values: list[Any] = list(dict.fromkeys(schema.period_name(round(v)) for v in _linspace(first, last, count)))
        return Variable(path, "period", current, values[0], values[-1], origin), values
    if slot.is_period and _SIGNED_INT.match(low) and _SIGNED_INT.match(high):
        values = list(dict.fromkeys(round(v) for v in _linspace(int(low), int(high), count)))
        return Variable(path, "slip", 0, values[0], values[-1], origin), values
    if slot.is_period:
        raise fail(f"expected quarters (2026Q3:2027Q2:4) or slips in quarters (0:4:5), found '{low}:{high}'")
    if not slot.is_number:
        raise fail("only numbers and quarters can be swept with --set-range; a sweep file's `grid:` takes any values")
    try:
        factors = [factor_of(low), factor_of(high)]
    except ValueError as error:
        raise fail(str(error)) from None
    if factors[0] is not None and factors[1] is not None:
        values = _linspace(factors[0], factors[1], count)
        return Variable(path, "factor", 1.0, values[0], values[-1], origin), values
    try:
        bottom, top = (as_number(parse_value(text, origin), slot) for text in (low, high))
        base_value = as_number(current, slot) if current is not None else None
    except ValueError as error:
        raise fail(str(error)) from None
    values = _linspace(bottom, top, count)
    return Variable(path, "value", base_value, values[0], values[-1], origin), values


def file_variables(base: Base, sweep: SweepFile, document: Document) -> list[tuple[Variable, list[Any]]]:
    """The sweep file's `grid:` entries as variables with their values."""
    out = []
    for path, values in sweep.grid.items():
        origin = document.position(("grid", path)) or Position("sweep", 1, 1)
        slot, current = base.describe(path, origin)
        texts = [str(v) for v in values]
        try:
            factors = [factor_of(v) for v in values]
        except ValueError as error:
            raise InputError([Problem(origin, f"grid.{path}", str(error))]) from None
        if values and all(f is not None for f in factors):
            numbers: list[Any] = factors
            out.append((Variable(path, "factor", 1.0, numbers[0], numbers[-1], origin), numbers))
        elif values and slot.is_period and all(isinstance(v, str) and _SIGNED_INT.match(v) for v in values):
            numbers = [int(v) for v in texts]
            out.append((Variable(path, "slip", 0, numbers[0], numbers[-1], origin), numbers))
        else:
            kind = "period" if slot.is_period else "value"
            out.append((Variable(path, kind, current, values[0], values[-1], origin), list(values)))
    return [_with_grid_words(found) for found in out]


def sample_variables(base: Base, sweep: SweepFile, document: Document) -> list[tuple[Variable, Draw, Slot]]:
    """The sweep file's `samples:` entries as variables, with P10/P90 ends for the tornado."""
    out = []
    for path, draw in sweep.samples.items():
        origin = document.position(("samples", path)) or Position("sweep", 1, 1)
        slot, current = base.describe(path, origin)
        try:
            variable = _sample_variable(path, draw, slot, current, origin)
        except ValueError as error:
            raise InputError([Problem(origin, path, str(error))]) from None
        out.append((replace(variable, spread=draw_words(draw)), draw, slot))
    return out


def _sample_variable(path: str, draw: Draw, slot: Slot, current: Any, origin: Position) -> Variable:
    low, high = quantile(draw, slot, 0.1), quantile(draw, slot, 0.9)
    if draw.uniform_factor or draw.triangular_factor:
        if not slot.is_number:
            raise ValueError("a factor multiplies a number; this key is not one")
        return Variable(path, "factor", 1.0, low, high, origin)
    if draw.slip_quarters is not None:
        if not slot.is_period:
            raise ValueError("slip_quarters shifts a quarter; this key is not one")
        shift_period(current, 0)
        return Variable(path, "slip", 0, low, high, origin)
    if draw.uniform is not None:
        return Variable(path, "value", as_number(current, slot) if current is not None else None, low, high, origin)
    return Variable(path, "period" if slot.is_period else "value", current, low, high, origin)


def plan_runs(variables: Sequence[Variable], grid: Sequence[Sequence[Any]] | None,
              samples: list[tuple[Any, ...]] | None, tornado: bool) -> list[Run]:
    """Run 0 is the base plan; then the grid (first variable slowest) or the samples; then,
    with `tornado`, each variable alone at its low and its high.

    Raises:
        InputError: More than MAX_RUNS grid points or samples, counted before any is built.
    """
    variants = (math.prod(len(values) for values in grid) if grid is not None else 0) + len(samples or [])
    if variants > MAX_RUNS:
        raise InputError([Problem(None, "", f"expected at most {MAX_RUNS:,} runs (grid points or samples), "
                                            f"found {variants:,}")])
    runs = [Run(0, "base", tuple([None] * len(variables)))]
    if grid is not None:
        for combination in _product(grid):
            runs.append(Run(len(runs), "grid", tuple(combination)))
    for values in samples or []:
        runs.append(Run(len(runs), "sample", values))
    if tornado:
        for i, variable in enumerate(variables):
            for kind, value in (("low", variable.low), ("high", variable.high)):
                alone: list[Any] = [None] * len(variables)
                alone[i] = value
                runs.append(Run(len(runs), kind, tuple(alone), variable.column))
    return runs


def _product(grid: Sequence[Sequence[Any]]) -> Iterator[list[Any]]:
    if not grid:
        yield []
        return
    for value in grid[0]:
        for rest in _product(grid[1:]):
            yield [value, *rest]


def overrides_of(run: Run, variables: Sequence[Variable]) -> list[Override]:
    return [v.override(x) for v, x in zip(variables, run.values, strict=True) if x is not None]
