"""What a solution implies, by plain arithmetic on the plan's data (no solver objects).

`verify.py` checks these quantities against every limit and `results.py` reports them, so
every number in a report is one that was verified.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from planner.answers.stacks import STACK_KINDS, stack_payments
from planner.inputs.plan import Plan
from planner.model.assets import GENERATION_LIFE_QUARTERS, MODULE_LIFE_QUARTERS, build_payments, remaining_share
from planner.model.solution import NewKey, Solution


@dataclass(frozen=True)
class Ledger:
    """Derived quantities of a solution, each keyed by DESIGN's indices."""

    units: dict[NewKey, float]
    """Units in service (installed before the horizon, plus new within their life)."""
    hall_used_mw: dict[tuple[int, int, int], float]
    """IT MW of the units in service and of those being commissioned, per (s, h, t)."""
    hall_ready_mw: dict[tuple[int, int, int], float]
    hall_liquid_heat_mw: dict[tuple[int, int, int], float]
    """Heat the units in service put into liquid loops, per (s, h, t)."""
    hall_air_heat_mw: dict[tuple[int, int, int], float]
    """Heat the units in service put into the hall's air, per (s, h, t)."""
    site_it_mw: dict[tuple[int, int], float]
    site_facility_mw: dict[tuple[int, int], float]
    """Facility MW at each hall type's annual PUE: the average draw, which energy meets."""
    site_peak_mw: dict[tuple[int, int], float]
    """Facility MW at each hall type's design PUE: the hottest hour, which firm power meets."""
    source_available_mw: dict[tuple[int, int, int], float]
    """Average MW each source can deliver (rating x capacity factor), with what was built."""
    source_firm_mw: dict[tuple[int, int, int], float]
    """Firm MW of each source (rating x firm share), with what was built and is online."""
    source_rated_mw: dict[tuple[int, int, int], float]
    """Rated MW of each source, with what was built and is online (what can charge a battery)."""
    capex_usd: dict[tuple[int, str], float]
    """Keyed (t, kind): kind in accelerators, modules, generation."""
    opex_usd: dict[tuple[int, str], float]
    """Keyed (t, kind): kind in energy, lease (cloud offers), hall_lease, generation_lease, maintenance,
    decommissioning, stack_adoption, stack_running."""
    fleet_accelerators: dict[tuple[str, int], float]
    """Availability-weighted accelerators of c in service at t, incl. leased."""
    resale_usd: dict[int, float] = field(default_factory=dict)
    """What installed units retired early fetch, per quarter (income: not counted against any
    spending limit, netted from cost in the objective)."""

    def facility_mw(self, plan: Plan, s: int, t: int) -> float:
        """Average facility MW at site s in quarter t (annual PUE)."""
        return self.site_facility_mw.get((s, t), 0.0)

    def peak_mw(self, s: int, t: int) -> float:
        """Peak facility MW at site s in quarter t (design PUE)."""
        return self.site_peak_mw.get((s, t), 0.0)

    def firm_mw(self, plan: Plan, s: int, t: int) -> float:
        """Firm MW at site s in quarter t, net of the N-1 reserve: the tighter of the two limits on
        the peak, `firm` (every source) and, where batteries count, `firm_charging` (the batteries'
        part no more than the rest of the site's rated MW, which charges them)."""
        every_source = self.every_source_firm_mw(plan, s, t)
        return min(every_source, self.charged_firm_mw(plan, s, t)) if plan.sites[s].has_firm_batteries else every_source

    def every_source_firm_mw(self, plan: Plan, s: int, t: int) -> float:
        """What the `firm` row holds the peak within: every source's firm MW, net of the reserve."""
        site = plan.sites[s]
        return sum(self.source_firm_mw[s, g, t] for g in range(len(site.sources))) - site.reserve_at(t)

    def charged_firm_mw(self, plan: Plan, s: int, t: int) -> float:
        """What the `firm_charging` row holds the peak within: the firm MW of the site's sources
        other than batteries, plus their rated MW, net of the reserve."""
        site = plan.sites[s]
        return sum(self.source_firm_mw[s, g, t] + self.source_rated_mw[s, g, t]
                   for g, source in enumerate(site.sources) if not source.is_battery) - site.reserve_at(t)

    def spend_usd(self, t: int, kinds: tuple[str, ...] = ("capex", "opex")) -> float:
        """Money spent in quarter t: capex, opex or both."""
        capex = sum(v for (tt, _), v in self.capex_usd.items() if tt == t) if "capex" in kinds else 0.0
        opex = sum(v for (tt, _), v in self.opex_usd.items() if tt == t) if "opex" in kinds else 0.0
        return capex + opex


def _grouped(code: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct codes in order of first appearance, each with the sum of its weights added in
    array order: what `totals[code] += weight` over a defaultdict(float) gives, bit for bit."""
    if len(code) == 0:
        return code, weight
    distinct, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    sums = np.bincount(inverse, weights=weight, minlength=len(distinct))
    order = np.argsort(first, kind="stable")
    return distinct[order], sums[order]


@dataclass(frozen=True)
class _Units:
    """Units as arrays, one entry per (s, h, c, t): the new units of a solution, in the order of
    `solution.new`, or the units in service, in the order of `Ledger.units`."""

    s: np.ndarray
    h: np.ndarray
    c: np.ndarray
    """Position in `plan.catalog`."""
    t: np.ndarray
    count: np.ndarray


def new_arrays(plan: Plan, values: dict[NewKey, float]) -> tuple[np.ndarray, ...]:
    """(s, h, catalog position, t, value) arrays of a dict keyed (s, h, c, t)."""
    new = _new_units(plan, values)
    return new.s, new.h, new.c, new.t, new.count


def _new_units(plan: Plan, values: dict[NewKey, float]) -> _Units:
    """`new_arrays` as _Units: built once per ledger and handed to every function that reads it."""
    if not values:
        empty = np.zeros(0, dtype=np.int64)
        return _Units(empty, empty, empty, empty, np.zeros(0))
    position = {c: i for i, c in enumerate(plan.catalog)}
    s, h, c, t = zip(*values, strict=True)
    count = len(values)
    return _Units(np.fromiter(s, dtype=np.int64, count=count), np.fromiter(h, dtype=np.int64, count=count),
                  np.fromiter(map(position.__getitem__, c), dtype=np.int64, count=count),
                  np.fromiter(t, dtype=np.int64, count=count),
                  np.fromiter(values.values(), dtype=np.float64, count=count))


DENSE_CODES = 50_000_000
"""Above this many (s, h, c, t) codes, group by sorting rather than in a dense array."""


def kept_units(plan: Plan, retire: dict[tuple[int, int, int, int], float]) -> dict[tuple[int, int, int, int], float]:
    """Units of each installed lot in service, keyed (s, h, lot, t): its units less those retired
    by t, in every quarter of the horizon before the end of its life."""
    T = len(plan.periods)
    out: dict[tuple[int, int, int, int], float] = {}
    for s, site in enumerate(plan.sites):
        for h, hall in enumerate(site.halls):
            for i, lot in enumerate(hall.installed):
                left = lot.units
                for t in lot.serving_periods(T):
                    left -= retire.get((s, h, i, t), 0.0)
                    out[s, h, i, t] = left
    return out


def _unit_arrays(plan: Plan, new: _Units, commissioning: bool = False,
                 solution_retire: dict[tuple[int, int, int, int], float] | None = None) -> _Units:
    """Units in service: the installed base kept in each quarter, plus each new unit for `life`
    quarters from the quarter it is commissioned (`lag` after delivery); summed in the order of
    the plain loop (installed first, then new units by key), so every number is the same, bit
    for bit. With `commissioning`: only the units delivered and not yet in service, in each of
    their `lag` quarters of installation (they take hall space, not power)."""
    T = len(plan.periods)
    catalog = list(plan.catalog)
    C = len(catalog)
    halls = max((len(site.halls) for site in plan.sites), default=1)
    position = {c: i for i, c in enumerate(catalog)}
    base = [] if commissioning else [
        (((s * halls + h) * C + position[plan.sites[s].halls[h].installed[i].accelerator]) * T + t, count)
        for (s, h, i, t), count in kept_units(plan, solution_retire or {}).items()]
    s0, h0, c0, n0 = new.s, new.h, new.c, new.count
    life = np.array([plan.catalog[c].life_periods for c in catalog], dtype=np.int64)
    lag = np.array([plan.catalog[c].commission_periods for c in catalog], dtype=np.int64)
    if commissioning:
        t0, life = new.t, lag
    else:
        t0 = new.t + lag[c0]
    span = np.minimum(life[c0], np.maximum(T - t0, 0))  # quarters each new unit is counted
    which = np.repeat(np.arange(len(s0), dtype=np.int32), span)
    first_code = ((s0 * halls + h0) * C + c0) * T + t0
    # Code of (s, h, c, t) for every (unit, quarter in service): the installed base's first.
    code = np.concatenate([
        np.array([b[0] for b in base], dtype=np.int64),
        first_code[which] + (np.arange(len(which)) - np.repeat(np.cumsum(span) - span, span)),
    ])
    count = np.concatenate([np.array([b[1] for b in base], dtype=np.float64), n0[which]])
    del which
    space = len(plan.sites) * halls * C * T
    code, total = _grouped(code, count) if space > DENSE_CODES else _grouped_dense(code, count, space)
    code, t = np.divmod(code, T)
    code, c = np.divmod(code, C)
    s, h = np.divmod(code, halls)
    return _Units(s, h, c, t, total)


def _grouped_dense(code: np.ndarray, weight: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """`_grouped` for codes in range(space), without sorting (less memory, same numbers)."""
    first = np.full(space, len(code), dtype=np.int64)
    np.minimum.at(first, code, np.arange(len(code), dtype=np.int64))
    present = np.flatnonzero(first < len(code))
    order = present[np.argsort(first[present], kind="stable")]
    return order, np.bincount(code, weights=weight, minlength=space)[order]


def _unit_keys(plan: Plan, units: _Units) -> list[NewKey]:
    catalog = list(plan.catalog)
    return list(zip(units.s.tolist(), units.h.tolist(), [catalog[i] for i in units.c.tolist()], units.t.tolist(),
                    strict=True))


def units_in_service(plan: Plan, solution: Solution) -> dict[NewKey, float]:
    """Units in service per (s, h, c, t): installed base plus new units still within their life."""
    units = _unit_arrays(plan, _new_units(plan, solution.new), solution_retire=solution.retire)
    return dict(zip(_unit_keys(plan, units), units.count.tolist(), strict=True))


def ledger(plan: Plan, solution: Solution) -> Ledger:
    """Work out everything a solution implies."""
    new = _new_units(plan, solution.new)
    units = _unit_arrays(plan, new, solution_retire=solution.retire)
    waiting = _unit_arrays(plan, new, commissioning=True)
    catalog = [plan.catalog[c] for c in plan.catalog]
    T = len(plan.periods)
    unit_mw = np.array([a.unit_it_mw for a in catalog])
    it_mw = units.count * unit_mw[units.c]
    halls = max((len(site.halls) for site in plan.sites), default=1)
    # Hall space holds the units in service and those still being commissioned.
    code, used = _grouped(np.concatenate([(units.s * halls + units.h) * T + units.t,
                                          (waiting.s * halls + waiting.h) * T + waiting.t]),
                          np.concatenate([it_mw, waiting.count * unit_mw[waiting.c]]))
    hall_used = dict(zip(zip(*(x.tolist() for x in (code // T // halls, code // T % halls, code % T)), strict=True),
                         used.tolist(), strict=True))
    heat = []
    for per_unit_mw in ([a.liquid_heat_mw for a in catalog], [a.air_heat_mw for a in catalog]):
        code, mw = _grouped((units.s * halls + units.h) * T + units.t, units.count * np.array(per_unit_mw)[units.c])
        heat.append(dict(zip(zip(*(x.tolist() for x in (code // T // halls, code // T % halls, code % T)),
                                 strict=True), mw.tolist(), strict=True)))
    hall_index = np.cumsum([0] + [len(site.halls) for site in plan.sites])[:-1]
    q = hall_index[units.s] + units.h
    annual = np.array([hall.pue for site in plan.sites for hall in site.halls])
    design = np.array([hall.design_pue for site in plan.sites for hall in site.halls])
    by_site = []
    for weight in (it_mw, it_mw * annual[q], it_mw * design[q]):
        code, site_mw = _grouped(units.s * T + units.t, weight)
        by_site.append(dict(zip(zip((code // T).tolist(), (code % T).tolist(), strict=True), site_mw.tolist(),
                                strict=True)))
    site_it, site_facility, site_peak = by_site
    availability = np.array([hall.availability for site in plan.sites for hall in site.halls])
    per_unit = np.array([a.accelerators_per_unit for a in catalog], dtype=np.float64)
    chips = units.count * per_unit[units.c] * availability[hall_index[units.s] + units.h] if len(units.s) else (
        units.count)
    lease_c = np.array([list(plan.catalog).index(plan.cloud_offers[k].accelerator) for k, _ in solution.lease],
                       dtype=np.int64)
    lease_t = np.array([t for _, t in solution.lease], dtype=np.int64)
    lease_n = np.fromiter(solution.lease.values(), dtype=np.float64, count=len(solution.lease))
    code, fleet_n = _grouped(np.concatenate([units.c * T + units.t, lease_c * T + lease_t]),
                             np.concatenate([chips, lease_n]))
    ids = list(plan.catalog)
    fleet = dict(zip(zip([ids[i] for i in (code // T).tolist()], (code % T).tolist(), strict=True), fleet_n.tolist(),
                     strict=True))
    capex, opex = _money(plan, solution, new, units)
    return Ledger(
        units=dict(zip(_unit_keys(plan, units), units.count.tolist(), strict=True)), hall_used_mw=hall_used,
        hall_ready_mw=_hall_ready_mw(plan, solution), hall_liquid_heat_mw=heat[0], hall_air_heat_mw=heat[1],
        site_it_mw=site_it, site_facility_mw=site_facility,
        site_peak_mw=site_peak, source_available_mw=_source_mw(plan, solution, "average"),
        source_firm_mw=_source_mw(plan, solution, "firm"), source_rated_mw=_source_mw(plan, solution, "rated"),
        capex_usd=capex, opex_usd=opex,
        fleet_accelerators=fleet, resale_usd=resale_usd(plan, solution),
    )


def _by_pair(values: dict[tuple[int, int, int], float]) -> dict[tuple[int, int], list[tuple[int, float]]]:
    """(t, value) per (s, h) or (s, g), in the dict's order."""
    out: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for (a, b, t), value in values.items():
        out[a, b].append((t, value))
    return out


def _hall_ready_mw(plan: Plan, solution: Solution) -> dict[tuple[int, int, int], float]:
    T = len(plan.periods)
    modules = _by_pair(solution.mod)
    hall_ready: dict[tuple[int, int, int], float] = {}
    for s, site in enumerate(plan.sites):
        for h, hall in enumerate(site.halls):
            started = modules.get((s, h), [])
            for t in range(T):
                ready = sum(n for t0, n in started if t0 + hall.lead_periods <= t)
                hall_ready[s, h, t] = hall.existing_it_mw + ready * hall.module_it_mw
    return hall_ready


def _source_mw(plan: Plan, solution: Solution, measure: str) -> dict[tuple[int, int, int], float]:
    """Each source's average, firm or rated MW (`measure`) in each quarter, with what was built and
    is online."""
    T = len(plan.periods)
    builds = _by_pair(solution.gen)
    available: dict[tuple[int, int, int], float] = {}
    for s, site in enumerate(plan.sites):
        for g, source in enumerate(site.sources):
            lead = source.expansion.lead_periods if source.expansion else 0
            built = builds.get((s, g), [])
            share = {"average": source.capacity_factor, "firm": source.firm_share, "rated": 1.0}[measure]
            for t in range(T):
                if measure == "average":
                    base = source.available_mw[t]
                else:
                    base = source.firm_mw(t) if measure == "firm" else source.rated_mw(t)
                available[s, g, t] = base + share * sum(mw for t0, mw in built if t0 + lead <= t)
    return available


def _money(
    plan: Plan, solution: Solution, new: _Units, units: _Units
) -> tuple[dict[tuple[int, str], float], dict[tuple[int, str], float]]:
    """Capex and opex by (quarter, kind), each summed in the plain loop's order."""
    dt_h = plan.hours_per_period
    catalog = [plan.catalog[c] for c in plan.catalog]
    price = np.array([a.unit_capex_usd for a in catalog])  # the unit and its share of fabric
    capex_parts = [("accelerators", new.t, new.count * price[new.c])]
    # A build's capex is paid evenly over the quarters it is being built (as the LP charges it).
    modules = [(quarter, n * hall.module_capex_usd * share) for (s, h, t), n in solution.mod.items()
               if (hall := plan.sites[s].halls[h]) is not None
               for quarter, share in build_payments(t, hall.lead_periods)]
    builds = [(quarter, mw * e.capex_usd_per_mw * share) for (s, g, t), mw in solution.gen.items()
              if (e := plan.sites[s].sources[g].expansion) is not None
              for quarter, share in build_payments(t, e.lead_periods)]
    capex_parts += [_part("modules", modules), _part("generation", builds)]
    if plan.retirement.trade_in:  # what retired units fetch, credited against capex
        capex_parts.append(_part("trade_in", [(t, -usd) for t, usd in sorted(resale_usd(plan, solution).items())]))
    opex_parts = [
        ("energy", np.array([t for _, _, t in solution.disp], dtype=np.int64), np.array(
            [mw * dt_h * plan.sites[s].sources[g].energy_usd_per_mwh for (s, g, _), mw in solution.disp.items()],
            dtype=np.float64)),
        ("lease", np.array([t for _, t in solution.lease], dtype=np.int64), np.array(
            [lease_usd(plan, k, n) for (k, _), n in solution.lease.items()], dtype=np.float64)),
    ]
    opex_parts += _leases(plan, solution)
    if plan.maintenance_share_per_year > 0:
        opex_parts.append(("maintenance", units.t, plan.maintenance_share_per_year / 4.0 * price[units.c]
                           * units.count))
    retired = [(t, n * plan.retirement.decommission_share * (plan.catalog[lot.accelerator].unit_price_usd or 0.0))
               for (s, h, i, t), n in solution.retire.items() if (lot := plan.sites[s].halls[h].installed[i])]
    if retired:
        opex_parts.append(_part("decommissioning", retired))
    software = stack_payments(plan, solution)
    for kind in STACK_KINDS:
        paid = [(t, usd) for t, _, k, usd in software if k == kind]
        if paid:
            opex_parts.append(_part(kind, paid))
    return _by_quarter(capex_parts), _by_quarter(opex_parts)


def resale_usd(plan: Plan, solution: Solution) -> dict[int, float]:
    """What installed units retired early fetch, per quarter: the plan's share of their
    straight-line book value at their age then (as the LP counts it)."""
    out: dict[int, float] = defaultdict(float)
    for (s, h, i, t), n in solution.retire.items():
        lot = plan.sites[s].halls[h].installed[i]
        accelerator = plan.catalog[lot.accelerator]
        book = float(remaining_share(np.array(float(lot.age_periods(t))), accelerator.life_periods))
        out[t] += n * plan.retirement.resale_share_of_book * (accelerator.unit_price_usd or 0.0) * book
    return dict(out)


def _leases(plan: Plan, solution: Solution) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The rent of leased halls and generation, by quarter: a leased hall type's existing MW in
    every quarter, then each leased module and each leased expansion from the quarter it is
    ready to the horizon's end, at a quarter of the yearly rate per MW."""
    T = len(plan.periods)
    halls = [(t, hall.existing_it_mw * hall.lease_usd_per_mw_year / 4.0)
             for site in plan.sites for hall in site.halls if hall.lease_usd_per_mw_year > 0 for t in range(T)]
    halls += [(quarter, n * hall.module_it_mw * hall.lease_usd_per_mw_year / 4.0)
              for (s, h, t), n in solution.mod.items()
              if (hall := plan.sites[s].halls[h]).lease_usd_per_mw_year > 0
              for quarter in range(t + hall.lead_periods, T)]
    generation = [(quarter, mw * e.lease_usd_per_mw_year / 4.0) for (s, g, t), mw in solution.gen.items()
                  if (e := plan.sites[s].sources[g].expansion) is not None and e.lease_usd_per_mw_year > 0
                  for quarter in range(t + e.lead_periods, T)]
    return [_part("hall_lease", halls), _part("generation_lease", generation)]


def _part(kind: str, payments: list[tuple[int, float]]) -> tuple[str, np.ndarray, np.ndarray]:
    """(kind, quarters, USD) arrays of (quarter, USD) payments."""
    return (kind, np.array([q for q, _ in payments], dtype=np.int64),
            np.array([usd for _, usd in payments], dtype=np.float64))


def depreciation_usd(plan: Plan, solution: Solution) -> np.ndarray:
    """Straight-line depreciation in each quarter of the horizon of what the plan buys: each
    unit's capex over its life from the quarter it serves, each module's over
    `MODULE_LIFE_QUARTERS` from the quarter it is ready, each generation build's over
    `GENERATION_LIFE_QUARTERS` from the quarter it runs; units installed before the horizon in
    each quarter they are kept (a unit retired early leaves its book value, which its sale
    recovers in part, out of depreciation)."""
    T = len(plan.periods)
    # Each asset adds `per_quarter` from `start` to `end` (exclusive): a difference array, summed.
    change = np.zeros(T + 1)
    new = _new_units(plan, solution.new)
    catalog = [plan.catalog[c] for c in plan.catalog]
    capex = np.array([a.unit_capex_usd for a in catalog])
    life = np.array([a.life_periods for a in catalog], dtype=np.int64)
    lag = np.array([a.commission_periods for a in catalog], dtype=np.int64)
    modules = [(t + plan.sites[s].halls[h].lead_periods, n * plan.sites[s].halls[h].module_capex_usd)
               for (s, h, t), n in solution.mod.items()]
    builds = [(t + e.lead_periods, mw * e.capex_usd_per_mw) for (s, g, t), mw in solution.gen.items()
              if (e := plan.sites[s].sources[g].expansion) is not None]
    assets = [(new.t + lag[new.c], life[new.c], new.count * capex[new.c])]
    for items, asset_life in ((modules, MODULE_LIFE_QUARTERS), (builds, GENERATION_LIFE_QUARTERS)):
        assets.append((np.array([start for start, _ in items], dtype=np.int64),
                       np.full(len(items), asset_life, dtype=np.int64),
                       np.array([usd for _, usd in items], dtype=np.float64)))
    for start, years, usd in assets:
        inside = start < T
        per_quarter = usd[inside] / years[inside]
        np.add.at(change, start[inside], per_quarter)
        np.add.at(change, np.minimum(start[inside] + years[inside], T), -per_quarter)
    by_quarter = np.cumsum(change)[:T]
    for (s, h, i, t), n in kept_units(plan, solution.retire).items():
        accelerator = plan.catalog[plan.sites[s].halls[h].installed[i].accelerator]
        by_quarter[t] += n * accelerator.unit_capex_usd / accelerator.life_periods
    return by_quarter


def residual_value_usd(plan: Plan, solution: Solution) -> float:
    """Book value, at the horizon's end, of what the plan bought and put in service (undiscounted);
    0 where the plan says `residual_value: none`."""
    if plan.residual_value == "none":
        return 0.0
    T = len(plan.periods)
    new = _new_units(plan, solution.new)
    catalog = [plan.catalog[c] for c in plan.catalog]
    capex = np.array([a.unit_capex_usd for a in catalog])
    life = np.array([a.life_periods for a in catalog], dtype=np.int64)
    lag = np.array([a.commission_periods for a in catalog], dtype=np.int64)
    value = float(np.sum(new.count * capex[new.c] * remaining_share(T - new.t - lag[new.c], life[new.c])))
    for (s, h, t), n in solution.mod.items():
        hall = plan.sites[s].halls[h]
        value += n * hall.module_capex_usd * float(remaining_share(np.array(T - t - hall.lead_periods),
                                                                   MODULE_LIFE_QUARTERS))
    for (s, g, t), mw in solution.gen.items():
        expansion = plan.sites[s].sources[g].expansion
        if expansion is not None:
            value += mw * expansion.capex_usd_per_mw * float(remaining_share(np.array(T - t - expansion.lead_periods),
                                                                             GENERATION_LIFE_QUARTERS))
    for (s, h, i, t), n in kept_units(plan, solution.retire).items():
        if t == T - 1:  # installed units still serving at the end: their book value then
            lot = plan.sites[s].halls[h].installed[i]
            accelerator = plan.catalog[lot.accelerator]
            value += n * accelerator.unit_capex_usd * float(remaining_share(np.array(float(lot.age_periods(T))),
                                                                            accelerator.life_periods))
    return value


def _by_quarter(parts: list[tuple[str, np.ndarray, np.ndarray]]) -> dict[tuple[int, str], float]:
    out: dict[tuple[int, str], float] = {}
    for kind, t, usd in parts:
        quarters, totals = _grouped(t, usd)
        out.update(zip([(q, kind) for q in quarters.tolist()], totals.tolist(), strict=True))
    return out


def peak_bf16_pflops_by_vendor(plan: Plan, solution: Solution, books: Ledger) -> dict[int, dict[str, float]]:
    """Peak BF16 PFLOPS in service per quarter and vendor: every accelerator installed or leased x
    its peak, as allocation.csv lists them (the one definition of compute in service)."""
    out: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (_, _, c, t), units in books.units.items():
        accelerator = plan.catalog[c]
        out[t][accelerator.vendor] += units * accelerator.accelerators_per_unit * accelerator.bf16_pflops
    for (k, t), leased in solution.lease.items():
        accelerator = plan.catalog[plan.cloud_offers[k].accelerator]
        out[t][accelerator.vendor] += leased * accelerator.bf16_pflops
    return out


def lease_usd(plan: Plan, offer: int, accelerators: float) -> float:
    """What leasing `accelerators` from cloud offer `offer` for a quarter costs."""
    return accelerators * plan.hours_per_period * plan.cloud_offers[offer].usd_per_accelerator_hour


def effective_bf16_pflops(plan: Plan, books: Ledger, t: int) -> float:
    """Effective BF16 PFLOPS in service in quarter t: availability-weighted accelerators x peak x
    utilisation x stack maturity (what demand and max-compute count)."""
    return math.fsum(_effective_bf16(plan, c, chips, t)
                     for (c, tt), chips in books.fleet_accelerators.items() if tt == t)


def leased_effective_bf16_pflops(plan: Plan, solution: Solution, t: int) -> float:
    """The part of `effective_bf16_pflops` that is leased from cloud offers in quarter t (no capex buys it)."""
    return math.fsum(_effective_bf16(plan, plan.cloud_offers[k].accelerator, n, t)
                     for (k, tt), n in solution.lease.items() if tt == t)


def _effective_bf16(plan: Plan, c: str, chips: float, t: int) -> float:
    return chips * plan.catalog[c].bf16_pflops * plan.effective_share(plan.catalog[c], t)


def delivered_pflops(plan: Plan, solution: Solution, t: int) -> tuple[float, float]:
    """Training and inference PFLOPS delivered in quarter t (at each workload's precision),
    effective: peak x utilisation x stack maturity, as demand counts them."""
    def effective(c: str, workload: str) -> float:
        accelerator = plan.catalog[c]
        return plan.pflops_of(accelerator, workload) * plan.effective_share(accelerator, t)

    training = sum(n * effective(c, "training") for (c, tt), n in solution.train.items() if tt == t)
    inference = sum(n * effective(c, "inference") for (c, tt), n in solution.infer.items() if tt == t)
    return training, inference


def weighted_compute_pflops_quarters(plan: Plan, solution: Solution) -> float:
    """Delivered effective compute over the horizon, weighted, at the objective's one precision
    (PFLOPS-quarters): max-compute's objective."""
    precision = plan.objective_precision

    def effective(c: str, t: int) -> float:
        return plan.catalog[c].pflops(precision) * plan.effective_share(plan.catalog[c], t)

    training = [(n, plan.training_weight * effective(c, t)) for (c, t), n in solution.train.items()]
    inference = [(n, plan.inference_weight * effective(c, t)) for (c, t), n in solution.infer.items()]
    return sum(n * weight for n, weight in training + inference if n)


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
