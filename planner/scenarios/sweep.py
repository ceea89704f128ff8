"""Sweeps: many scenarios of one base plan (a grid of values, or random draws), solved in parallel.

The base plan is read from YAML once. Each run's overrides are applied to that loaded tree
(copying only what they touch), validated and resolved against a catalog read once, and
the resolved `Plan` (plain frozen dataclasses, picklable) is what goes to a worker, which
builds, solves and verifies it and sends back plain numbers: no PuLP model crosses a process.
Workers are a local process pool (`workers`), or a Dask cluster (`scheduler`); rows are sorted
by run index and carry no timings, so the executor never changes `sweep.csv`.

The parts: `planner.scenarios.sweep_file` (sweep files, distributions), `planner.scenarios.sweep_runs` (what is
swept and the runs), `planner.scenarios.sweep_worker` (one run solved), `planner.scenarios.sweep_executors` (where
runs are solved), `planner.scenarios.sweep_charts` (the charts); this module runs a sweep end to end and
writes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from planner.errors import InputError, Problem
from planner.inputs.plan import Plan
from planner.objective import Objective
from planner.scenarios.sweep_executors import Progress, execute
from planner.scenarios.sweep_runs import Base, Run, Variable, overrides_of
from planner.scenarios.sweep_worker import Outcome, Task

RESULT_COLUMNS = ["status", "objective", "bf16_eflops_end", "fp8_eflops_end", "accelerators_end",
                  "delivered_pflops_quarters", "facility_mw_used_peak", "capex_usd", "opex_usd", "binding_limits"]
PERIOD_COLUMNS = ["bf16_pflops_in_service", "delivered_pflops", "facility_mw_used"]


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
    plan_name: str = ""
    objective_words: str = ""
    """What the objective counts, in words, with the precision compute is counted in."""
    solvers: tuple[str, ...] = ()
    """The solvers that answered the runs, with their versions."""
    objective_label: str = "objective"
    """The objective as an axis names it."""

    def varied_solved(self) -> pd.DataFrame:
        """The grid's or the samples' runs that found a plan (what P10, P50 and P90 are taken over)."""
        table = self.table
        return table[(table["status"] == "optimal") & table["kind"].isin(["grid", "sample"])]

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
              scheduler: str | None = None, progress: Progress | None = None, title: str = "",
              client: Any = None) -> SweepResult:
    """Prepare every distinct run's plan (lazily), solve them, and tabulate.

    Where: `client` (a `dask.distributed.Client`), else a Dask `scheduler` address, else `workers`
    local processes (in this process when 1).

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
                                  for p in error.problems], error.count) from None
            yield Task(run.index, loaded, base.options)

    outcomes = {o.index: o for o in execute(tasks(), len(distinct), workers, scheduler, progress, client=client)}
    table, series, _ = _rows(runs, variables, outcomes, plans)
    series.insert(3, "period", [periods[t] for t in series["t"]])
    series = series.drop(columns="t")
    maximises = Objective(base_plan.objective).maximises
    unit = "PFLOPS-quarters (weighted)" if maximises else "USD (discounted)"
    words = "P10 and P90 of its distribution" if any(r.kind == "sample" for r in runs) else "at the ends of its range"
    return SweepResult(list(variables), table, series, tuple(periods), unit, words, title or base_plan.title,
                       base_plan.name, objective_words(base_plan),
                       tuple(sorted({o.solver for o in outcomes.values() if o.solver})), objective_label(base_plan))


def objective_words(plan: Plan) -> str:
    """What `plan`'s objective counts, in words, naming the precision its compute is counted in."""
    if not Objective(plan.objective).maximises:
        return f"cost over the horizon, capex + opex discounted at {plan.discount_rate:.0%} a year"
    weights = ("" if plan.training_weight == plan.inference_weight == 1.0 else
               f", weighted x{plan.training_weight:g} and x{plan.inference_weight:g}")
    return (f"effective compute delivered over the horizon, summed over its quarters: training in "
            f"{plan.training_precision.upper()}, inference in {plan.inference_precision.upper()}{weights}")


def objective_label(plan: Plan) -> str:
    """The objective as an axis names it, short enough for a panel's side (its ticks carry the unit)."""
    if not Objective(plan.objective).maximises:
        return "discounted cost"
    training, inference = plan.training_precision.upper(), plan.inference_precision.upper()
    return f"effective {training if training == inference else f'{training} / {inference}'} x quarters"


def write_sweep(result: SweepResult, out: Path, provenance: dict[str, Any], *, charts: bool = True,
                formats: tuple[str, ...] = ("csv",)) -> dict[str, Any]:
    """Write sweep.csv, sweep_periods.csv (and their other `formats`), the charts, sweep.pdf and
    sweep.html, then summary.json (the manifest) last."""
    from planner.reports.formats import write_named  # noqa: PLC0415
    from planner.reports.output import OutputFolder  # noqa: PLC0415

    with OutputFolder(out) as folder:
        write_named(folder, {"sweep": result.table, "sweep_periods": result.periods}, formats)
        if charts:
            from planner.scenarios.sweep_charts import write_sweep_charts  # noqa: PLC0415 - matplotlib loads only here
            from planner.scenarios.sweep_html import write_sweep_html  # noqa: PLC0415 - plotly loads only here
            from planner.scenarios.sweep_pdf import write_sweep_pdf  # noqa: PLC0415 - matplotlib loads only here

            figures = write_sweep_charts(result, folder)
            write_sweep_pdf(result, figures, provenance, folder)
            write_sweep_html(result, figures, folder)
        statuses = result.table["status"].value_counts().sort_index()
        data = {
            "sweep": {"title": result.title, "runs": len(result.table),
                      "variables": [{"path": v.path, "kind": v.kind, "column": v.column, "base": v.base,
                                     "low": v.low, "high": v.high, "spread": v.spread} for v in result.variables],
                      "status": {str(k): int(v) for k, v in statuses.items()},
                      "objective_unit": result.objective_unit, "objective": result.objective_words,
                      "solvers": list(result.solvers)},
            "provenance": provenance,
        }
        folder.finish(data)
    return data
