"""Short HTML views of a Plan, a Result and a Sweep, for notebooks (`_repr_html_`).

A few lines each: what it is and its headline numbers, never the whole object (a notebook shows
this on every cell that ends with one).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from planner import fmt

if TYPE_CHECKING:
    from planner.api.plans import Plan
    from planner.api.results import Result
    from planner.api.sweeps import Sweep


def _table(title: str, rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th><td style='text-align:left'>{escape(v)}</td></tr>"
                   for k, v in rows)
    return f"<div><strong>{escape(title)}</strong><table>{body}</table></div>"


def plan_html(plan: Plan) -> str:
    rows = [("name", plan.name), ("horizon", f"{plan.periods[0]}-{plan.periods[-1]}"),
            ("objective", str(plan.objective)),
            ("sites", ", ".join(site.id for site in plan.sites)),
            ("accelerators", f"{len(plan.accelerators)} may be bought or leased")]
    if plan.overrides:
        rows.append(("overrides", "; ".join(plan.overrides)))
    return _table(f"planner.Plan: {plan.title}", rows)


def result_html(result: Result) -> str:
    rows = [("plan", result.plan.name), ("status", str(result.status))]
    if result.has_plan:
        totals = result.totals
        rows += [("objective", f"{result.objective}: {result.objective_value:,.6g} {result.objective_unit}"),
                 ("compute at the end", f"{fmt.pflops(float(totals['bf16_eflops_end']) * 1000)} BF16 peak"),
                 ("capex", fmt.usd(float(totals["capex_usd"]))), ("opex", fmt.usd(float(totals["opex_usd"])))]
        rows.append(("tables", ", ".join(result.tables)))
    elif result.status == "infeasible":
        rows.append(("diagnosis", "see .diagnosis (no plan meets every limit)"))
    return _table(f"planner.Result: {result.plan.title}", rows)


def sweep_html(sweep: Sweep) -> str:
    statuses = sweep.table["status"].value_counts().sort_index()
    rows = [("plan", sweep.plan.name), ("runs", str(len(sweep.table))),
            ("varied", ", ".join(sweep.variables)),
            ("status", ", ".join(f"{count} {status}" for status, count in statuses.items()))]
    first_runs: str = sweep.table.head(20).to_html(index=False)
    return _table(f"planner.Sweep: {sweep.plan.title}", rows) + first_runs
