"""Plan -> LinearProgram: the LP of DESIGN.md, one add_<limit>_constraints() per family.

This module keeps DESIGN's symbols (s, h, c, t, new, mod, gen, inst) so that the written
LP reads like the math. Indices: s and h are positions of a site and of a hall type within
it, q a hall type's position among all sites' halls, g of a power source, k of a cloud offer,
c an accelerator id, t a quarter position.

Every row is named `family__key__period` (key parts joined by '.'); the LP keeps each row's
`RowInfo` in row order, so duals, slacks and HiGHS's IIS map back to limits in the user's terms.

Scale: each family is built in one pass with numpy, as coordinate lists (row, column,
coefficient); `planner.model.lp.Rows` turns them into the LP's sparse matrix. No Python object per
term, no Python loop over terms.
"""

from __future__ import annotations

from collections import defaultdict
from operator import attrgetter
from typing import Any

import numpy as np

from planner.inputs.plan import Plan
from planner.model.assets import GENERATION_LIFE_QUARTERS, MODULE_LIFE_QUARTERS, build_payments, remaining_share
from planner.model.families import (
    ASSIGN,
    BUDGET,
    CAPEX_BUDGET,
    COMMITMENT_MAX,
    COMMITMENT_MIN,
    COOLING_AIR,
    COOLING_LIQUID,
    DEMAND,
    EXPANSION,
    FIRM,
    HALL,
    LOAD,
    MIN_UNITS,
    MODULES,
    OPEX_BUDGET,
    POWER,
    SHARE_MAX,
    SHARE_MIN,
    STOCK,
    SUPPLY,
)
from planner.model.lp import F, LinearProgram, Rows, Terms, merge_duplicates
from planner.model.rows import RowKey
from planner.model.stacks import (
    add_stack_constraints,
    add_stack_variables,
    hold_stack_bounds,
    stack_constant_usd,
    stack_cost_parts,
)
from planner.model.variables import (
    Model,
    accelerator_array,
    add_variables,
    column_bounds,
    hall_array,
    installed_facility_mw,
    installed_units,
)

TIE_BREAK_PFLOPS_PER_USD = 1e-9
"""Under max-compute, $1B of spending costs 1 PFLOPS-quarter in the objective: far less than
any accelerator delivers, so it never trades compute away, but among plans with equal compute
it picks the cheapest (no module built, no MW dispatched from a dear source, for nothing)."""

TRAINING_TIE_BREAK = 1e-6
"""Relative bonus for compute assigned to training over inference (see `set_objective`)."""


def add_stock_constraints(model: Model) -> None:
    """inst[t] = inst[t-1] + new[t-lag] - new[t-lag-life]: units in service are those delivered
    `lag` (commissioning) to `lag + life - 1` quarters ago (DESIGN's sum, written as a balance
    so each row has at most 4 terms)."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    n = len(model.inst)
    if n == 0:
        return
    labels: dict[tuple[int, int, str], RowKey] = {}
    keys = []
    for (s, h, c, _) in model.inst:
        label = labels.get((s, h, c))
        if label is None:
            label = labels[s, h, c] = RowKey(site=plan.sites[s].id, hall=plan.sites[s].halls[h].id, accelerator=c)
        keys.append(label)
    offset = rows.add(STOCK.name, keys, [plan.periods[t] for t in k.t.tolist()], "==", np.zeros(n))
    index = np.arange(n, dtype=np.int64)
    row = offset + index
    new, inst = model.ids("new"), model.ids("inst")
    rows.terms(row, inst, np.ones(n))
    lag = accelerator_array(model, lambda a: a.commission_periods).astype(np.int64)[k.c]
    serving = k.t - lag >= k.first
    rows.terms(row[serving], new[index[serving] - lag[serving]], np.full(int(serving.sum()), -1.0))
    previous = k.t > k.first
    rows.terms(row[previous], inst[index[previous] - 1], np.full(int(previous.sum()), -1.0))
    life = accelerator_array(model, lambda a: a.life_periods).astype(np.int64)[k.c]
    retired = k.t - lag - life >= k.first
    rows.terms(row[retired], new[index[retired] - lag[retired] - life[retired]], np.ones(int(retired.sum())))


def _by_pair(model: Model, family: str) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """(t, variable id) of mod per (s, h) or of gen per (s, g), in variable order."""
    out: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    first = model.first_id.get(family, 0)
    for i, (a, b, t) in enumerate(getattr(model, family)):
        out[a, b].append((t, first + i))
    return out


def _terms_from_tuples(rows: Rows, offset: int, terms: list[tuple[int, int, float]]) -> None:
    """Add (row within a block, variable id, coefficient) triples."""
    if terms:
        row, variable, coefficient = (np.array(x) for x in zip(*terms, strict=True))
        rows.terms(offset + row.astype(np.int64), variable.astype(np.int64), coefficient.astype(F))


def add_hall_space_constraints(model: Model) -> None:
    """Limit 1: IT MW in service in a hall type <= existing MW + modules ready by t; modules <= max."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    modules = _by_pair(model, "mod")
    # Slot q * (T + 1) + t is hall type q's row for quarter t; slot q * (T + 1) + T its modules row.
    exists = np.zeros(len(model.halls) * (T + 1), dtype=bool)
    exists[k.q * (T + 1) + k.t] = True
    module_terms: list[tuple[int, int, float]] = []  # (slot, variable id, coefficient)
    for q, (s, h) in enumerate(model.halls):
        started = modules.get((s, h))
        if not started:
            continue
        hall = plan.sites[s].halls[h]
        exists[q * (T + 1) + T] = True
        for mt, variable in started:
            ready = mt + hall.lead_periods
            exists[q * (T + 1) + ready: q * (T + 1) + T] = True
            module_terms += [(q * (T + 1) + t, variable, -hall.module_it_mw) for t in range(ready, T)]
            module_terms.append((q * (T + 1) + T, variable, 1.0))
    slots = np.flatnonzero(exists)
    families: list[str] = []
    keys: list[RowKey] = []
    periods: list[str] = []
    rhs: list[float] = []
    hall_keys = [RowKey(site=plan.sites[s].id, hall=plan.sites[s].halls[h].id) for s, h in model.halls]
    for slot in slots.tolist():
        q, t = divmod(slot, T + 1)
        s, h = model.halls[q]
        hall = plan.sites[s].halls[h]
        keys.append(hall_keys[q])
        if t < T:
            families.append(HALL.name)
            periods.append(plan.periods[t])
            rhs.append(hall.existing_it_mw
                       - sum(lot.units * plan.catalog[lot.accelerator].unit_it_mw for lot in hall.installed))
        else:
            families.append(MODULES.name)
            periods.append("all")
            rhs.append(hall.max_modules)
    offset = rows.add(families, keys, periods, "<=", rhs)
    row_of_slot = np.full(len(exists), -1, dtype=np.int64)
    row_of_slot[slots] = offset + np.arange(len(slots))
    unit_mw = accelerator_array(model, lambda a: a.unit_it_mw)
    rows.terms(row_of_slot[k.q * (T + 1) + k.t], model.ids("inst"), unit_mw[k.c])
    # A unit being commissioned takes its space from delivery: new[t - d] for d < lag.
    lag = accelerator_array(model, lambda a: a.commission_periods).astype(np.int64)[k.c]
    for d in range(1, int(lag.max(initial=0)) + 1):
        waiting = (lag >= d) & (k.t + d - 1 < T)
        rows.terms(row_of_slot[k.q[waiting] * (T + 1) + k.t[waiting] + d - 1], model.ids("new")[waiting],
                   unit_mw[k.c[waiting]])
    _terms_from_tuples(rows, 0, [(int(row_of_slot[slot]), v, w) for slot, v, w in module_terms])


def add_cooling_constraints(model: Model) -> None:
    """Limit 9: the heat of the units in service in a hall type, in its liquid loops and in its
    air, each within what the hall rejects (a share of its ready IT MW), where the hall says."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    modules = _by_pair(model, "mod")
    for family, share_of, heat_of in (
        (COOLING_LIQUID, attrgetter("liquid_cooling_share"), attrgetter("liquid_heat_mw")),
        (COOLING_AIR, attrgetter("air_cooling_share"), attrgetter("air_heat_mw")),
    ):
        limited = [q for q, (s, h) in enumerate(model.halls) if share_of(plan.sites[s].halls[h]) is not None]
        if not limited:
            continue
        keys: list[RowKey] = []
        periods: list[str] = []
        rhs: list[float] = []
        module_terms: list[tuple[int, int, float]] = []
        row_of_hall = np.full(len(model.halls), -1, dtype=np.int64)
        for q in limited:
            s, h = model.halls[q]
            hall = plan.sites[s].halls[h]
            share = float(share_of(hall))
            row_of_hall[q] = len(keys) // T
            installed = sum(lot.units * heat_of(plan.catalog[lot.accelerator]) for lot in hall.installed)
            key = RowKey(site=plan.sites[s].id, hall=hall.id)
            for t, period in enumerate(plan.periods):
                module_terms += [(len(keys), v, -share * hall.module_it_mw) for mt, v in modules.get((s, h), ())
                                 if mt + hall.lead_periods <= t]
                keys.append(key)
                periods.append(period)
                rhs.append(share * hall.existing_it_mw - installed)
        offset = rows.add(family.name, keys, periods, "<=", rhs)
        heat = accelerator_array(model, heat_of)
        chosen = row_of_hall[k.q] >= 0
        rows.terms(offset + row_of_hall[k.q[chosen]] * T + k.t[chosen], model.ids("inst")[chosen],
                   heat[k.c[chosen]])
        _terms_from_tuples(rows, offset, module_terms)


def add_site_power_constraints(model: Model) -> None:
    """Limit 2: facility MW (PUE x IT) met by dispatch, each source within what it delivers."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    builds = _by_pair(model, "gen")
    dispatch = {key: model.first_id["disp"] + i for i, key in enumerate(model.disp)}
    families: list[str] = []
    keys: list[RowKey] = []
    periods: list[str] = []
    senses: list[str] = []
    rhs: list[float] = []
    load_row = np.zeros((len(plan.sites), T), dtype=np.int64)
    load_terms: list[tuple[int, int, float]] = []  # (row within this block, variable id, coefficient)
    other_terms: list[tuple[int, int, float]] = []
    for s, site in enumerate(plan.sites):
        base_mw = installed_facility_mw(plan, s, design=False)
        site_key = RowKey(site=site.id)
        source_keys = [RowKey(site=site.id, source=source.id) for source in site.sources]
        for t, period in enumerate(plan.periods):
            load_row[s, t] = len(families)
            families.append(LOAD.name)
            keys.append(site_key)
            periods.append(period)
            senses.append("==")
            rhs.append(base_mw)
            load_terms += [(len(families) - 1, dispatch[s, g, t], 1.0)
                           for g in range(len(site.sources)) if (s, g, t) in dispatch]
            for g, source in enumerate(site.sources):
                if (s, g, t) not in dispatch:
                    continue
                lead = source.expansion.lead_periods if source.expansion else 0
                other_terms.append((len(families), dispatch[s, g, t], 1.0))
                other_terms += [(len(families), v, -source.capacity_factor) for gt, v in builds.get((s, g), ())
                                if gt + lead <= t]
                families.append(POWER.name)
                keys.append(source_keys[g])
                periods.append(period)
                senses.append("<=")
                rhs.append(source.available_mw[t])
        for g, source in enumerate(site.sources):
            built = builds.get((s, g))
            if built and source.expansion is not None:
                other_terms += [(len(families), v, 1.0) for _, v in built]
                families.append(EXPANSION.name)
                keys.append(source_keys[g])
                periods.append("all")
                senses.append("<=")
                rhs.append(source.expansion.max_mw)
    offset = rows.add(families, keys, periods, senses, rhs)
    # A load row lists its dispatch first, then the units in service.
    _terms_from_tuples(rows, offset, load_terms)
    pue = hall_array(model, lambda hall: hall.pue)
    unit_mw = accelerator_array(model, lambda a: a.unit_it_mw)
    rows.terms(offset + load_row[k.s, k.t], model.ids("inst"), -pue[k.q] * unit_mw[k.c])
    _terms_from_tuples(rows, offset, other_terms)


def add_firm_power_constraints(model: Model) -> None:
    """Limit 8: the facility's peak draw (IT x design PUE) within the site's firm MW: firm
    sources at their rating, variable ones at their capacity credit, batteries for the hours
    they cover, generation built once online, less the N-1 reserve."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    builds = _by_pair(model, "gen")
    keys: list[RowKey] = []
    periods: list[str] = []
    rhs: list[float] = []
    build_terms: list[tuple[int, int, float]] = []
    for s, site in enumerate(plan.sites):
        if not site.firm_limit_says_more:
            continue
        key = RowKey(site=site.id)
        base_mw = installed_facility_mw(plan, s, design=True)
        for t, period in enumerate(plan.periods):
            for g, source in enumerate(site.sources):
                lead = source.expansion.lead_periods if source.expansion else 0
                build_terms += [(len(keys), v, -source.firm_share) for gt, v in builds.get((s, g), ())
                                if gt + lead <= t and source.firm_share > 0]
            keys.append(key)
            periods.append(period)
            rhs.append(site.firm_mw(t) - base_mw)
    if not keys:
        return
    offset = rows.add(FIRM.name, keys, periods, "<=", rhs)
    row_of_site = np.full(len(plan.sites), -1, dtype=np.int64)
    row_of_site[[s for s, site in enumerate(plan.sites) if site.firm_limit_says_more]] = np.arange(len(keys) // T)
    chosen = row_of_site[k.s] >= 0
    design_pue = hall_array(model, lambda hall: hall.design_pue)
    unit_mw = accelerator_array(model, lambda a: a.unit_it_mw)
    rows.terms(offset + row_of_site[k.s[chosen]] * T + k.t[chosen], model.ids("inst")[chosen],
               design_pue[k.q[chosen]] * unit_mw[k.c[chosen]])
    _terms_from_tuples(rows, offset, build_terms)



def cost_terms(model: Model) -> Terms:
    """Capex + opex of each quarter as terms (quarter, variable id, USD per unit), in the order
    new, mod, gen, disp, lease, maintenance, stacks within a quarter, and each quarter's constant."""
    plan, k = model.plan, model.k
    dt_h = plan.hours_per_period
    maintenance_share = plan.maintenance_share_per_year / 4.0
    price = accelerator_array(model, lambda a: a.unit_capex_usd)  # the unit and its share of fabric
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [(k.t, model.ids("new"), price[k.c])]

    def part(family: str, period: Any, coefficient: Any) -> None:
        keys = list(getattr(model, family))
        parts.append((np.array([period(key) for key in keys], dtype=np.int64).reshape(-1), model.ids(family),
                      np.array([coefficient(key) for key in keys], dtype=F).reshape(-1)))

    def built(family: str, lead_and_usd: Any) -> None:
        """A build's capex paid evenly over the quarters it is being built."""
        periods, columns, usd = [], [], []
        for column, (a, b, t) in zip(model.ids(family).tolist(), getattr(model, family), strict=True):
            lead, cost = lead_and_usd(a, b)
            for quarter, share in build_payments(t, lead):
                periods.append(quarter)
                columns.append(column)
                usd.append(cost * share)
        parts.append((np.array(periods, dtype=np.int64), np.array(columns, dtype=np.int64), np.array(usd, dtype=F)))

    def module_cost(s: int, h: int) -> tuple[int, float]:
        hall = plan.sites[s].halls[h]
        return hall.lead_periods, hall.module_capex_usd

    def generation_cost(s: int, g: int) -> tuple[int, float]:
        expansion = plan.sites[s].sources[g].expansion
        return (expansion.lead_periods, expansion.capex_usd_per_mw) if expansion else (0, 0.0)

    built("mod", module_cost)
    built("gen", generation_cost)
    part("disp", lambda key: key[2], lambda key: dt_h * plan.sites[key[0]].sources[key[1]].energy_usd_per_mwh)
    part("lease", lambda key: key[1], lambda key: dt_h * plan.cloud_offers[key[0]].usd_per_accelerator_hour)
    constant = np.zeros(len(plan.periods))
    if maintenance_share > 0:
        parts.append((k.t, model.ids("inst"), maintenance_share * price[k.c] * 1.0))
        constant[:] = maintenance_share * sum(
            plan.catalog[lot.accelerator].unit_capex_usd * lot.units
            for site in plan.sites for hall in site.halls for lot in hall.installed
        )
    parts += stack_cost_parts(model)  # opex: software stacks adopted by choice, then those in use
    constant += stack_constant_usd(plan)
    period = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    order = np.lexsort((kind, period))  # stable: by quarter, then kind, then variable order
    return Terms(period[order], np.concatenate([p[1] for p in parts])[order],
                 np.concatenate([p[2] for p in parts])[order], constant, (kind < CAPEX_PARTS)[order])


CAPEX_PARTS = 3
"""`cost_terms` lists new, mod and gen (capex) first, then disp, lease, upkeep and stacks (opex)."""


def add_budget_constraints(model: Model, costs: Terms) -> None:
    """Limit 3 and 13: in each year, capex + opex within the year's budget, capex within its
    capex limit and opex within its opex limit, where the plan sets them."""
    plan, rows = model.plan, model.rows_builder
    years = np.array(plan.years, dtype=np.int64)
    for family, limits, counted in ((BUDGET, plan.budget_usd, None), (CAPEX_BUDGET, plan.capex_budget_usd, True),
                                    (OPEX_BUDGET, plan.opex_budget_usd, False)):
        for year in plan.horizon_years:
            if year not in limits:
                continue
            constant = 0.0 if counted else sum(
                float(costs.constant[t]) for t, period_year in enumerate(plan.years) if period_year == year)
            row = rows.add(family.name, [RowKey(year=str(year))], [str(year)], "<=", [limits[year] - constant])
            inside = years[costs.period] == year
            if counted is not None:
                inside &= costs.capex == counted
            # A build paid over several quarters of one year has one term per quarter: summed here.
            rows.terms(*merge_duplicates(np.full(int(inside.sum()), row), costs.variable[inside],
                                         costs.coefficient[inside]))


def add_supply_constraints(model: Model) -> None:
    """Limit 4: new units per accelerator and quarter within vendor supply."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    position = {c: i for i, c in enumerate(model.pool)}
    bought = np.zeros((len(model.pool), T), dtype=bool)
    bought[k.c, k.t] = True
    row_of = np.full((len(model.pool), T), -1, dtype=np.int64)
    keys: list[RowKey] = []
    periods: list[str] = []
    caps: list[float] = []
    for accelerator in plan.accelerators:
        limits = plan.supply_units.get(accelerator.id)
        if limits is None or accelerator.id not in position:
            continue
        c = position[accelerator.id]
        key = RowKey(accelerator=accelerator.id)
        for t, period in enumerate(plan.periods):
            cap = limits[t]
            if cap is not None and bought[c, t]:
                row_of[c, t] = len(keys)
                keys.append(key)
                periods.append(period)
                caps.append(cap)
    if not keys:
        return
    offset = rows.add(SUPPLY.name, keys, periods, "<=", caps)
    row = row_of[k.c, k.t]
    capped = row >= 0
    rows.terms(offset + row[capped], model.ids("new")[capped], np.ones(int(capped.sum())))


def _vendor_spend_terms(model: Model, vendor: str) -> tuple[np.ndarray, np.ndarray]:
    """(variable ids, USD per unit) of everything bought from or leased with `vendor`."""
    plan, k = model.plan, model.k
    price = accelerator_array(model, lambda a: a.unit_price_usd or 0.0)
    ours = accelerator_array(model, lambda a: a.vendor == vendor).astype(bool)[k.c]
    dt_h = plan.hours_per_period
    leased = [(i, dt_h * plan.cloud_offers[key].usd_per_accelerator_hour)
              for i, (key, _) in enumerate(model.lease)
              if plan.catalog[plan.cloud_offers[key].accelerator].vendor == vendor]
    lease_ids = model.ids("lease")[[i for i, _ in leased]] if leased else np.zeros(0, dtype=np.int64)
    return (np.concatenate([model.ids("new")[ours], lease_ids]),
            np.concatenate([price[k.c][ours], np.array([w for _, w in leased], dtype=F)]))


def add_commitment_constraints(model: Model) -> None:
    """Limit 5: spend with a vendor over the horizon within [min, max]."""
    rows = model.rows_builder
    for commitment in model.plan.commitments:
        variables, coefficients = _vendor_spend_terms(model, commitment.vendor)
        if commitment.min_usd > 0:
            row = rows.add(COMMITMENT_MIN.name, [RowKey(vendor=commitment.vendor)], ["all"], ">=", [commitment.min_usd])
            rows.terms(np.full(len(variables), row), variables, coefficients)
        if commitment.max_usd is not None:
            row = rows.add(COMMITMENT_MAX.name, [RowKey(vendor=commitment.vendor)], ["all"], "<=", [commitment.max_usd])
            rows.terms(np.full(len(variables), row), variables, coefficients)


def _fleet(model: Model, weight: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Availability-weighted accelerators in service, times weight[c]: each inst key's coefficient
    (0 outside `weight`), the leases counted (positions, coefficients), and the constant from
    units installed before the horizon (the same in every quarter)."""
    plan, k = model.plan, model.k
    w = np.array([weight.get(c, 0.0) for c in model.pool], dtype=F)
    member = np.array([c in weight for c in model.pool], dtype=bool)
    availability = hall_array(model, lambda hall: hall.availability)
    per_unit = availability[k.q] * accelerator_array(model, lambda a: a.accelerators_per_unit)[k.c] * w[k.c]
    coefficient = np.where(member[k.c], per_unit * 1.0, 0.0)
    constant = 0.0
    for s, site in enumerate(plan.sites):
        for h, hall in enumerate(site.halls):
            if hall.installed:  # elsewhere every term is 0, and adding 0 changes nothing
                for c, wc in weight.items():
                    units = installed_units(plan, s, h, c)
                    constant += hall.availability * plan.catalog[c].accelerators_per_unit * wc * units
    leases = [(i, weight[plan.cloud_offers[key].accelerator]) for i, (key, _) in enumerate(model.lease)
              if plan.cloud_offers[key].accelerator in weight]
    lease_index = np.array([i for i, _ in leases], dtype=np.int64)
    return coefficient, lease_index, np.array([x for _, x in leases], dtype=F), constant


def add_share_constraints(model: Model) -> None:
    """Limit 6: BF16 compute share of a vendor or ecosystem in service within [lo, hi]."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    bf16 = {c: plan.catalog[c].bf16_pflops for c in model.pool}
    inst, lease = model.ids("inst"), model.ids("lease")
    lease_t = np.array([t for _, t in model.lease], dtype=np.int64)
    total, total_lease, total_weight, total_const = _fleet(model, bf16)
    for bound in plan.shares:
        members = {c: w for c, w in bf16.items() if getattr(plan.catalog[c], bound.group_kind) == bound.group}
        kinds = [(family, share, sense) for family, share, sense, wanted in (
            (SHARE_MIN.name, bound.min_share, ">=", bound.min_share > 0),
            (SHARE_MAX.name, bound.max_share, "<=", bound.max_share < 1)) if wanted]
        first = bound.first_period
        if not kinds or first >= T:
            continue
        group, group_lease, group_weight, group_const = _fleet(model, members)
        key = RowKey.of_group(bound.group_kind, bound.group)
        families = [family for _ in range(first, T) for family, _, _ in kinds]
        periods = [plan.periods[t] for t in range(first, T) for _ in kinds]
        senses = [sense for _ in range(first, T) for _, _, sense in kinds]
        rhs = [share * total_const - group_const for _ in range(first, T) for _, share, _ in kinds]
        offset = rows.add(families, [key] * len(families), periods, senses, rhs)
        in_group = np.array([c in members for c in model.pool], dtype=bool)[k.c]
        in_range = k.t >= first
        g = in_group & in_range
        lg = lease_t[group_lease] >= first
        lt = lease_t[total_lease] >= first
        parts = []
        for j, (_, share, _) in enumerate(kinds):
            row_of_t = offset + (np.arange(T) - first) * len(kinds) + j
            # The group's terms, then -share x the total's: PuLP sums a variable's two terms in that order.
            parts += [
                (row_of_t[k.t[g]], inst[g], group[g]),
                (row_of_t[lease_t[group_lease][lg]], lease[group_lease][lg], group_weight[lg]),
                (row_of_t[k.t[in_range]], inst[in_range], -share * total[in_range]),
                (row_of_t[lease_t[total_lease][lt]], lease[total_lease][lt], -share * total_weight[lt]),
            ]
        row, variable, coefficient = (np.concatenate([p[i] for p in parts]) for i in range(3))
        rows.terms(*merge_duplicates(row, variable, coefficient))


def add_min_units_constraints(model: Model) -> None:
    """Policy: at least N units of an accelerator in service from a quarter on."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    position = {c: i for i, c in enumerate(model.pool)}
    for minimum in plan.min_units:
        if minimum.first_period >= T:
            continue
        installed = 0.0
        for s, site in enumerate(plan.sites):
            for h, _hall in enumerate(site.halls):
                installed += installed_units(plan, s, h, minimum.accelerator)
        count = T - minimum.first_period
        offset = rows.add(MIN_UNITS.name, [RowKey(accelerator=minimum.accelerator)] * count,
                          list(plan.periods[minimum.first_period:]),
                          ">=", [minimum.units - installed] * count)
        chosen = (k.c == position.get(minimum.accelerator, -1)) & (k.t >= minimum.first_period)
        rows.terms(offset + k.t[chosen] - minimum.first_period, model.ids("inst")[chosen],
                   np.ones(int(chosen.sum())))


def add_assignment_constraints(model: Model) -> None:
    """Accelerators assigned to training plus inference <= those in service (availability-weighted)."""
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    if not model.pool:
        return
    weight, lease_index, lease_weight, _ = _fleet(model, dict.fromkeys(model.pool, 1.0))
    installed = {lot.accelerator for site in plan.sites for hall in site.halls for lot in hall.installed}
    constants = []
    for c in model.pool:
        constants += [_fleet(model, {c: 1.0})[3] if c in installed else 0.0] * T
    pool_keys = [RowKey(accelerator=c) for c in model.pool]
    offset = rows.add(ASSIGN.name, [key for key in pool_keys for _ in range(T)], list(plan.periods) * len(model.pool),
                      "<=", constants)
    position = {c: i for i, c in enumerate(model.pool)}
    for family in ("train", "infer"):
        keys = list(getattr(model, family))
        row = np.array([position[c] * T + t for c, t in keys], dtype=np.int64)
        rows.terms(offset + row, model.ids(family), np.ones(len(keys)))
    rows.terms(offset + k.c * T + k.t, model.ids("inst"), -weight)
    if len(lease_index):
        lease_c = np.array([position[plan.cloud_offers[kk].accelerator] for kk, _ in model.lease], np.int64)
        lease_t = np.array([t for _, t in model.lease], dtype=np.int64)
        rows.terms(offset + lease_c[lease_index] * T + lease_t[lease_index], model.ids("lease")[lease_index],
                   -lease_weight)


def add_demand_constraints(model: Model) -> None:
    """Limit 7: training (inference) PFLOPS from capable accelerators >= demand each quarter."""
    plan, rows = model.plan, model.rows_builder
    for workload, demand, family in (
        ("training", plan.training_pflops, "train"),
        ("inference", plan.inference_pflops, "infer"),
    ):
        wanted = [t for t in range(len(plan.periods)) if demand[t] > 0]
        if not wanted:
            continue
        offset = rows.add(DEMAND.name, [RowKey(workload=workload)] * len(wanted), [plan.periods[t] for t in wanted],
                          ">=", [demand[t] for t in wanted])
        row_of_t = np.full(len(plan.periods), -1, dtype=np.int64)
        row_of_t[wanted] = offset + np.arange(len(wanted))
        keys = list(getattr(model, family))
        row = row_of_t[np.array([t for _, t in keys], dtype=np.int64)]
        coefficient = np.array([plan.pflops_of(plan.catalog[c], workload) for c, _ in keys], dtype=F)
        chosen = row >= 0
        rows.terms(row[chosen], model.ids(family)[chosen], coefficient[chosen])


def residual_terms(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(column, USD per unit) of the book value left at the horizon's end of each unit, module
    and generation build that is in service by then (straight line over its life); none where
    the plan says `residual_value: none`."""
    plan, k = model.plan, model.k
    if plan.residual_value == "none":
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    T = len(plan.periods)
    capex = accelerator_array(model, lambda a: a.unit_capex_usd)
    lag = accelerator_array(model, lambda a: a.commission_periods)
    life = accelerator_array(model, lambda a: a.life_periods)
    usd = [capex[k.c] * remaining_share(T - k.t - lag[k.c], life[k.c])]
    halls = [plan.sites[s].halls[h] for s, h, _ in model.mod]
    served = np.array([T - t - hall.lead_periods for (_, _, t), hall in zip(model.mod, halls, strict=True)], dtype=F)
    usd.append(np.array([hall.module_capex_usd for hall in halls], dtype=F)
               * remaining_share(served, MODULE_LIFE_QUARTERS))
    expansions = [plan.sites[s].sources[g].expansion for s, g, _ in model.gen]
    served = np.array([T - t - (e.lead_periods if e else 0)
                       for (_, _, t), e in zip(model.gen, expansions, strict=True)], dtype=F)
    usd.append(np.array([e.capex_usd_per_mw if e else 0.0 for e in expansions], dtype=F)
               * remaining_share(served, GENERATION_LIFE_QUARTERS))
    return np.concatenate([model.ids("new"), model.ids("mod"), model.ids("gen")]), np.concatenate(usd)


def objective_costs(model: Model, costs: Terms) -> np.ndarray:
    """Each column's objective coefficient. max-compute (maximised): weighted PFLOPS-quarters less
    a tie-breaking cost; min-cost (minimised): discounted cost. Both net the residual value at
    the horizon's end (`residual_terms`) from the cost, so a late purchase is not charged in
    full and, among plans with equal compute, max-compute builds just in time."""
    residual_ids, residual_usd = residual_terms(model)
    plan = model.plan
    precision = plan.objective_precision
    train, infer = model.ids("train"), model.ids("infer")
    # Beyond demand, which workload an accelerator serves is a tie; left to the solver, the
    # split jumps from quarter to quarter. A tiny preference makes it stable and readable:
    # inference gets what its demand needs, every other accelerator counts as training.
    prefer_training = np.array([TRAINING_TIE_BREAK * plan.catalog[c].pflops(precision) for c, _ in model.train],
                               dtype=F)
    if plan.objective.maximises:
        ids = [train, infer, train, costs.variable]
        coefficients = [
            np.array([plan.training_weight * plan.catalog[c].pflops(precision) for c, _ in model.train], dtype=F),
            np.array([plan.inference_weight * plan.catalog[c].pflops(precision) for c, _ in model.infer], dtype=F),
            prefer_training,
            -TIE_BREAK_PFLOPS_PER_USD * costs.coefficient,
            TIE_BREAK_PFLOPS_PER_USD * residual_usd,
        ]
        ids.append(residual_ids)
    else:
        factor = np.array([plan.discount_factor(t) for t in range(len(plan.periods))], dtype=F)
        ids = [train, costs.variable, residual_ids]
        coefficients = [-TIE_BREAK_PFLOPS_PER_USD * prefer_training, factor[costs.period] * costs.coefficient,
                        -plan.discount_factor(len(plan.periods)) * residual_usd]
    # A column listed twice (training's compute and its tie-break) gets the sum, in this order.
    return np.bincount(np.concatenate(ids), weights=np.concatenate(coefficients), minlength=model.columns)


def build_model(plan: Plan, integer: bool = False) -> Model:
    """Build the LP of `plan`: a MILP with whole units and modules (`integer`), or where a software
    stack is adopted by choice (`planner.model.stacks`)."""
    model = Model(plan=plan, integer=integer)
    add_variables(model)
    add_stack_variables(model)
    model.builder = Rows()
    add_stock_constraints(model)
    costs = cost_terms(model)
    add_hall_space_constraints(model)
    add_cooling_constraints(model)
    add_site_power_constraints(model)
    add_firm_power_constraints(model)
    add_budget_constraints(model, costs)
    add_supply_constraints(model)
    add_commitment_constraints(model)
    add_share_constraints(model)
    add_min_units_constraints(model)
    add_assignment_constraints(model)
    add_demand_constraints(model)
    add_stack_constraints(model)
    bounds = column_bounds(model)
    hold_stack_bounds(model, bounds[1], bounds[2])
    model.lp = model.builder.finish(
        plan.name.replace("-", "_"), plan.objective.maximises, bounds, objective_costs(model, costs),
        model.column_families(),
    )
    model.builder = None
    return model


__all__ = ["LinearProgram", "Model", "build_model", "cost_terms", "objective_costs"]
