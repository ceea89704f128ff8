"""A finished run -> report files: the CSV tables, the charts and report.pdf, then summary.json
(the manifest) last."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner import __version__
from planner.answers.decision import decision
from planner.answers.headline import headline as headline_of
from planner.answers.outcome import objective_of
from planner.answers.stacks import stacks_by_year
from planner.files import provenance_name, shown
from planner.reports.formats import write_tables
from planner.reports.output import OutputFolder, sha256_file
from planner.tolerances import STEP_VALUE_NOISE

if TYPE_CHECKING:
    from planner.answers.diagnosis import Diagnosis
    from planner.answers.outcome import RunResult
    from planner.inputs.plan import Plan


@dataclass(frozen=True)
class BindingLimit:
    """A limit with no slack left, and what one more step of it is worth to the objective."""

    family: str
    key: str
    period: str
    step: str
    step_value: float
    value_unit: str
    words: str
    """A sentence: "100 MW more at prometheus in 2026Q4 would add 4.80 EFLOPS-quarters of compute"."""
    method: str = "marginal"
    """How `step_value` was found: constraints.csv's `step_value_method`."""


def binding_limits(run: RunResult) -> list[BindingLimit]:
    """Binding limits worth something: those whose step was re-solved, most valuable first, then
    those priced at the margin only (their words say so; see `planner.answers.explain`)."""
    if run.tables is None:
        return []
    table = run.tables.constraints
    table = table[table["binding"] & (table["step_value"] > STEP_VALUE_NOISE) & (table["family"] != "power")].copy()
    table["value"] = table["solved_step_value"].fillna(table["step_value"])
    table = table[table["value"] > STEP_VALUE_NOISE]
    # Re-solved values first, by value; marginal ones after them all (never ranked among them).
    table["marginal"] = table["solved_step_value"].isna()
    table = table.sort_values(["marginal", "value", "family", "key", "period"],
                              ascending=[True, False, True, True, True])
    return [
        BindingLimit(str(r.family), str(r.key), str(r.period), str(r.step), float(r.value),
                     str(r.value_unit), str(r.sentence), str(r.step_value_method))
        for r in table.itertuples(index=False)
    ]


def decision_of(run: RunResult) -> dict[str, Any]:
    """summary.json's `decision`: the plan in a sentence, and its capex per unit it leaves in service."""
    assert run.result.solution is not None
    assert run.ledger is not None
    return asdict(decision(run.plan, run.result.solution, run.ledger))


def headline(run: RunResult) -> dict[str, Any]:
    """The numbers a person reads first (`planner.answers.headline`), as summary.json's `totals`."""
    assert run.result.solution is not None
    assert run.ledger is not None
    return headline_of(run.plan, run.result.solution, run.ledger).totals()


def stacks(run: RunResult) -> dict[str, list[dict[str, object]]]:
    """summary.json's `stacks`: per calendar year (as text), the software stacks in use or being
    adopted, each `{"id", "in_use", "adopted", "cost_usd", "adoption_usd", "running_usd"}`
    (`planner.answers.stacks.StackYear`): those the plan names, and any other ecosystem with
    accelerators in service, at no cost."""
    assert run.result.solution is not None
    assert run.ledger is not None
    by_year = stacks_by_year(run.plan, run.result.solution, run.ledger.fleet_accelerators)
    return {str(year): [stack.to_json() for stack in listed] for year, listed in by_year.items()}


def as_of(plan: Plan) -> dict[str, str | None]:
    """summary.json's `as_of`: when the figures were current, from the inputs (never the clock), and
    where that date comes from (`plan` or `catalog`)."""
    return {"date": plan.as_of, "from": plan.as_of_from}


def provenance(run: RunResult) -> dict[str, Any]:
    """What produced this report: planner version, inputs and catalog with SHA-256, options."""
    return {
        "planner_version": __version__,
        "inputs": [{"path": provenance_name(p), "sha256": run.loaded.sha256(p)} for p in run.loaded.files],
        "catalog": [{"path": provenance_name(p), "sha256": sha256_file(p)} for p in run.loaded.catalog_files],
        "options": {k: shown(v) if isinstance(v, Path) else v for k, v in asdict(run.options).items()},
    }


SIMPLIFICATIONS = ("hourly dispatch", "battery losses", "early retirement of what the plan itself buys",
                   "measured stack-by-stack throughput (maturity is estimated)")
"""What the model leaves out, as summary.json and the report's first page say (README: "The site
model, and what it leaves out")."""


def assumptions(plan: Plan) -> dict[str, Any]:
    """The model's choices for this plan that a reader must know to trust its numbers."""
    return {
        "sites": [{"site": site.id, "annual_pue": site.pue, "design_pue": site.design_pue,
                   "design_pue_given": site.design_pue_given, "reserve": site.reserve} for site in plan.sites],
        "fabric_power_share": plan.fabric_power_share,
        "fabric_capex_share": plan.fabric_capex_share,
        "fabric_of_their_own": sorted(a.id for a in plan.accelerators
                                      if (a.fabric_power_share, a.fabric_capex_share)
                                      != (plan.fabric_power_share, plan.fabric_capex_share)),
        "utilisation": {a.id: a.utilisation for a in plan.accelerators},
        "stack_maturity": {stack.id: [min(stack.maturity), max(stack.maturity)] for stack in plan.stacks.values()},
        "training_cluster_min_accelerators": plan.cluster_min_accelerators,
        "retirement": {"early": plan.retirement.early, "resale_share_of_book": plan.retirement.resale_share_of_book,
                       "decommission_share": plan.retirement.decommission_share,
                       "trade_in": plan.retirement.trade_in},
        "simplifications": list(SIMPLIFICATIONS),
    }


def summary(run: RunResult) -> dict[str, Any]:
    """summary.json's content (the manifest adds `outputs`)."""
    rows, columns = run.model.shape
    by_family: dict[str, int] = defaultdict(int)
    for row in run.model.rows:
        by_family[row.family] += 1
    data: dict[str, Any] = {
        "plan": {"name": run.plan.name, "title": run.plan.title,
                 "horizon": [run.plan.periods[0], run.plan.periods[-1]]},
        "as_of": as_of(run.plan),
        "status": str(run.result.status),
        "objective": asdict(objective_of(run.plan, run.result)),
        "solver": {"name": run.result.solver.name, "version": run.result.solver.version,
                   "integer": run.options.integer, "gap": run.result.gap,
                   "best_bound": run.result.best_bound, "target_gap": run.result.target_gap,
                   "whole_method": run.result.whole_method},
        "model": {"rows": rows, "columns": columns,
                  "rows_by_family": dict(sorted(by_family.items())), "assumptions": assumptions(run.plan)},
        "verification": {"limits_rechecked": True, "violations": len(run.violations),
                         "tolerance": "1e-6 + 1e-9 x |rhs|"},
        "notes": run.notes,
    }
    if run.tables is not None:
        data["decision"] = decision_of(run)
        data["totals"] = headline(run)
        if run.plan.stacks or run.plan.max_stacks is not None:
            data["stacks"] = stacks(run)
        data["binding"] = [asdict(b) for b in binding_limits(run)[:20]]
        if run.risks is not None:
            data["risks"] = run.risks.to_json()
    if not reproducible():
        data["seconds"] = {k: round(v, 4) for k, v in run.seconds.items()}
    data["provenance"] = provenance(run)
    return data


def write_diagnosis(run: RunResult, diagnosis: Diagnosis, out: Path) -> Path:
    """Write diagnosis.json, report.pdf, its chart and report.html (unless `--no-report`), then the
    manifest, for a plan that cannot be met."""
    with OutputFolder(out) as folder:
        folder.write_json("diagnosis.json", {"status": "infeasible", "headline": diagnosis.headline(),
                                              **diagnosis.to_json()})
        if run.options.charts:
            from planner.reports.diagnosis_pdf import write_diagnosis_pdf  # noqa: PLC0415 - matplotlib loads only here
            from planner.reports.html_report import write_diagnosis_html  # noqa: PLC0415 - loads matplotlib too

            figures = write_diagnosis_pdf(run, diagnosis, provenance(run), folder)
            write_diagnosis_html(run, diagnosis, provenance(run), figures, folder)
        folder.finish({
            "plan": {"name": run.plan.name, "title": run.plan.title,
                     "horizon": [run.plan.periods[0], run.plan.periods[-1]]},
            "status": "infeasible",
            "solver": {"name": run.result.solver.name, "version": run.result.solver.version},
            "provenance": provenance(run),
        })
    return out / "diagnosis.json"


def reproducible() -> bool:
    """Whether outputs must be byte-identical run to run: SOURCE_DATE_EPOCH is set (the
    reproducible-builds convention). Then summary.json leaves out the stage timings, the only
    thing in any output that differs between two runs of the same input."""
    return "SOURCE_DATE_EPOCH" in os.environ


def write_report(run: RunResult, out: Path) -> dict[str, Any]:
    """Write the CSV tables, the charts, report.pdf and report.html, and summary.json (last) into `out`;
    return the summary."""
    assert run.tables is not None
    started = time.perf_counter()
    with OutputFolder(out) as folder:
        with _older_objects_frozen():
            write_tables(folder, run.plan, run.tables, run.options.formats)
            data = summary(run)
            if run.options.charts:
                from planner.reports.html_report import write_html_report  # noqa: PLC0415 - plotly loads only here
                from planner.reports.pdf_report import write_charts_and_pdf  # noqa: PLC0415 - matplotlib loads here

                write_html_report(run, data, write_charts_and_pdf(run, data, folder), folder)
        if "seconds" in data:
            data["seconds"]["report"] = round(time.perf_counter() - started, 4)
        folder.finish(data)
    return {**data, "outputs": dict(sorted(folder.written.items()))}


@contextlib.contextmanager
def _older_objects_frozen() -> Iterator[None]:
    """Keep the collector's full passes off the objects alive before the report (pandas, matplotlib,
    the run): drawing allocates a million short-lived objects, and each full pass would walk all of
    those old ones again (0.1 s a pass). A program that froze objects itself is left as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
