"""The plan's decision in a few words, and what it costs per unit of compute: the first thing an
executive reads (the terminal's first lines, the PDF's first page).

Everything here is summed from a verified solution and its ledger, so the sentence and the
tables say the same thing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from planner import fmt
from planner.answers.accounting import Ledger, effective_bf16_pflops, lease_usd, leased_effective_bf16_pflops
from planner.inputs.plan import Plan
from planner.model.solution import Solution
from planner.tolerances import SOLVER_NOISE

SHOWN_PARTS = 3
"""Parts named in the sentence (the most capex first); the rest are counted."""


@dataclass(frozen=True)
class Decision:
    """What the plan buys, builds and retires, and its capex per unit of what it leaves in service."""

    sentence: str
    capex_usd_per_effective_eflops_end: float | None
    """Capex over the horizon / effective BF16 EFLOPS owned and in service at its end (leased compute
    has no capex; None without any)."""
    capex_usd_per_it_mw_end: float | None
    """Capex over the horizon / IT MW in service at its end, all sites (None without any)."""


def decision(plan: Plan, solution: Solution, books: Ledger) -> Decision:
    """The plan's decision in one or two sentences, with its cost per unit of compute and power."""
    bought: dict[str, float] = defaultdict(float)
    spent: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for (_, _, c, t), n in solution.new.items():
        if n > SOLVER_NOISE:
            bought[c] += n
            spent[c] += n * plan.catalog[c].unit_capex_usd
            first[c], last[c] = min(first.get(c, t), t), max(last.get(c, t), t)
    parts = sorted(bought, key=lambda c: (-spent[c], c))
    clauses = []
    if parts:
        named = [f"{fmt.count(bought[c])} x {plan.catalog[c].unit} ({c}, {_span(plan, first[c], last[c])})"
                 for c in parts[:SHOWN_PARTS]]
        others = len(parts) - SHOWN_PARTS
        clauses.append("buy " + ", ".join(named) + (f" and {others} more parts" if others > 0 else ""))
    modules: dict[tuple[int, int], float] = defaultdict(float)
    for (s, h, _), n in solution.mod.items():
        modules[s, h] += n
    built = [f"{_modules(n)} of {plan.sites[s].id} / {plan.sites[s].halls[h].id} "
             f"(+{fmt.mw(n * plan.sites[s].halls[h].module_it_mw)} IT)"
             for (s, h), n in modules.items() if n > SOLVER_NOISE]
    generation: dict[tuple[int, int], float] = defaultdict(float)
    for (s, g, _), mw in solution.gen.items():
        generation[s, g] += mw
    built += [f"{fmt.mw(mw)} of {plan.sites[s].sources[g].id} at {plan.sites[s].id}"
              for (s, g), mw in generation.items() if mw > SOLVER_NOISE]
    if built:
        clauses.append("build " + ", ".join(built))
    clauses += _leases(plan, solution)
    retired = math.fsum(solution.retire.values())
    if retired > SOLVER_NOISE:
        when = sorted({plan.periods[t] for (_, _, _, t), n in solution.retire.items() if n > SOLVER_NOISE})
        clauses.append(f"retire {fmt.count(retired)} installed units early ({', '.join(when)})")
    capex = math.fsum(books.capex_usd.values())
    end = len(plan.periods) - 1
    # Capex buys what is owned: leased compute (opex, no capex) stays out of the capex per EFLOPS.
    owned = effective_bf16_pflops(plan, books, end) - leased_effective_bf16_pflops(plan, solution, end)
    effective_eflops = owned / 1000.0
    it_mw = math.fsum(mw for (_, t), mw in books.site_it_mw.items() if t == end)
    sentence = "; ".join(clauses) + "." if clauses else "buy and build nothing: what is there already will do."
    sentence = sentence[0].upper() + sentence[1:]
    return Decision(
        sentence=sentence + f" Capex {fmt.usd(capex)} over the horizon.",
        capex_usd_per_effective_eflops_end=capex / effective_eflops if effective_eflops > 0 else None,
        capex_usd_per_it_mw_end=capex / it_mw if it_mw > 0 else None,
    )


def unit_cost_words(decision: dict[str, Any]) -> str:
    """A decision's capex per unit (summary.json's `decision`) as a clause: "$30.7M per
    effective EFLOPS and $26.4M per MW of IT in service at the end", or "" without either."""
    per = []
    if decision["capex_usd_per_effective_eflops_end"] is not None:
        per.append(f"{fmt.usd(decision['capex_usd_per_effective_eflops_end'])} per effective EFLOPS owned")
    if decision["capex_usd_per_it_mw_end"] is not None:
        per.append(f"{fmt.usd(decision['capex_usd_per_it_mw_end'])} per MW of IT")
    return f"{' and '.join(per)} in service at the end" if per else ""


def _leases(plan: Plan, solution: Solution) -> list[str]:
    """"lease up to 146k x TPU Ironwood (gcp-tpu, 2026Q1-2028Q4; $13.7B of opex)", one clause per
    cloud offer used: what is leased is opex, so the capex sentence alone would hide it."""
    peak: dict[int, float] = defaultdict(float)
    usd: dict[int, float] = defaultdict(float)
    when: dict[int, list[int]] = defaultdict(list)
    for (k, t), n in solution.lease.items():
        if n > SOLVER_NOISE:
            peak[k] = max(peak[k], n)
            usd[k] += lease_usd(plan, k, n)
            when[k].append(t)
    return [f"lease up to {fmt.count(peak[k])} x {plan.catalog[offer.accelerator].name} ({offer.id}, "
            f"{_span(plan, min(when[k]), max(when[k]))}; {fmt.usd(usd[k])} of opex)"
            for k, offer in enumerate(plan.cloud_offers) if k in peak]


def _modules(n: float) -> str:
    """`3 modules`, `1 module`, or `2.51 modules` where the LP left a fraction (no --integer)."""
    shown = f"{round(n):,}" if abs(n - round(n)) < 1e-6 else f"{n:,.2f}"
    return f"{shown} module{'' if shown == '1' else 's'}"


def _span(plan: Plan, first: int, last: int) -> str:
    return plan.periods[first] if first == last else f"{plan.periods[first]}-{plan.periods[last]}"
