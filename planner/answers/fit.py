"""Quick sizing and claim checks: how many units of one accelerator fit a power (and budget).

`plan fit` builds a one-site, one-quarter Plan (firm facility power at the given design PUE,
each unit with its share of fabric, halls with room to spare, an optional budget for the
units) and solves it with whole units through the same model as every plan, so its numbers
are the LP's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from planner.errors import InputError, Problem
from planner.inputs.plan import HOURS_PER_QUARTER, Accelerator, Hall, Plan, PowerSource, Site
from planner.model.build import build_model
from planner.model.highs_run import Status
from planner.model.solve import solve
from planner.objective import Objective

ROOMY_HALL_MW = 1e6
MAX_FIT_MW = 100_000.0
"""The most facility power `plan fit` sizes: 100 GW, well above any campus announced."""
MAX_FIT_USD = 5e12


def check_range(option: str, value: float, most: float, unit: str) -> None:
    """Refuse a value that is not a finite number above 0 and at most `most`, naming the range.

    Raises:
        InputError: `value` is NaN, infinite, zero, negative or above `most`.
    """
    if not (math.isfinite(value) and 0 < value <= most):
        raise InputError([Problem(None, option, f"expected a number above 0 and at most {most:,.0f} {unit}, "
                                                f"found {value}")])


@dataclass(frozen=True)
class Claim:
    """A public claim checked against physics: N accelerators in the given power."""

    accelerators: float
    possible: bool
    facility_mw_needed: float
    facility_kw_per_accelerator_allowed: float
    """All-in facility kW each accelerator may draw for the claim to hold."""
    pue_needed: float
    """The PUE at which the claim would fit with this accelerator's IT kW (below 1: impossible)."""


@dataclass(frozen=True)
class Fit:
    accelerator: str
    period: str
    power_mw: float
    pue: float
    budget_usd: float | None
    units: float
    accelerators: float
    facility_kw_per_accelerator: float
    it_kw_per_accelerator: float
    limit: str
    """What stops more: `power` or `budget`."""
    capex_usd: float | None
    """What the units cost; None for a part with no unit price (lease only)."""
    claim: Claim | None

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict  # noqa: PLC0415

        return asdict(self)


def _plan(accelerator: Accelerator, power_mw: float, pue: float, budget_usd: float | None) -> Plan:
    # Sizing by power needs no price: a lease-only part (no unit price, so nothing to buy in a
    # plan) is sized as if bought at no cost. With a budget, `fit` refuses such a part first.
    price = accelerator.unit_price_usd if accelerator.unit_price_usd is not None else 0.0
    catalog = {accelerator.id: replace(accelerator, first_period=0, last_period=None, unit_price_usd=price,
                                              commission_periods=0)}
    site = Site(
        id="site", name="site", location=None, pue=pue, design_pue=pue,
        sources=(PowerSource("power", "grid", (power_mw,), 0.0, None),),
        halls=(Hall("hall", "building", frozenset({"air", "liquid"}), 1e9, ROOMY_HALL_MW, 0.0, 0.0, 0, 0, 0,
                    "generators", 1.0, (), pue=pue, design_pue=pue),),
    )
    return Plan(
        name="fit", title="fit", objective=Objective.MAX_COMPUTE, periods=("fit",), years=(0,),
        hours_per_period=HOURS_PER_QUARTER, sites=(site,), catalog=catalog, accelerators=(catalog[accelerator.id],),
        budget_usd={0: budget_usd} if budget_usd is not None else {}, training_pflops=(0.0,), inference_pflops=(0.0,),
        training_precision="bf16", inference_precision="bf16", training_weight=1.0, inference_weight=1.0,
        objective_precision="bf16",
        discount_rate=0.0, maintenance_share_per_year=0.0, supply_units={}, shares=(), commitments=(), min_units=(),
        cloud_offers=(),
    )


def fit(
    accelerator: Accelerator, first_available: str, power_mw: float, pue: float,
    budget_usd: float | None = None, claim: float | None = None,
) -> Fit:
    """Size one accelerator into `power_mw` of firm facility power at design PUE `pue` (energy is
    not charged to the budget). The accelerator's IT power and price include its fabric share.

    Raises:
        InputError: The accelerator cannot be bought (lease only) but a budget was given.
    """
    check_range("--power", power_mw, MAX_FIT_MW, "MW")
    if budget_usd is not None:
        check_range("--budget", budget_usd, MAX_FIT_USD, "USD")
    if budget_usd is not None and accelerator.unit_price_usd is None:
        raise InputError([Problem(None, "--budget", f"'{accelerator.id}' has no unit price (lease only)")])
    plan = _plan(accelerator, power_mw, pue, budget_usd)
    model = build_model(plan, integer=True)
    result = solve(model, "highs")
    if result.status != Status.OPTIMAL or result.solution is None:
        raise InputError([Problem(None, "", f"no fit found ({result.status})")])
    units = sum(result.solution.new.values())
    per_unit = accelerator.accelerators_per_unit
    unit_it_kw = accelerator.unit_it_mw * 1000.0  # with its share of fabric
    facility_kw = unit_it_kw * pue / per_unit
    price = accelerator.unit_capex_usd
    power_left_units = (power_mw * 1000.0 - units * unit_it_kw * pue) / (unit_it_kw * pue)
    budget_left_units = (budget_usd - units * price) / price if budget_usd is not None and price > 0 else math.inf
    limit = "power" if power_left_units <= budget_left_units else "budget"
    checked = None
    if claim is not None:
        needed_mw = claim * facility_kw / 1000.0
        allowed_kw = power_mw * 1000.0 / claim
        fits_budget = budget_usd is None or claim / per_unit * price <= budget_usd
        checked = Claim(
            accelerators=claim, possible=needed_mw <= power_mw + 1e-9 and fits_budget,
            facility_mw_needed=needed_mw, facility_kw_per_accelerator_allowed=allowed_kw,
            pue_needed=allowed_kw / (unit_it_kw / per_unit),
        )
    return Fit(
        accelerator=accelerator.id, period=first_available, power_mw=power_mw, pue=pue, budget_usd=budget_usd,
        units=units, accelerators=units * per_unit, facility_kw_per_accelerator=facility_kw,
        it_kw_per_accelerator=unit_it_kw / per_unit, limit=limit,
        capex_usd=units * price if accelerator.purchasable else None, claim=checked,
    )
