"""The numbers a person reads first, summed from a verified solution and its ledger: the fleet at
the end, compute delivered, facility power, money.

summary.json's `totals` (and so the terminal summary and the PDF's first page), what-if
comparisons and every sweep row read this one function, so a sweep row is the same numbers
`plan optimize` reports for the same plan. Sums are `math.fsum` (correctly rounded, whatever
the order), so they do not depend on how the rows happen to be ordered.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from planner.answers.accounting import (
    Ledger,
    delivered_pflops,
    effective_bf16_pflops,
    peak_bf16_pflops_by_vendor,
    residual_value_usd,
)
from planner.answers.stacks import STACK_KINDS, stacks_by_year
from planner.inputs.plan import Plan
from planner.model.solution import Solution
from planner.tolerances import SOLVER_NOISE


@dataclass(frozen=True)
class Headline:
    """Totals at the end of the horizon and over it, and the per-quarter series sweeps chart."""

    end_period: str
    accelerators_end_by_vendor: dict[str, float]
    """Most first (ties by name)."""
    accelerators_end: float
    bf16_eflops_end: float
    fp8_eflops_end: float
    delivered_training_pflops_quarters: float
    delivered_inference_pflops_quarters: float
    facility_mw_used_end: float
    """Peak facility draw at design PUE, all sites together: what the firm power limit holds."""
    facility_mw_available_end: float
    """Firm power, less any N-1 reserve, all sites together."""
    facility_mw_used_peak: float
    """The highest `facility_mw_used` of any quarter."""
    facility_mw_average_end: float
    """Average facility draw at annual PUE (what energy is bought for)."""
    capex_usd: float
    opex_usd: float
    budget_limit_usd: float | None
    """The limits of the years that have one, summed; None when no year has one."""
    facility_mw_used: tuple[float, ...]
    """Peak draw at design PUE per quarter, all sites together."""
    delivered_pflops: tuple[float, ...]
    """Per quarter, training (BF16) plus inference (FP8)."""
    bf16_pflops_in_service: tuple[float, ...]
    """Per quarter, peak, leases included (as allocation.csv counts them)."""
    capex_limit_usd: float | None = None
    """The capex limits of the years that have one, summed; None when no year has one."""
    capex_in_capped_years_usd: float = 0.0
    """Capex spent in those years (what the capex limits are held against)."""
    residual_value_usd: float = 0.0
    """Book value at the horizon's end of what the plan bought and put in service."""
    effective_bf16_eflops_end: float = 0.0
    """Compute in service at the end as the plan counts it: peak x availability x utilisation x
    stack maturity."""
    retired_units: float = 0.0
    """Installed units retired early over the horizon."""
    resale_usd: float = 0.0
    """What they fetched."""
    stacks_in_use_end: int = 0
    """Software stacks in use in the horizon's last year (every ecosystem with parts in service,
    or named and in use)."""
    stack_cost_usd: float = 0.0
    """What the software stacks cost over the horizon (adoption and running; opex)."""

    def totals(self) -> dict[str, Any]:
        """The scalar numbers, as summary.json's `totals`."""
        return {
            "end_period": self.end_period,
            "accelerators_end_by_vendor": dict(self.accelerators_end_by_vendor),
            "accelerators_end": self.accelerators_end,
            "bf16_eflops_end": self.bf16_eflops_end,
            "effective_bf16_eflops_end": self.effective_bf16_eflops_end,
            "fp8_eflops_end": self.fp8_eflops_end,
            "delivered_training_pflops_quarters": self.delivered_training_pflops_quarters,
            "delivered_inference_pflops_quarters": self.delivered_inference_pflops_quarters,
            "facility_mw_used_end": self.facility_mw_used_end,
            "facility_mw_available_end": self.facility_mw_available_end,
            "facility_mw_used_peak": self.facility_mw_used_peak,
            "facility_mw_average_end": self.facility_mw_average_end,
            "capex_usd": self.capex_usd,
            "opex_usd": self.opex_usd,
            "budget_limit_usd": self.budget_limit_usd,
            "capex_limit_usd": self.capex_limit_usd,
            "capex_in_capped_years_usd": self.capex_in_capped_years_usd,
            "residual_value_usd": self.residual_value_usd,
            "retired_units": self.retired_units,
            "resale_usd": self.resale_usd,
            "stacks_in_use_end": self.stacks_in_use_end,
            "stack_cost_usd": self.stack_cost_usd,
        }


@dataclass(frozen=True)
class _Fleet:
    """Accelerators in service in one quarter, one entry per holding (owned units or a lease)."""

    vendor: list[str]
    accelerators: list[float]
    bf16_pflops: list[float]
    fp8_pflops: list[float]


def headline(plan: Plan, solution: Solution, books: Ledger) -> Headline:
    """The headline of a verified solution."""
    end = len(plan.periods) - 1
    fleet = _fleet(plan, solution, books, end)
    by_vendor: dict[str, list[float]] = defaultdict(list)
    for vendor, chips in zip(fleet.vendor, fleet.accelerators, strict=True):
        by_vendor[vendor].append(chips)
    vendors = {vendor: math.fsum(chips) for vendor, chips in by_vendor.items()}
    delivered = [delivered_pflops(plan, solution, t) for t in range(len(plan.periods))]
    used = [math.fsum(books.peak_mw(s, t) for s in range(len(plan.sites))) for t in range(len(plan.periods))]
    limits = [plan.budget_usd[year] for year in plan.horizon_years if year in plan.budget_usd]
    return Headline(
        end_period=plan.periods[end],
        accelerators_end_by_vendor=dict(sorted(vendors.items(), key=lambda item: (-item[1], item[0]))),
        accelerators_end=math.fsum(fleet.accelerators),
        bf16_eflops_end=math.fsum(fleet.bf16_pflops) / 1000.0,
        fp8_eflops_end=math.fsum(fleet.fp8_pflops) / 1000.0,
        delivered_training_pflops_quarters=math.fsum(training for training, _ in delivered),
        delivered_inference_pflops_quarters=math.fsum(inference for _, inference in delivered),
        facility_mw_used_end=used[end],
        facility_mw_available_end=math.fsum(books.firm_mw(plan, s, end) for s in range(len(plan.sites))),
        facility_mw_used_peak=max(used),
        facility_mw_average_end=math.fsum(books.facility_mw(plan, s, end) for s in range(len(plan.sites))),
        capex_usd=math.fsum(books.capex_usd.values()),
        opex_usd=math.fsum(books.opex_usd.values()),
        budget_limit_usd=math.fsum(limits) if limits else None,
        capex_limit_usd=math.fsum(plan.capex_budget_usd.values()) if plan.capex_budget_usd else None,
        capex_in_capped_years_usd=math.fsum(v for (t, _), v in books.capex_usd.items()
                                            if plan.years[t] in plan.capex_budget_usd),
        residual_value_usd=residual_value_usd(plan, solution),
        facility_mw_used=tuple(used),
        delivered_pflops=tuple(training + inference for training, inference in delivered),
        bf16_pflops_in_service=_bf16_in_service(plan, solution, books),
        effective_bf16_eflops_end=effective_bf16_pflops(plan, books, end) / 1000.0,
        retired_units=math.fsum(solution.retire.values()),
        resale_usd=math.fsum(books.resale_usd.values()),
        stacks_in_use_end=sum(stack.in_use for stack in stacks_by_year(plan, solution, books.fleet_accelerators).get(
            plan.years[end], [])),
        stack_cost_usd=math.fsum(usd for (_, kind), usd in books.opex_usd.items() if kind in STACK_KINDS),
    )


def _fleet(plan: Plan, solution: Solution, books: Ledger, t: int) -> _Fleet:
    """What `allocation.csv` lists for quarter t: owned units by site, hall and accelerator, then leases."""
    fleet = _Fleet([], [], [], [])
    holdings = [(plan.catalog[c], units * plan.catalog[c].accelerators_per_unit)
                for (_, _, c, tt), units in sorted(books.units.items()) if tt == t and units > SOLVER_NOISE]
    holdings += [(plan.catalog[plan.cloud_offers[k].accelerator], leased)
                 for (k, tt), leased in sorted(solution.lease.items()) if tt == t and leased > SOLVER_NOISE]
    for accelerator, chips in holdings:
        fleet.vendor.append(accelerator.vendor)
        fleet.accelerators.append(chips)
        fleet.bf16_pflops.append(chips * accelerator.bf16_pflops)
        fleet.fp8_pflops.append(chips * accelerator.fp8_pflops)
    return fleet


def _bf16_in_service(plan: Plan, solution: Solution, books: Ledger) -> tuple[float, ...]:
    """Peak BF16 PFLOPS in service per quarter, leases included (as allocation.csv counts them)."""
    by_vendor = peak_bf16_pflops_by_vendor(plan, solution, books)
    return tuple(math.fsum(by_vendor.get(t, {}).values()) for t in range(len(plan.periods)))
