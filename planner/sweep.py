"""Sweeps: many scenarios of one base plan (a grid of values, or random draws), solved in parallel.

The base plan is read from YAML once. Each run's overrides are applied to that loaded tree
(copying only what they touch), validated and resolved against a catalog read once, and
the resolved `Plan` (plain frozen dataclasses, picklable) is what goes to a worker, which
builds, solves and verifies it and sends back plain numbers: no PuLP model crosses a process.
Workers are a local process pool (`workers`), or a Dask cluster (`scheduler`); rows are sorted
by run index and carry no timings, so the executor never changes `sweep.csv`.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from planner import schema
from planner.errors import InputError, Position, Problem, SolverError
from planner.loading import Document, load_file
from planner.plan import LoadedPlan, resolve, with_objective
from planner.run import Options
from planner.scenarios import (
    CatalogSource,
    Marks,
    Override,
    Scenario,
    Slot,
    apply_scenario,
    as_number,
    describe,
    parse_value,
    shift_period,
)
from planner.schema import PERIOD_PATTERN
from planner.validation import validate

MAX_RUNS = 10_000
RESULT_COLUMNS = ["status", "objective", "bf16_eflops_end", "fp8_eflops_end", "accelerators_end",
                  "delivered_pflops_quarters", "facility_mw_used_peak", "capex_usd", "opex_usd", "binding_limits"]
PERIOD_COLUMNS = ["bf16_pflops_in_service", "delivered_pflops", "facility_mw_used"]
_SIGNED_INT = re.compile(r"^[+-]?[0-9]{1,3}$")
_FACTOR = re.compile(r"^[x*]([0-9.eE+-]+)$")


# --- what is swept -------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Task:
    """What a worker gets: a resolved plan and how to solve it (plain data, picklable)."""

    index: int
    loaded: LoadedPlan
    options: Options


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back: headline numbers and per-quarter series."""

    index: int
    status: str
    results: dict[str, float]
    vendors: dict[str, float]
    periods: dict[str, tuple[float, ...]]


# --- sweep files -------------------------------------------------------------------------------

class Choices(schema.StrictModel):
    """Values with weights (equal by default)."""

    values: list[float | int | str] = Field(min_length=1, max_length=1_000)
    weights: list[Annotated[float, Field(ge=0)]] | None = None


class Draw(schema.StrictModel):
    """One input's distribution: exactly one of the keys."""

    uniform_factor: list[float] | None = Field(default=None, min_length=2, max_length=2)
    """Multiply the plan's number by a factor drawn uniformly from [low, high]."""
    triangular_factor: list[float] | None = Field(default=None, min_length=3, max_length=3)
    """Multiply by a factor from a triangular distribution [low, mode, high]."""
    uniform: list[float | str] | None = Field(default=None, min_length=2, max_length=2)
    """Set a value drawn uniformly from [low, high] (numbers or unit strings)."""
    slip_quarters: list[int] | Choices | None = None
    """Shift a quarter: [low, high] whole quarters, uniform, or {values, weights}."""
    choice: Choices | None = None
    """Set one of the values."""

    @model_validator(mode="after")
    def _one(self) -> Draw:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"expected exactly one distribution, found {len(given)}: {', '.join(given) or 'none'}")
        bounds = self.uniform_factor or self.triangular_factor
        if bounds is not None and (min(bounds) <= 0 or sorted(bounds) != bounds):
            raise ValueError("factors must be positive and in order (low, [mode,] high)")
        if isinstance(self.slip_quarters, list) and (len(self.slip_quarters) != 2 or
                                                     self.slip_quarters[0] > self.slip_quarters[1]):
            raise ValueError("slip_quarters: expected [low, high] whole quarters, low <= high")
        for choices in (self.choice, self.slip_quarters):
            if isinstance(choices, Choices) and choices.weights is not None and (
                    len(choices.weights) != len(choices.values) or sum(choices.weights) <= 0):
                raise ValueError("weights: one per value, not all zero")
        return self


class SweepFile(schema.StrictModel):
    """A sweep file: fixed overrides, a grid of values, or distributions to sample."""

    title: schema.Text | None = None
    set: dict[str, Any] = {}
    """Overrides applied to every run, as `--set` (path: value)."""
    grid: dict[str, list[Any]] = {}
    """Values of each path; several paths make a product grid."""
    samples: dict[str, Draw] = {}
    """Distributions of each path, drawn `--samples N` times with `--seed S`."""


# --- building the runs -------------------------------------------------------------------------

class Base:
    """The base plan loaded once; each run's plan is this tree plus overrides, validated and resolved."""

    def __init__(self, document: Document, catalog_path: Path | None, options: Options,
                 fixed: Scenario | None = None) -> None:
        from planner.catalog import load_catalog  # noqa: PLC0415

        self.source = CatalogSource(catalog_path)
        self.document = apply_scenario(document, fixed, self.source) if fixed else document
        self.marks = Marks.of(self.document.positions)
        self.catalog, catalog_files = load_catalog(catalog_path)
        self.catalog_files = tuple(catalog_files)
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
        plan = resolve(plan_file, catalog, document)
        return with_objective(LoadedPlan(plan, tuple(document.files), self.catalog_files), self.options.objective)

    def describe(self, path: str, origin: Position) -> tuple[Slot, Any]:
        return describe(self.document, Override(path, "set", 0, origin, ""), self.source)


def _linspace(low: float, high: float, count: int) -> list[float]:
    return [float(v) for v in np.linspace(low, high, count)]


def range_variable(base: Base, argument: str, number: int) -> tuple[Variable, list[Any]]:
    """`PATH=LO:HI:N` -> the variable and its N values (numbers, quarters, slips or factors).

    Raises:
        InputError: Not PATH=LO:HI:N, a path that does not exist, or values of the wrong kind.
    """
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
    factors = [_FACTOR.match(low), _FACTOR.match(high)]
    if factors[0] and factors[1]:
        values = _linspace(float(factors[0][1]), float(factors[1][1]), count)
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
        if values and all(isinstance(v, str) and _FACTOR.match(v) for v in values):
            numbers: list[Any] = [float(_FACTOR.match(v)[1]) for v in texts]  # type: ignore[index]
            out.append((Variable(path, "factor", 1.0, numbers[0], numbers[-1], origin), numbers))
        elif values and slot.is_period and all(isinstance(v, str) and _SIGNED_INT.match(v) for v in values):
            numbers = [int(v) for v in texts]
            out.append((Variable(path, "slip", 0, numbers[0], numbers[-1], origin), numbers))
        else:
            kind = "period" if slot.is_period else "value"
            out.append((Variable(path, kind, current, values[0], values[-1], origin), list(values)))
    return out


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
        out.append((variable, draw, slot))
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


def quantile(draw: Draw, slot: Slot, q: float) -> Any:
    """The q-quantile of a distribution (for the one-at-a-time runs)."""
    if draw.uniform_factor:
        low, high = draw.uniform_factor
        return round(low + q * (high - low), 4)
    if draw.triangular_factor:
        low, mode, high = draw.triangular_factor
        if high == low:
            return low
        split = (mode - low) / (high - low)
        if q < split:
            return round(low + math.sqrt(q * (high - low) * (mode - low)), 4)
        return round(high - math.sqrt((1 - q) * (high - low) * (high - mode)), 4)
    if draw.uniform:
        low, high = (as_number(v, slot) for v in draw.uniform)
        return float(f"{low + q * (high - low):.6g}")
    choices = draw.slip_quarters if draw.slip_quarters is not None else draw.choice
    if isinstance(choices, list):
        return int(choices[0] + math.floor(q * (choices[1] - choices[0] + 1 - 1e-9)))
    assert choices is not None
    weights = choices.weights or [1.0] * len(choices.values)
    pairs = list(zip(choices.values, weights, strict=True))
    if all(isinstance(v, int | float) for v in choices.values):
        pairs.sort(key=lambda pair: float(pair[0]))
    total, running = sum(weights), 0.0
    for value, weight in pairs:
        running += weight
        if running >= q * total - 1e-12:
            return value
    return pairs[-1][0]


def draw_value(draw: Draw, slot: Slot, rng: np.random.Generator) -> Any:
    """One draw, rounded so the value in sweep.csv reproduces the run exactly."""
    if draw.uniform_factor:
        return round(float(rng.uniform(draw.uniform_factor[0], draw.uniform_factor[1])), 4)
    if draw.triangular_factor:
        low, mode, high = draw.triangular_factor
        return low if low == high else round(float(rng.triangular(low, mode, high)), 4)
    if draw.uniform:
        low, high = (as_number(v, slot) for v in draw.uniform)
        return float(f"{rng.uniform(low, high):.6g}")
    choices = draw.slip_quarters if draw.slip_quarters is not None else draw.choice
    if isinstance(choices, list):
        return int(rng.integers(choices[0], choices[1] + 1))
    assert choices is not None
    weights = np.array(choices.weights or [1.0] * len(choices.values), dtype=float)
    return choices.values[int(rng.choice(len(choices.values), p=weights / weights.sum()))]


def read_sweep_file(path: Path) -> tuple[SweepFile, Document]:
    """Load and validate a sweep file (errors with file:line:column)."""
    document = load_file(path)
    return validate(SweepFile, document), document


def plan_runs(variables: Sequence[Variable], grid: Sequence[Sequence[Any]] | None,
              samples: list[tuple[Any, ...]] | None, tornado: bool) -> list[Run]:
    """Run 0 is the base plan; then the grid (first variable slowest) or the samples; then,
    with `tornado`, each variable alone at its low and its high."""
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
    if len(runs) > MAX_RUNS:
        raise InputError([Problem(None, "", f"expected at most {MAX_RUNS:,} runs, found {len(runs):,}")])
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


# --- solving -------------------------------------------------------------------------------------

def solve_task(task: Task) -> Outcome:
    """Build, solve and verify one run (in a worker); only plain numbers come back."""
    from planner.report import binding_limits, headline  # noqa: PLC0415
    from planner.run import optimize  # noqa: PLC0415
    from planner.whatif import objective_value  # noqa: PLC0415

    try:
        run = optimize(task.loaded, task.options)
    except SolverError:
        return Outcome(task.index, "error", {}, {}, {})
    if run.tables is None:
        return Outcome(task.index, str(run.result.status), {}, {}, {})
    totals = headline(run)
    compute, sites = run.tables.compute, run.tables.sites
    periods = list(run.plan.periods)
    used = sites.groupby("period")["power_used_mw"].sum().reindex(periods).fillna(0.0)
    results = {
        "objective": objective_value(run)[0],
        **{k: float(totals[k]) for k in ("bf16_eflops_end", "fp8_eflops_end", "accelerators_end",
                                         "facility_mw_used_peak", "capex_usd", "opex_usd")},
        "delivered_pflops_quarters": float(totals["delivered_training_pflops_quarters"])
        + float(totals["delivered_inference_pflops_quarters"]),
        "binding_limits": float(len(binding_limits(run))),
    }
    series = {
        "bf16_pflops_in_service": tuple(float(v) for v in compute["bf16_pflops_in_service"]),
        "delivered_pflops": tuple(float(a) + float(b) for a, b in
                                  zip(compute["training_pflops"], compute["inference_pflops"], strict=True)),
        "facility_mw_used": tuple(float(v) for v in used),
    }
    return Outcome(task.index, str(run.result.status), results,
                   {str(k): float(v) for k, v in totals["accelerators_end_by_vendor"].items()}, series)


Progress = Callable[[int, int], None]
"""Called with (runs done, runs in all) as runs finish."""


def execute(tasks: Iterator[Task], total: int, workers: int = 2, scheduler: str | None = None,
            progress: Progress | None = None) -> list[Outcome]:
    """Solve every task: in this process (workers=1), a local process pool, or a Dask cluster.

    Tasks are taken lazily, a few ahead of the workers, so plans are prepared while others solve.
    """
    done: list[Outcome] = []

    def finished(outcome: Outcome) -> None:
        done.append(outcome)
        if progress is not None:
            progress(len(done), total)

    if scheduler is not None:
        _execute_dask(tasks, scheduler, finished)
    elif workers <= 1:
        for task in tasks:
            finished(solve_task(task))
    else:
        _execute_pool(tasks, workers, finished)
    return sorted(done, key=lambda outcome: outcome.index)


def _pool_context() -> Any:
    """forkserver where there is one (no fork of a threaded parent), spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", "planner.sweep", "planner.run", "planner.report"])
        return context
    return multiprocessing.get_context("spawn")


def _execute_pool(tasks: Iterator[Task], workers: int, finished: Callable[[Outcome], None]) -> None:
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        pending: set[concurrent.futures.Future[Outcome]] = set()
        for task in tasks:
            pending.add(pool.submit(solve_task, task))
            if len(pending) >= 2 * workers:
                ready, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in ready:
                    finished(future.result())
        for future in concurrent.futures.as_completed(pending):
            finished(future.result())


def _execute_dask(tasks: Iterator[Task], scheduler: str, finished: Callable[[Outcome], None]) -> None:
    try:
        from dask.distributed import Client, as_completed  # noqa: PLC0415
    except ImportError:
        raise SolverError("--scheduler needs Dask: pip install 'planner[dask]'") from None
    try:
        client = Client(scheduler, timeout=30, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise SolverError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    with client:
        width = 2 * max(1, sum(client.nthreads().values()))  # type: ignore[no-untyped-call]
        running = as_completed(loop=client.loop)  # type: ignore[no-untyped-call]
        for task in tasks:
            running.add(client.submit(solve_task, task, pure=False))  # type: ignore[no-untyped-call]
            if running.count() >= width:  # type: ignore[no-untyped-call]
                finished(next(running).result())
        for future in running:
            finished(future.result())


# --- a sweep end to end ----------------------------------------------------------------------------

@dataclass
class SweepResult:
    """Every run's inputs and headline results (`table`), and per-quarter series (`periods`)."""

    variables: list[Variable]
    table: pd.DataFrame
    periods: pd.DataFrame
    period_names: tuple[str, ...]
    objective_unit: str
    sensitivity_words: str
    title: str = ""

    def sensitivities(self) -> list[tuple[Variable, float, float]]:
        """Per variable run alone at its ends: (variable, objective change at low, at high)."""
        table = self.table
        base = table[table["kind"] == "base"]
        if base.empty or base["status"].iloc[0] != "optimal":
            return []
        centre = float(base["objective"].iloc[0])
        out = []
        for variable in self.variables:
            rows = table[table["varied"] == variable.column].set_index("kind")
            if not {"low", "high"} <= set(rows.index):
                continue
            low, high = (float(rows.loc[k, "objective"]) - centre for k in ("low", "high"))
            # Differences within the solver's tolerance are no change at all.
            low, high = (0.0 if abs(v) <= 1e-7 * max(1.0, abs(centre)) else v for v in (low, high))
            out.append((variable, low, high))
        return out


def _rows(runs: Sequence[Run], variables: Sequence[Variable], outcomes: dict[int, Outcome],
          plans: dict[int, int]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    vendors = sorted({v for o in outcomes.values() for v in o.vendors})
    nan = float("nan")
    rows, series = [], []
    for run in runs:
        outcome = outcomes[plans[run.index]]
        row: dict[str, Any] = {"run": run.index, "kind": run.kind, "varied": run.varied}
        for variable, value in zip(variables, run.values, strict=True):
            row[variable.column] = variable.base if value is None else value
        row["status"] = outcome.status
        row.update({k: outcome.results.get(k, nan) for k in RESULT_COLUMNS[1:]})
        row.update({f"accelerators_end_{v}": outcome.vendors.get(v, 0.0 if outcome.results else nan)
                    for v in vendors})
        rows.append(row)
        for t, values in enumerate(zip(*[outcome.periods.get(c, ()) for c in PERIOD_COLUMNS], strict=True)):
            series.append({"run": run.index, "kind": run.kind, "t": t,
                           **dict(zip(PERIOD_COLUMNS, values, strict=True))})
    return pd.DataFrame(rows), pd.DataFrame(series, columns=["run", "kind", "t", *PERIOD_COLUMNS]), vendors


def run_sweep(base: Base, variables: Sequence[Variable], runs: Sequence[Run], *, workers: int = 2,
              scheduler: str | None = None, progress: Progress | None = None, title: str = "") -> SweepResult:
    """Prepare every distinct run's plan (lazily), solve them, and tabulate.

    Runs with the same overrides are solved once (a grid end and a tornado end, say).

    Raises:
        InputError: A run's overrides do not apply or its plan does not validate (nothing solved after).
        SolverError: Dask is missing or its scheduler cannot be reached.
    """
    first_of: dict[str, int] = {}
    plans: dict[int, int] = {}
    for run in runs:
        key = repr([(v.path, v.kind, x) for v, x in zip(variables, run.values, strict=True) if x is not None])
        plans[run.index] = first_of.setdefault(key, run.index)
    distinct = [run for run in runs if plans[run.index] == run.index]
    base_plan = base.loaded([]).plan
    periods = base_plan.periods

    def tasks() -> Iterator[Task]:
        for run in distinct:
            try:
                loaded = base.loaded(overrides_of(run, variables))
            except InputError as error:
                values = ", ".join(f"{v.column}={v.text(x)}" for v, x in zip(variables, run.values, strict=True)
                                   if x is not None)
                raise InputError([Problem(p.position, p.key, f"{p.message} (run {run.index}: {values})")
                                  for p in error.problems]) from None
            yield Task(run.index, loaded, base.options)

    outcomes = {o.index: o for o in execute(tasks(), len(distinct), workers, scheduler, progress)}
    table, series, _ = _rows(runs, variables, outcomes, plans)
    series.insert(3, "period", [periods[t] for t in series["t"]])
    series = series.drop(columns="t")
    objective = base_plan.objective
    unit = "PFLOPS-quarters (weighted)" if objective == "max-compute" else "USD (discounted)"
    words = "P10 and P90 of its distribution" if any(r.kind == "sample" for r in runs) else "at the ends of its range"
    return SweepResult(list(variables), table, series, tuple(periods), unit, words, title or base_plan.title)


def write_sweep(result: SweepResult, out: Path, provenance: dict[str, Any], *, charts: bool = True) -> dict[str, Any]:
    """Write sweep.csv, sweep_periods.csv and the charts, then summary.json (the manifest) last."""
    from planner.output import OutputFolder  # noqa: PLC0415

    folder = OutputFolder(out)
    folder.write_csv("sweep.csv", result.table)
    folder.write_csv("sweep_periods.csv", result.periods)
    if charts:
        from planner.compare_charts import write_sweep_charts  # noqa: PLC0415 - matplotlib loads only here

        write_sweep_charts(result, folder)
    statuses = result.table["status"].value_counts().sort_index()
    data = {
        "sweep": {"title": result.title, "runs": len(result.table),
                  "variables": [{"path": v.path, "kind": v.kind, "column": v.column, "base": v.base,
                                 "low": v.low, "high": v.high} for v in result.variables],
                  "status": {str(k): int(v) for k, v in statuses.items()},
                  "objective_unit": result.objective_unit},
        "provenance": provenance,
    }
    folder.finish(data)
    return data
