"""Re-check every limit of a solution by plain arithmetic from the plan's data.

Nothing here reads the solver's row activities: limits are recomputed from the variable
values and the input numbers, so a modelling bug in `build.py` shows as a violation here.
A limit holds when `lhs - rhs <= 1e-6 + 1e-9 * |rhs|` (in the limit's own unit).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from planner.answers.accounting import (
    Ledger,
    delivered_pflops,
    kept_units,
    ledger,
    new_arrays,
    vendor_spend_usd,
)
from planner.inputs.plan import Plan
from planner.model.families import (
    ASSIGN,
    BUDGET,
    CAPEX_BUDGET,
    CLUSTER,
    CLUSTER_SITE,
    CLUSTER_SPLIT,
    COMMITMENT_MAX,
    COMMITMENT_MIN,
    COOLING_AIR,
    COOLING_LIQUID,
    DEMAND,
    EXPANSION,
    FIRM,
    FIRM_CHARGING,
    GENERATION_UNITS,
    HALL,
    KEPT,
    LOAD,
    MAX_STACKS,
    MIN_UNITS,
    MODULES,
    OPEX_BUDGET,
    POWER,
    SHARE_MAX,
    SHARE_MIN,
    STACK_KEPT,
    STACK_PARTS,
    SUPPLY,
)
from planner.model.rows import RowKey
from planner.model.solution import NewKey, Solution
from planner.model.variables import location_key
from planner.tolerances import VERIFY_ABSOLUTE, VERIFY_INTEGER, VERIFY_RELATIVE


@dataclass(frozen=True)
class Violation:
    """A limit that the solution breaks: `lhs` should be `sense` `rhs`."""

    family: str
    key: RowKey
    period: str
    lhs: float
    sense: str
    rhs: float

    def __str__(self) -> str:
        return f"{self.family} {self.key} {self.period}: {self.lhs:.6g} is not {self.sense} {self.rhs:.6g}"


class _Checker:
    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def at_most(self, family: str, key: RowKey, period: str, lhs: float, rhs: float) -> None:
        if lhs - rhs > VERIFY_ABSOLUTE + VERIFY_RELATIVE * abs(rhs):
            self.violations.append(Violation(family, key, period, lhs, "<=", rhs))

    def at_least(self, family: str, key: RowKey, period: str, lhs: float, rhs: float) -> None:
        if rhs - lhs > VERIFY_ABSOLUTE + VERIFY_RELATIVE * abs(rhs):
            self.violations.append(Violation(family, key, period, lhs, ">=", rhs))


def _check_structure(plan: Plan, solution: Solution, check: _Checker, integer: bool) -> None:
    """Values are non-negative; nothing bought before it is available, where it does not fit,
    or against the policy; whole units in integer mode."""
    allowed = {c.id for c in plan.accelerators}
    for (s, h, c, t), n in _suspects(plan, solution, allowed, integer):
        accelerator = plan.catalog[c]
        hall = plan.sites[s].halls[h]
        key = RowKey(site=plan.sites[s].id, hall=hall.id, accelerator=c)
        check.at_least("non_negative", key, plan.periods[t], n, 0.0)
        if n > VERIFY_INTEGER:
            check.at_least("first_available", key, plan.periods[t], t, accelerator.first_period)
            if accelerator.last_period is not None:
                check.at_most("last_available", key, plan.periods[t], t, accelerator.last_period)
            if c not in allowed or not accelerator.purchasable:
                check.at_most("policy_allowed", key, plan.periods[t], n, 0.0)
            if not hall.fits(accelerator):
                check.at_most("hall_fit", key, plan.periods[t], n, 0.0)
        if integer:
            check.at_most("integer", key, plan.periods[t], abs(n - round(n)), 0.0)
    _check_modules(plan, solution, check, integer)
    _check_flows(plan, solution, check, allowed, integer)
    _check_retirement(plan, solution, check)


def _check_retirement(plan: Plan, solution: Solution, check: _Checker) -> None:
    """Installed units retired early: never more than the lot holds, never a negative number,
    only inside the lot's life and only where the plan allows early retirement."""
    T = len(plan.periods)
    for (s, h, i, t), n in solution.retire.items():
        lot = plan.sites[s].halls[h].installed[i]
        key = RowKey(site=plan.sites[s].id, hall=plan.sites[s].halls[h].id, accelerator=lot.accelerator)
        check.at_least("non_negative", key, plan.periods[t], n, 0.0)
        if t not in lot.serving_periods(T) or not plan.retirement.early:
            check.at_most("retirement_allowed", key, plan.periods[t], n, 0.0)
    for (s, h, i, t), kept in kept_units(plan, solution.retire).items():
        lot = plan.sites[s].halls[h].installed[i]
        key = RowKey(site=plan.sites[s].id, hall=plan.sites[s].halls[h].id, accelerator=lot.accelerator)
        check.at_least(KEPT.name, key, plan.periods[t], kept, 0.0)


def _suspects(plan: Plan, solution: Solution, allowed: set[str], integer: bool) -> list[tuple[NewKey, float]]:
    """The `new` entries that might break a structural check, found with numpy over all of them;
    `_check_structure` then checks these one by one (none, for a valid plan)."""
    if not solution.new:
        return []
    catalog = list(plan.catalog)
    s, h, c, t, n = new_arrays(plan, solution.new)
    first = np.array([plan.catalog[a].first_period for a in catalog], dtype=np.float64)[c]
    last = np.array([plan.catalog[a].last_period if plan.catalog[a].last_period is not None else np.inf
                     for a in catalog], dtype=np.float64)[c]
    forbidden = np.array([a not in allowed or not plan.catalog[a].purchasable for a in catalog])[c]
    halls = [hall for site in plan.sites for hall in site.halls]
    hall_index = np.cumsum([0] + [len(site.halls) for site in plan.sites])[:-1][s] + h
    fits = np.array([[hall.fits(plan.catalog[a]) for a in catalog] for hall in halls], dtype=bool)
    bought = n > VERIFY_INTEGER
    # The same tests as _Checker's, loosened by a hair so that rounding here never hides a case.
    suspect = (n < 0.0) | (bought & ((first - t > VERIFY_ABSOLUTE * 0.5) | (t - last > VERIFY_ABSOLUTE * 0.5)))
    suspect |= bought & (forbidden | ~fits[hall_index, c])
    if integer:
        suspect |= np.abs(n - np.round(n)) > VERIFY_ABSOLUTE * 0.5
    keys = list(solution.new)
    return [(keys[i], float(n[i])) for i in np.flatnonzero(suspect).tolist()]


def _check_modules(plan: Plan, solution: Solution, check: _Checker, integer: bool) -> None:
    for (s, h, t), n in solution.mod.items():
        hall = plan.sites[s].halls[h]
        key = RowKey(site=plan.sites[s].id, hall=hall.id)
        check.at_least("non_negative", key, plan.periods[t], n, 0.0)
        if n > VERIFY_INTEGER:
            check.at_least("module_start", key, plan.periods[t], t, hall.first_module_start)
        if integer:
            check.at_most("integer", key, plan.periods[t], abs(n - round(n)), 0.0)


def _check_flows(plan: Plan, solution: Solution, check: _Checker, allowed: set[str], integer: bool) -> None:
    for values in (solution.gen, solution.disp):
        for (s, g, t), mw in values.items():
            key = RowKey(site=plan.sites[s].id, source=plan.sites[s].sources[g].id)
            check.at_least("non_negative", key, plan.periods[t], mw, 0.0)
    for (s, g, t), mw in solution.gen.items():
        unit_mw = plan.sites[s].sources[g].build_unit_mw
        if integer and unit_mw > 0:  # generation of a source with a unit size comes in whole units
            key = RowKey(site=plan.sites[s].id, source=plan.sites[s].sources[g].id)
            check.at_most(GENERATION_UNITS.name, key, plan.periods[t], abs(mw - unit_mw * round(mw / unit_mw)), 0.0)
    for (k, t), n in solution.lease.items():
        offer = plan.cloud_offers[k]
        key = RowKey(offer=offer.id)
        check.at_least("non_negative", key, plan.periods[t], n, 0.0)
        check.at_most("lease", key, plan.periods[t], n, offer.max_accelerators[t])
        if n > VERIFY_INTEGER:
            check.at_most("policy_allowed", key, plan.periods[t], 0.0 if offer.accelerator in allowed else n, 0.0)


def _sum_by_pair(values: dict[tuple[int, int, int], float]) -> dict[tuple[int, int], float]:
    """Values summed over t per (s, h) or (s, g), in the dict's order."""
    out: dict[tuple[int, int], float] = defaultdict(float)
    for (a, b, _), value in values.items():
        out[a, b] += value
    return out


def _check_halls_and_power(plan: Plan, solution: Solution, books: Ledger, check: _Checker) -> None:
    modules_started = _sum_by_pair(solution.mod)
    generation_built = _sum_by_pair(solution.gen)
    for s, site in enumerate(plan.sites):
        site_key = RowKey(site=site.id)
        for h, hall in enumerate(site.halls):
            key = RowKey(site=site.id, hall=hall.id)
            check.at_most(MODULES.name, key, "all", modules_started.get((s, h), 0.0), hall.max_modules)
            for t, period in enumerate(plan.periods):
                check.at_most(HALL.name, key, period, books.hall_used_mw.get((s, h, t), 0.0),
                              books.hall_ready_mw[s, h, t])
                for family, share, heat in ((COOLING_LIQUID, hall.liquid_cooling_share, books.hall_liquid_heat_mw),
                                            (COOLING_AIR, hall.air_cooling_share, books.hall_air_heat_mw)):
                    if share is not None:
                        check.at_most(family.name, key, period, heat.get((s, h, t), 0.0),
                                      share * books.hall_ready_mw[s, h, t])
        for g, source in enumerate(site.sources):
            if source.expansion is not None:
                built = generation_built.get((s, g), 0.0)
                check.at_most(EXPANSION.name, RowKey(site=site.id, source=source.id), "all", built,
                              source.expansion.max_mw)
        for t, period in enumerate(plan.periods):
            facility_mw = books.facility_mw(plan, s, t)
            available_mw = sum(books.source_available_mw[s, g, t] for g in range(len(site.sources)))
            check.at_most("site_power", site_key, period, facility_mw, available_mw)
            # Together the two are the peak within `books.firm_mw`, the firm MW reported.
            check.at_most(FIRM.name, site_key, period, books.peak_mw(s, t), books.every_source_firm_mw(plan, s, t))
            if site.has_firm_batteries:
                check.at_most(FIRM_CHARGING.name, site_key, period, books.peak_mw(s, t),
                              books.charged_firm_mw(plan, s, t))
            dispatched = sum(solution.disp.get((s, g, t), 0.0) for g in range(len(site.sources)))
            check.at_least(LOAD.name, site_key, period, dispatched, facility_mw)
            check.at_most(LOAD.name, site_key, period, dispatched, facility_mw)
            for g, source in enumerate(site.sources):
                check.at_most(POWER.name, RowKey(site=site.id, source=source.id), period,
                              solution.disp.get((s, g, t), 0.0), books.source_available_mw[s, g, t])


def _check_money(plan: Plan, solution: Solution, books: Ledger, check: _Checker) -> None:
    for family, limits, kinds in ((BUDGET, plan.budget_usd, ("capex", "opex")),
                                  (CAPEX_BUDGET, plan.capex_budget_usd, ("capex",)),
                                  (OPEX_BUDGET, plan.opex_budget_usd, ("opex",))):
        for year, limit in limits.items():
            spent = sum(books.spend_usd(t, kinds) for t, y in enumerate(plan.years) if y == year)
            check.at_most(family.name, RowKey(year=str(year)), str(year), spent, limit)
    for commitment in plan.commitments:
        spend = vendor_spend_usd(plan, solution, commitment.vendor)
        key = RowKey(vendor=commitment.vendor)
        check.at_least(COMMITMENT_MIN.name, key, "all", spend, commitment.min_usd)
        if commitment.max_usd is not None:
            check.at_most(COMMITMENT_MAX.name, key, "all", spend, commitment.max_usd)
    bought: dict[tuple[str, int], float] = defaultdict(float)
    if plan.supply_units:
        for (_, _, c, t), n in solution.new.items():
            bought[c, t] += n
    for c, caps in plan.supply_units.items():
        for t, cap in enumerate(caps):
            if cap is not None:
                check.at_most(SUPPLY.name, RowKey(accelerator=c), plan.periods[t], bought.get((c, t), 0.0), cap)


def _check_compute(plan: Plan, solution: Solution, books: Ledger, check: _Checker) -> None:
    in_service: dict[tuple[str, int], float] = defaultdict(float)
    if plan.min_units:
        wanted = {minimum.accelerator for minimum in plan.min_units}
        for (_, _, c, t), n in books.units.items():
            if c in wanted:
                in_service[c, t] += n
    for t, period in enumerate(plan.periods):
        for c in plan.catalog:
            assigned = solution.train.get((c, t), 0.0) + solution.infer.get((c, t), 0.0)
            key = RowKey(accelerator=c)
            check.at_least("non_negative", key, period, min(solution.train.get((c, t), 0.0),
                                                           solution.infer.get((c, t), 0.0)), 0.0)
            check.at_most(ASSIGN.name, key, period, assigned, books.fleet_accelerators.get((c, t), 0.0))
        training, inference = delivered_pflops(plan, solution, t)
        check.at_least(DEMAND.name, RowKey(workload="training"), period, training, plan.training_pflops[t])
        check.at_least(DEMAND.name, RowKey(workload="inference"), period, inference, plan.inference_pflops[t])
        bf16 = {c: n * plan.catalog[c].bf16_pflops for (c, tt), n in books.fleet_accelerators.items() if tt == t}
        total = sum(bf16.values())
        for bound in plan.shares:
            if t < bound.first_period:
                continue
            group = sum(v for c, v in bf16.items() if getattr(plan.catalog[c], bound.group_kind) == bound.group)
            key = RowKey.of_group(bound.group_kind, bound.group)
            check.at_least(SHARE_MIN.name, key, period, group, bound.min_share * total)
            check.at_most(SHARE_MAX.name, key, period, group, bound.max_share * total)
        for minimum in plan.min_units:
            if t >= minimum.first_period:
                check.at_least(MIN_UNITS.name, RowKey(accelerator=minimum.accelerator), period,
                               in_service.get((minimum.accelerator, t), 0.0), minimum.units)


def _check_clusters(plan: Plan, solution: Solution, books: Ledger, check: _Checker) -> None:
    """Where the plan needs training clusters: a part's training is what its locations train,
    each location trains at most what it has in service, and a family trains at a location
    with at least N accelerators or not at all."""
    if plan.cluster_min_accelerators <= 0:
        return
    S = len(plan.sites)
    by_part: dict[tuple[str, int], float] = defaultdict(float)
    by_family: dict[tuple[int, str, int], float] = defaultdict(float)
    for (loc, c, t), n in solution.ctrain.items():
        by_part[c, t] += n
        by_family[loc, plan.catalog[c].family, t] += n
    for (c, t), n in solution.train.items():
        if t >= plan.cluster_first_period:
            check.at_least(CLUSTER_SPLIT.name, RowKey(accelerator=c), plan.periods[t], by_part.get((c, t), 0.0), n)
            check.at_most(CLUSTER_SPLIT.name, RowKey(accelerator=c), plan.periods[t], by_part.get((c, t), 0.0), n)
    at_site: dict[tuple[int, str, int], float] = defaultdict(float)
    for (s, h, c, t), units in books.units.items():
        at_site[s, c, t] += units * plan.catalog[c].accelerators_per_unit * plan.sites[s].halls[h].availability
    for (k, t), n in solution.lease.items():
        at_site[S + k, plan.cloud_offers[k].accelerator, t] += n
    for (loc, c, t), n in solution.ctrain.items():
        key = location_key(plan, loc, accelerator=c)
        check.at_least("non_negative", key, plan.periods[t], n, 0.0)
        check.at_most(CLUSTER_SITE.name, key, plan.periods[t], n, at_site.get((loc, c, t), 0.0))
    for (loc, f, t), n in by_family.items():
        if n > VERIFY_INTEGER:
            key = location_key(plan, loc, part_family=f)
            check.at_least(CLUSTER.name, key, plan.periods[t], n, plan.cluster_min_accelerators)


def _check_stacks(plan: Plan, solution: Solution, check: _Checker) -> None:
    """Limit 14: no part of a stack adopted by choice bought or leased in a year the stack is not in
    use, nor before its adoption lead ends; `use` whole, and once 1 kept; at most `max_stacks` in
    use in any year, counting those in use from the start and any with a part bought or leased by
    then (whatever `use` says)."""
    if not plan.stacks and plan.max_stacks is None:
        return
    bought = [(plan.catalog[c].ecosystem, RowKey(accelerator=c), t, n)
              for (_, _, c, t), n in solution.new.items() if n > VERIFY_INTEGER]
    bought += [(plan.catalog[plan.cloud_offers[k].accelerator].ecosystem, RowKey(offer=plan.cloud_offers[k].id), t, n)
               for (k, t), n in solution.lease.items() if n > VERIFY_INTEGER]
    first_bought: dict[str, int] = {}
    by_choice = {e: plan.adopted_by_choice(e) for e in {e for e, _, _, _ in bought}}
    for ecosystem, key, t, n in bought:
        first_bought[ecosystem] = min(t, first_bought.get(ecosystem, t))
        if by_choice[ecosystem]:
            adopted = solution.use.get((ecosystem, plan.years[t]), 0.0) > 0.5
            check.at_most(STACK_PARTS.name, key, plan.periods[t], 0.0 if adopted else n, 0.0)
            check.at_least("stack_lead", key, plan.periods[t], t, plan.stack_first_period(ecosystem))
    last_quarter = {year: len(plan.years) - 1 - plan.years[::-1].index(year) for year in plan.horizon_years}
    for ecosystem in sorted({e for e, _ in solution.use}):
        key = RowKey(ecosystem=ecosystem)
        before = 0.0
        for year in plan.horizon_years:
            value = solution.use.get((ecosystem, year), 0.0)
            check.at_most("integer", key, str(year), abs(value - round(value)), 0.0)
            check.at_least(STACK_KEPT.name, key, str(year), value, before)
            if last_quarter[year] < plan.stack_first_period(ecosystem):
                check.at_most("stack_lead", key, str(year), value, 0.0)
            before = value
    if plan.max_stacks is not None:
        from_start = plan.stacks_in_use()
        for year in plan.horizon_years:
            in_use = from_start | {e for (e, y), value in solution.use.items() if y == year and value > 0.5}
            in_use |= {e for e, t in first_bought.items() if t <= last_quarter[year]}
            check.at_most(MAX_STACKS.name, RowKey(year=str(year)), str(year), len(in_use), plan.max_stacks)


def verify(plan: Plan, solution: Solution, integer: bool = False, books: Ledger | None = None) -> list[Violation]:
    """Every limit the solution breaks (an empty list for a valid plan). `books`: the solution's
    ledger, when the caller has it already (it is computed here otherwise)."""
    check = _Checker()
    books = ledger(plan, solution) if books is None else books
    _check_structure(plan, solution, check, integer)
    _check_halls_and_power(plan, solution, books, check)
    _check_money(plan, solution, books, check)
    _check_compute(plan, solution, books, check)
    _check_clusters(plan, solution, books, check)
    _check_stacks(plan, solution, check)
    return check.violations
