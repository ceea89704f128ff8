"""What a solution implies, by plain arithmetic on the plan's data (no solver objects).

`verify.py` checks these quantities against every limit and `results.py` reports them, so
every number in a report is one that was verified.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from planner.plan import Plan

NewKey = tuple[int, int, str, int]


@dataclass(frozen=True)
class Solution:
    """Variable values by DESIGN's indices; plain floats, so it can cross processes."""

    new: dict[NewKey, float] = field(default_factory=dict)
    """Units of c installed in hall h of site s in quarter t, keyed (s, h, c, t)."""
    mod: dict[tuple[int, int, int], float] = field(default_factory=dict)
    """Hall modules started, keyed (s, h, t)."""
    gen: dict[tuple[int, int, int], float] = field(default_factory=dict)
    """MW of generation built, keyed (s, g, t)."""
    disp: dict[tuple[int, int, int], float] = field(default_factory=dict)
    """Facility MW drawn from source g, keyed (s, g, t)."""
    lease: dict[tuple[int, int], float] = field(default_factory=dict)
    """Accelerators leased from cloud offer k, keyed (k, t)."""
    train: dict[tuple[str, int], float] = field(default_factory=dict)
    """Accelerators of c (availability-weighted) assigned to training, keyed (c, t)."""
    infer: dict[tuple[str, int], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Ledger:
    """Derived quantities of a solution, each keyed by DESIGN's indices."""

    units: dict[NewKey, float]
    """Units in service (installed before the horizon, plus new within their life)."""
    hall_used_mw: dict[tuple[int, int, int], float]
    hall_ready_mw: dict[tuple[int, int, int], float]
    site_it_mw: dict[tuple[int, int], float]
    source_available_mw: dict[tuple[int, int, int], float]
    capex_usd: dict[tuple[int, str], float]
    """Keyed (t, kind): kind in accelerators, modules, generation."""
    opex_usd: dict[tuple[int, str], float]
    """Keyed (t, kind): kind in energy, lease, maintenance."""
    fleet_accelerators: dict[tuple[str, int], float]
    """Availability-weighted accelerators of c in service at t, incl. leased."""

    def facility_mw(self, plan: Plan, s: int, t: int) -> float:
        return plan.sites[s].pue * self.site_it_mw.get((s, t), 0.0)

    def spend_usd(self, t: int) -> float:
        capex = sum(v for (tt, _), v in self.capex_usd.items() if tt == t)
        opex = sum(v for (tt, _), v in self.opex_usd.items() if tt == t)
        return capex + opex


def units_in_service(plan: Plan, solution: Solution) -> dict[NewKey, float]:
    """Units in service per (s, h, c, t): installed base plus new units still within their life."""
    T = len(plan.periods)
    units: dict[NewKey, float] = defaultdict(float)
    for s, site in enumerate(plan.sites):
        for h, hall in enumerate(site.halls):
            for c, count in hall.installed:
                for t in range(T):
                    units[s, h, c, t] += count
    for (s, h, c, t0), count in solution.new.items():
        for t in range(t0, min(T, t0 + plan.catalog[c].life_periods)):
            units[s, h, c, t] += count
    return dict(units)


def ledger(plan: Plan, solution: Solution) -> Ledger:
    """Work out everything a solution implies."""
    units = units_in_service(plan, solution)
    hall_used: dict[tuple[int, int, int], float] = defaultdict(float)
    site_it: dict[tuple[int, int], float] = defaultdict(float)
    fleet: dict[tuple[str, int], float] = defaultdict(float)
    for (s, h, c, t), count in units.items():
        accelerator = plan.catalog[c]
        hall = plan.sites[s].halls[h]
        hall_used[s, h, t] += count * accelerator.unit_it_mw
        site_it[s, t] += count * accelerator.unit_it_mw
        fleet[c, t] += count * accelerator.accelerators_per_unit * hall.availability
    for (k, t), count in solution.lease.items():
        fleet[plan.cloud_offers[k].accelerator, t] += count
    capex, opex = _money(plan, solution, units)
    return Ledger(
        units=units, hall_used_mw=dict(hall_used), hall_ready_mw=_hall_ready_mw(plan, solution),
        site_it_mw=dict(site_it), source_available_mw=_source_available_mw(plan, solution),
        capex_usd=capex, opex_usd=opex, fleet_accelerators=dict(fleet),
    )


def _hall_ready_mw(plan: Plan, solution: Solution) -> dict[tuple[int, int, int], float]:
    T = len(plan.periods)
    hall_ready: dict[tuple[int, int, int], float] = {}
    for s, site in enumerate(plan.sites):
        for h, hall in enumerate(site.halls):
            started = [(t0, n) for (ms, mh, t0), n in solution.mod.items() if ms == s and mh == h]
            for t in range(T):
                ready = sum(n for t0, n in started if t0 + hall.lead_periods <= t)
                hall_ready[s, h, t] = hall.existing_it_mw + ready * hall.module_it_mw
    return hall_ready


def _source_available_mw(plan: Plan, solution: Solution) -> dict[tuple[int, int, int], float]:
    T = len(plan.periods)
    available: dict[tuple[int, int, int], float] = {}
    for s, site in enumerate(plan.sites):
        for g, source in enumerate(site.sources):
            lead = source.expansion.lead_periods if source.expansion else 0
            built = [(t0, mw) for (gs, gg, t0), mw in solution.gen.items() if gs == s and gg == g]
            for t in range(T):
                available[s, g, t] = source.available_mw[t] + sum(mw for t0, mw in built if t0 + lead <= t)
    return available


def _money(
    plan: Plan, solution: Solution, units: dict[NewKey, float]
) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], float]]:
    """Capex and opex by (quarter, kind)."""
    dt_h = plan.hours_per_period
    capex: dict[tuple[int, str], float] = defaultdict(float)
    opex: dict[tuple[int, str], float] = defaultdict(float)
    for (_, _, c, t), count in solution.new.items():
        capex[t, "accelerators"] += count * (plan.catalog[c].unit_price_usd or 0.0)
    for (s, h, t), count in solution.mod.items():
        capex[t, "modules"] += count * plan.sites[s].halls[h].module_capex_usd
    for (s, g, t), mw in solution.gen.items():
        expansion = plan.sites[s].sources[g].expansion
        capex[t, "generation"] += mw * (expansion.capex_usd_per_mw if expansion else 0.0)
    for (s, g, t), mw in solution.disp.items():
        opex[t, "energy"] += mw * dt_h * plan.sites[s].sources[g].energy_usd_per_mwh
    for (k, t), count in solution.lease.items():
        opex[t, "lease"] += count * dt_h * plan.cloud_offers[k].usd_per_accelerator_hour
    if plan.maintenance_share_per_year > 0:
        for (_, _, c, t), count in units.items():
            price = plan.catalog[c].unit_price_usd or 0.0
            opex[t, "maintenance"] += plan.maintenance_share_per_year / 4.0 * price * count
    return dict(capex), dict(opex)


def delivered_pflops(plan: Plan, solution: Solution, t: int) -> tuple[float, float]:
    """Training and inference PFLOPS delivered in quarter t (at each workload's precision)."""
    training = sum(n * plan.pflops_of(plan.catalog[c], "training") for (c, tt), n in solution.train.items() if tt == t)
    inference = sum(
        n * plan.pflops_of(plan.catalog[c], "inference") for (c, tt), n in solution.infer.items() if tt == t
    )
    return training, inference


def vendor_spend_usd(plan: Plan, solution: Solution, vendor: str) -> float:
    """Money paid to `vendor` over the horizon: units bought and accelerators leased."""
    bought = sum(
        n * (plan.catalog[c].unit_price_usd or 0.0)
        for (_, _, c, _), n in solution.new.items() if plan.catalog[c].vendor == vendor
    )
    leased = sum(
        n * plan.hours_per_period * plan.cloud_offers[k].usd_per_accelerator_hour
        for (k, _), n in solution.lease.items()
        if plan.catalog[plan.cloud_offers[k].accelerator].vendor == vendor
    )
    return bought + leased
