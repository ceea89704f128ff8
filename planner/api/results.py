"""`planner.solve` and its `Result`; `planner.compare` of results side by side.

A thin layer over the stages the CLI runs (`planner.answers.run.optimize`, the report folder of
`planner.reports.report`, the what-if comparison of `planner.scenarios.whatif`): same model, same
solver and fallback, same re-check of every limit, same numbers.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn

from planner.answers.outcome import RunResult, objective_of
from planner.api.arguments import flag_argument, instance_argument, path_argument, refuse
from planner.api.plans import Plan, document_of, loaded_of
from planner.errors import InputError, Problem, SolverError
from planner.inputs.resolve import with_objective
from planner.objective import Objective
from planner.options import Options

if TYPE_CHECKING:
    import pandas as pd

    from planner.answers.diagnosis import Diagnosis
    from planner.answers.risks import Risks
    from planner.model.solve import Status


def solve(plan: Plan, *, objective: str | None = None, solver: str = "highs", integer: bool = True,
          time_limit_s: float | None = None, threads: int = 1, gap: float | None = None) -> Result:
    """Solve a plan, as `plan optimize` does: build the LP, solve it, re-check every limit, price them.

    Args:
        plan: From `planner.load_plan` (or a Plan's `with_overrides`).
        objective: `max-compute` or `min-cost`, instead of the plan's own.
        solver: `highs` (in-process, the default), `cbc`, or any solver PuLP finds installed.
        integer: Whole racks, servers, modules and generation units (the default; `planner.model.whole`); False: the LP.
        time_limit_s: Stop the solver after this many seconds.
        threads: Solver threads.
        gap: The gap to the best bound at which a whole plan is good enough (default 0.1%).

    Returns:
        The result; a plan that cannot be met is a result too (`status == "infeasible"`, see `diagnosis`).

    Raises:
        InputError: An option out of its choices (the message names it and lists them).
        SolverError: The solver (and its fallback) failed, or returned a plan that breaks a limit.
    """
    instance_argument("plan", plan, Plan, "planner.load_plan")
    options = Options(objective=objective, solver=solver, integer=integer, time_limit_s=time_limit_s,
                      threads=threads, gap=gap)
    from planner.model.solvers import solver_problem  # noqa: PLC0415 - PuLP only for a name planner lacks

    problem = solver_problem(options.solver)
    if problem is not None:
        raise InputError([Problem(None, "solver", problem)])
    from planner.answers.run import optimize  # noqa: PLC0415 - the solver stack loads at the first solve

    if options.objective is not None:
        plan = plan.with_objective(options.objective)
    return Result(plan, optimize(with_objective(loaded_of(plan), options.objective), options))


class Result:
    """What one solve produced: its status, the objective's value, tidy tables, and the report."""

    __slots__ = ("_memo", "_plan", "_run")

    _plan: Plan
    _run: RunResult
    _memo: dict[str, Any]
    """What is worked out on first use (tidy tables, totals, the diagnosis): the result does not change."""

    def __init__(self, plan: Plan, run: RunResult) -> None:
        for name, value in (("_plan", plan), ("_run", run), ("_memo", {})):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"a Result cannot be changed (setting {name!r})")

    @property
    def plan(self) -> Plan:
        """The plan solved (with the objective it was solved for)."""
        return self._plan

    @property
    def status(self) -> Status:
        """`optimal`; `feasible` (a time or gap limit stopped the solver with a plan); `infeasible`
        (no plan meets every limit: see `diagnosis`); `unbounded`; `no_solution`."""
        return self._run.result.status

    @property
    def has_plan(self) -> bool:
        """Whether a plan came back (and was verified against every limit)."""
        return self._run.tables is not None

    @property
    def objective(self) -> Objective:
        return self._plan.objective

    @property
    def objective_value(self) -> float:
        """Effective compute delivered, weighted, in PFLOPS-quarters (max-compute), or the discounted
        cost in USD (min-cost): what summary.json and `plan whatif` report, without the LP's tie-break
        on cost. NaN when no plan came back."""
        if not self.has_plan:
            return math.nan
        return objective_of(self._run.plan, self._run.result).value

    @property
    def objective_unit(self) -> str:
        return objective_of(self._run.plan, self._run.result).unit

    @property
    def tables(self) -> Mapping[str, pd.DataFrame]:
        """Tidy tables by name (one row per observation, ids as columns), read-only; empty without a plan.

        `allocation`, `sites`, `sources`, `halls`, `budget`, `spending`, `compute`, `compute_by_vendor`,
        `constraints`: `planner.api.tables.TABLE_DOCS` says what a row of each is.
        """
        if "tables" not in self._memo:
            tables: dict[str, pd.DataFrame] = {}
            if self._run.tables is not None:
                from planner.api.tables import tidy_tables  # noqa: PLC0415

                tables = tidy_tables(self._run.plan, self._run.tables)
            self._memo["tables"] = MappingProxyType(tables)
        return self._memo["tables"]  # type: ignore[no-any-return]

    @property
    def totals(self) -> Mapping[str, Any]:
        """The headline numbers (summary.json's `totals`): compute at the end, capex, opex, MW, ..."""
        if not self.has_plan:
            return MappingProxyType({})
        if "totals" not in self._memo:
            from planner.reports.report import headline  # noqa: PLC0415

            self._memo["totals"] = headline(self._run)
        return MappingProxyType(copy.deepcopy(self._memo["totals"]))

    @property
    def notes(self) -> tuple[str, ...]:
        """What to know about how the plan was found: a solver fallback, a year without a budget."""
        return tuple(self._run.notes)

    @property
    def diagnosis(self) -> str | None:
        """When no plan meets every limit: what is short, why, and what would close it (one paragraph)."""
        if self.status != "infeasible":
            return None
        return self._diagnosis().headline()

    @property
    def risks(self) -> Mapping[str, Any]:
        """The main risks of report.pdf's first page, as summary.json's `risks`: P10/P50/P90 of the
        objective over joint draws of the inputs marked as estimates, and each estimate's effect alone
        (`planner.scenarios.risks`; some 30 solves of the LP relaxation, made on first use). Empty
        without a plan."""
        risks = self._risks()
        return MappingProxyType(copy.deepcopy(risks.to_json()) if risks is not None else {})

    def _risks(self) -> Risks | None:
        if "risks" not in self._memo:
            risks = None
            if self.has_plan:
                from planner.scenarios.risks import weigh_estimates  # noqa: PLC0415 - solves again, only when asked

                risks = weigh_estimates(self._run, document_of(self._plan), self._plan.catalog_path)
            self._memo["risks"] = risks
        return self._memo["risks"]  # type: ignore[no-any-return]

    def _diagnosis(self) -> Diagnosis:
        if "diagnosis" not in self._memo:
            from planner.answers.diagnose import diagnose  # noqa: PLC0415 - solves again, only when asked

            self._memo["diagnosis"] = diagnose(self._run.plan, self._run.model)
        return self._memo["diagnosis"]  # type: ignore[no-any-return]

    def write_report(self, path: str | os.PathLike[str], *, charts: bool = True, risks: bool = True) -> Path:
        """Write the report folder `plan optimize` writes (CSVs, charts, report.pdf, summary.json last);
        for a plan that cannot be met, diagnosis.json.

        Args:
            path: The folder (made if missing).
            charts: Draw the PNG charts and report.pdf (CSV and JSON are always written).
            risks: Weigh the inputs marked as estimates for the main risks (`risks`), as `plan optimize`
                does unless `--no-risks`.

        Returns:
            The folder's summary.json (diagnosis.json when no plan fits).

        Raises:
            InputError: A bad argument, or a folder planner may not write into (one that holds a file
                the plan was read from, or a file under a report's name that planner did not write).
            SolverError: The solver stopped without a plan and without proving there is none.
        """
        from planner.reports.destination import check_destination  # noqa: PLC0415

        out = path_argument("path", path, what="a report folder")
        charts, risks = flag_argument("charts", charts), flag_argument("risks", risks)
        if not self.has_plan and self.status != "infeasible":
            raise SolverError(f"no plan to report: the solver ended '{self.status}' without one")
        run = replace(self._run, options=replace(self._run.options, charts=charts, risks=risks),
                      risks=self._risks() if risks and self.has_plan else None)
        diagnosis = None if self.has_plan else self._diagnosis()
        loaded = loaded_of(self._plan)
        # Last before writing: the check locks the folder, and writing (whole or not at all) unlocks it.
        check_destination(out, [*loaded.files, *loaded.catalog_files], "path")
        from planner.reports.report import write_diagnosis, write_report  # noqa: PLC0415

        if diagnosis is None:
            write_report(run, out)
            return out / "summary.json"
        return write_diagnosis(run, diagnosis, out)

    def __repr__(self) -> str:
        if not self.has_plan:
            return f"<planner.Result {self._plan.name!r}: {self.status}>"
        return (f"<planner.Result {self._plan.name!r}: {self.status}, {self.objective} = "
                f"{self.objective_value:,.6g} {self.objective_unit}>")

    def _repr_html_(self) -> str:
        from planner.api.html import result_html  # noqa: PLC0415

        return result_html(self)


def compare(base: Result, *others: Result, names: Sequence[str] | None = None) -> pd.DataFrame:
    """What moved between a base result and others: `plan whatif`'s comparison.csv as a DataFrame.

    Args:
        base: The result to compare against.
        others: One or more results of changed plans.
        names: A name for each of `others` (default: its overrides, or `scenario-N`).

    Returns:
        One row per scenario and metric: `scenario_name`, `metric`, `unit`, `base`, `scenario`,
        `delta`, `delta_pct` (NaN where a side has no plan). The objective comes first.

    Raises:
        InputError: No results to compare, or not one name per result.
    """
    from planner.scenarios.changes import input_changes  # noqa: PLC0415
    from planner.scenarios.plan_tree import CatalogSource  # noqa: PLC0415
    from planner.scenarios.whatif import Case, WhatIf, comparison_table  # noqa: PLC0415

    instance_argument("base", base, Result, "planner.solve")
    for number, other in enumerate(others, start=1):
        instance_argument(f"others[{number}]", other, Result, "planner.solve")
    if not others:
        raise InputError([Problem(None, "others", "expected at least one result to compare with the base")])
    if names is not None and (isinstance(names, str) or not isinstance(names, Sequence)
                              or not all(isinstance(name, str) for name in names)):
        raise refuse("names", "a list of names (str), one per result", names)
    if names is not None and len(names) != len(others):
        raise InputError([Problem(None, "names", f"expected {len(others)} names, one per result, found {len(names)}")])
    labels = list(names) if names is not None else [
        "; ".join(r.plan.overrides[len(base.plan.overrides):]) or f"scenario-{i}" for i, r in enumerate(others, 1)]
    catalog = CatalogSource(base.plan.catalog_path)
    cases = []
    for label, other in zip(labels, others, strict=True):
        changes = input_changes(document_of(base.plan).data, document_of(other.plan).data, catalog)
        cases.append(Case(label, other.plan.title, loaded_of(other.plan), run_of(other), changes=tuple(changes)))
    whatif = WhatIf(Case("base", base.plan.title, loaded_of(base.plan), run_of(base)), cases)
    return comparison_table(whatif)


def run_of(result: Result) -> RunResult:
    """Everything the run produced, as the CLI's stages pass it (model, solution, ledger, wide tables):
    for `planner.api` and tests, not exported (a RunResult can be changed, and shares the plan's data)."""
    return result._run
