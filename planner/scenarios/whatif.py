"""What-if: a base plan and scenarios of it, solved side by side, and what moved.

`compare` turns two solved runs into metric rows (`comparison.csv`: metric, unit, base,
scenario, delta, delta_pct) and the limits that became binding or stopped binding;
`write_whatif` writes the comparison folder (CSV, PNG charts, a PDF), `summary.json` last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from planner import __version__
from planner.answers.run import Options, RunResult, objective_of, optimize
from planner.files import provenance_name
from planner.inputs.loading import Document
from planner.inputs.plan import LoadedPlan
from planner.inputs.resolve import plan_from_document, with_objective
from planner.reports.formats import write_named
from planner.reports.output import OutputFolder
from planner.reports.report import binding_limits, headline
from planner.scenarios.changes import InputChange, input_changes
from planner.scenarios.comparison import limit_changes, span
from planner.scenarios.plan_tree import CatalogSource, Marks
from planner.scenarios.scenarios import Scenario, apply_scenario
from planner.tolerances import RELATIVE_CHANGE_NOISE

COMPARISON_COLUMNS = ["scenario_name", "metric", "unit", "base", "scenario", "delta", "delta_pct"]

METRICS: tuple[tuple[str, str], ...] = (
    ("bf16_eflops_end", "EFLOPS"),
    ("effective_bf16_eflops_end", "EFLOPS"),
    ("fp8_eflops_end", "EFLOPS"),
    ("accelerators_end", "accelerators"),
    ("delivered_training_pflops_quarters", "PFLOPS-quarters"),
    ("delivered_inference_pflops_quarters", "PFLOPS-quarters"),
    ("facility_mw_used_end", "MW"),
    ("facility_mw_used_peak", "MW"),
    ("facility_mw_available_end", "MW"),
    ("capex_usd", "USD"),
    ("opex_usd", "USD"),
    ("stacks_in_use_end", "stacks"),
    ("stack_cost_usd", "USD"),
)
"""Headline totals compared, in this order (after the objective, before vendors)."""

@dataclass
class Case:
    """One side of a what-if: the base or a scenario, and its run (None if it could not be
    solved to a plan; `status` says why)."""

    name: str
    title: str
    loaded: LoadedPlan
    run: RunResult
    diagnosis: str | None = None
    """One line on why no plan meets every limit, when none does."""
    changes: tuple[InputChange, ...] = ()
    """Every input that differs from the base (a scenario's; none for the base)."""

    @property
    def solved(self) -> bool:
        return self.run.tables is not None

    @property
    def status(self) -> str:
        return str(self.run.result.status)


@dataclass
class WhatIf:
    """A base case and its scenarios, solved."""

    base: Case
    scenarios: list[Case] = field(default_factory=list)

    @property
    def cases(self) -> list[Case]:
        return [self.base, *self.scenarios]


def solve_case(name: str, title: str, loaded: LoadedPlan, options: Options, *, explain: bool = True) -> Case:
    """Solve one side; an infeasible side gets a one-line diagnosis (when `explain`)."""
    from planner.model.highs_run import Status  # noqa: PLC0415

    run = optimize(with_objective(loaded, options.objective), options)
    case = Case(name, title, loaded, run)
    if run.result.status == Status.INFEASIBLE and explain:
        from planner.answers.diagnose import diagnose  # noqa: PLC0415

        case.diagnosis = diagnose(run.plan, run.model).headline()
    return case


def run_whatif(base: Document, scenarios: Sequence[Scenario], catalog_path: Path | None,
               options: Options) -> WhatIf:
    """Solve the base and every scenario (each its overlays, then its overrides, on the base).

    Raises:
        InputError: A scenario that does not apply, or a plan that does not validate.
        SolverError: The solver failed on one of them.
    """
    catalog = CatalogSource(catalog_path)
    marks = Marks.of(base.positions)
    documents = [apply_scenario(base, scenario, catalog, marks) for scenario in scenarios]
    loaded_base = plan_from_document(base, catalog_path)
    loaded = [plan_from_document(document, catalog_path) for document in documents]
    result = WhatIf(solve_case("base", loaded_base.plan.title, loaded_base, options))
    for scenario, plan, document in zip(scenarios, loaded, documents, strict=True):
        case = solve_case(scenario.name, scenario.title, plan, options)
        case.changes = tuple(input_changes(base.data, document.data, catalog))
        result.scenarios.append(case)
    return result


def objective_value(run: RunResult) -> tuple[float, str]:
    """The objective's value and unit (`planner.answers.run.objective_of`)."""
    objective = objective_of(run.plan, run.result)
    return objective.value, objective.unit


def metrics(run: RunResult, vendors: Sequence[str]) -> list[tuple[str, str, float]]:
    """(metric, unit, value) of a solved run, in the order comparison.csv lists them."""
    totals = headline(run)
    value, unit = objective_value(run)
    rows = [("objective", unit, value)]
    rows += [(name, unit, float(totals[name])) for name, unit in METRICS]
    rows.append(("spend_usd", "USD", float(totals["capex_usd"]) + float(totals["opex_usd"])))
    by_vendor = totals["accelerators_end_by_vendor"]
    rows += [(f"accelerators_end_{v}", "accelerators", float(by_vendor.get(v, 0.0))) for v in vendors]
    rows.append(("binding_limits", "count", float(len(binding_limits(run)))))
    return rows


def vendors_of(cases: Sequence[Case]) -> list[str]:
    """Vendors with accelerators at the end in any solved case, in a fixed (sorted) order."""
    found: set[str] = set()
    for case in cases:
        if case.solved:
            found |= set(headline(case.run)["accelerators_end_by_vendor"])
    return sorted(found)


def comparison_table(result: WhatIf) -> pd.DataFrame:
    """One row per scenario and metric: base, scenario, delta, delta_pct (empty where a side has no plan)."""
    vendors = vendors_of(result.cases)
    nan = float("nan")
    base_rows = metrics(result.base.run, vendors) if result.base.solved else []
    base_values = {name: value for name, _, value in base_rows}
    rows: list[dict[str, Any]] = []
    for case in result.scenarios:
        scenario_rows = metrics(case.run, vendors) if case.solved else []
        names = base_rows or scenario_rows
        scenario_values = {name: value for name, _, value in scenario_rows}
        for name, unit, _ in names:
            base, other = base_values.get(name, nan), scenario_values.get(name, nan)
            delta = other - base
            if abs(delta) <= RELATIVE_CHANGE_NOISE * max(abs(base), abs(other)):
                delta = 0.0  # solver round-off, not a change
            pct = 100.0 * delta / abs(base) if base and not math.isnan(base) else nan
            rows.append({"scenario_name": case.name, "metric": name, "unit": unit, "base": base,
                         "scenario": other, "delta": delta, "delta_pct": pct})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def changes_table(result: WhatIf) -> pd.DataFrame:
    rows = []
    for case in result.scenarios:
        if result.base.solved and case.solved:
            for change in limit_changes(result.base.run, case.run):
                rows.append({"scenario_name": case.name, "change": "became binding" if change.became else
                             "stopped binding", "family": change.family, "key": change.key,
                             "periods": span(change.periods)})
    return pd.DataFrame(rows, columns=["scenario_name", "change", "family", "key", "periods"])


def input_changes_table(result: WhatIf) -> pd.DataFrame:
    """One row per scenario and input it changes: the path, the base value, the scenario's."""
    rows = [{"scenario_name": case.name, **change.to_json()} for case in result.scenarios for change in case.changes]
    return pd.DataFrame(rows, columns=["scenario_name", "path", "base", "scenario"])


def summary(result: WhatIf, options: Options) -> dict[str, Any]:
    """summary.json's content (the manifest adds `outputs`)."""
    from planner.reports.report import as_of, provenance  # noqa: PLC0415

    def side(case: Case) -> dict[str, Any]:
        data: dict[str, Any] = {"name": case.name, "title": case.title, "status": case.status}
        if case.solved:
            value, unit = objective_value(case.run)
            data["objective"] = {"name": case.run.plan.objective, "value": value, "unit": unit}
            data["totals"] = headline(case.run)
        if case.diagnosis:
            data["diagnosis"] = case.diagnosis
        if case is not result.base:
            data["inputs_changed"] = [change.to_json() for change in case.changes]
        data["as_of"] = as_of(case.loaded.plan)  # a scenario may bring a catalog or plan of another date
        data["inputs"] = [{"path": provenance_name(p), "sha256": case.loaded.sha256(p)} for p in case.loaded.files]
        return data

    base = result.base
    return {
        "what_if": {"plan": base.loaded.plan.name, "title": base.title,
                    "horizon": [base.loaded.plan.periods[0], base.loaded.plan.periods[-1]]},
        "base": side(base),
        "scenarios": [side(case) for case in result.scenarios],
        "provenance": {**provenance(base.run), "planner_version": __version__},
    }


def write_whatif(result: WhatIf, out: Path, options: Options, *, charts: bool = True,
                 reports: bool = False) -> dict[str, Any]:
    """Write comparison.csv, limit_changes.csv, the charts, comparison.pdf and comparison.html, then summary.json.

    With `reports`, each side's own report folder too (`out/base/`, `out/<scenario>/`).
    """
    with OutputFolder(out) as folder:
        tables = {"comparison.csv": comparison_table(result), "limit_changes.csv": changes_table(result),
                  "input_changes.csv": input_changes_table(result)}
        write_named(folder, {name.removesuffix(".csv"): table for name, table in tables.items()}, options.formats)
        if charts and any(case.solved for case in result.cases):
            # matplotlib and plotly load only here
            from planner.scenarios.compare_charts import write_whatif_charts  # noqa: PLC0415
            from planner.scenarios.compare_html import write_comparison_html  # noqa: PLC0415

            figures = write_whatif_charts(result, tables["comparison.csv"], folder)
            write_comparison_html(result, tables, figures, folder)
        if reports:
            from planner.reports.report import write_report  # noqa: PLC0415

            for case in result.cases:
                if case.solved:
                    write_report(case.run, folder.report_folder(case.name))
        data = summary(result, options)
        folder.finish(data)
    return data
