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
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import numpy as np

from planner.inputs.plan import Expansion, Hall, Plan, PowerSource, Site
from planner.model.assets import GENERATION_LIFE_QUARTERS, MODULE_LIFE_QUARTERS, build_payments, remaining_share
from planner.model.families import (
    ASSIGN,
    BUDGET,
    CAPEX_BUDGET,
    CLUSTER,
    CLUSTER_OPEN,
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
from planner.model.size import refuse_oversized
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
    location_key,
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


def add_retirement_constraints(model: Model) -> None:
    """Limit 12: units of an installed lot kept in quarter t are those kept in t-1 less those
    retired in t (the lot's units before the first quarter); past the end of its life, none."""
    plan, rows = model.plan, model.rows_builder
    n = len(model.keep)
    if n == 0:
        return
    lots = [plan.sites[s].halls[h].installed[i] for s, h, i, _ in model.keep]
    keys = [RowKey(site=plan.sites[s].id, hall=plan.sites[s].halls[h].id, accelerator=lot.accelerator)
            for (s, h, _, _), lot in zip(model.keep, lots, strict=True)]
    t = np.array([key[3] for key in model.keep], dtype=np.int64)
    rhs = np.where(t == 0, np.array([lot.units for lot in lots], dtype=F), 0.0)
    offset = rows.add(KEPT.name, keys, [plan.periods[q] for q in t.tolist()], "==", rhs)
    row = offset + np.arange(n, dtype=np.int64)
    keep, retire = model.ids("keep"), model.ids("retire")
    rows.terms(row, keep, np.ones(n))
    rows.terms(row, retire, np.ones(n))
    later = t > 0  # a lot's keys are consecutive, one per quarter from 0
    rows.terms(row[later], keep[np.flatnonzero(later) - 1], np.full(int(later.sum()), -1.0))


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
    live = model.serving
    exists = np.zeros(len(model.halls) * (T + 1), dtype=bool)
    exists[live.q * (T + 1) + live.t] = True
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
            rhs.append(hall.existing_it_mw)
        else:
            families.append(MODULES.name)
            periods.append("all")
            rhs.append(hall.max_modules)
    offset = rows.add(families, keys, periods, "<=", rhs)
    row_of_slot = np.full(len(exists), -1, dtype=np.int64)
    row_of_slot[slots] = offset + np.arange(len(slots))
    unit_mw = accelerator_array(model, lambda a: a.unit_it_mw)
    rows.terms(row_of_slot[live.q * (T + 1) + live.t], live.column, unit_mw[live.c])
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
    plan, rows = model.plan, model.rows_builder
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
            key = RowKey(site=plan.sites[s].id, hall=hall.id)
            for t, period in enumerate(plan.periods):
                module_terms += [(len(keys), v, -share * hall.module_it_mw) for mt, v in modules.get((s, h), ())
                                 if mt + hall.lead_periods <= t]
                keys.append(key)
                periods.append(period)
                rhs.append(share * hall.existing_it_mw)
        offset = rows.add(family.name, keys, periods, "<=", rhs)
        heat = accelerator_array(model, heat_of)
        live = model.serving
        chosen = row_of_hall[live.q] >= 0
        rows.terms(offset + row_of_hall[live.q[chosen]] * T + live.t[chosen], live.column[chosen],
                   heat[live.c[chosen]])
        _terms_from_tuples(rows, offset, module_terms)


def add_site_power_constraints(model: Model) -> None:
    """Limit 2: facility MW (PUE x IT) met by dispatch, each source within what it delivers."""
    plan, rows = model.plan, model.rows_builder
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
        site_key = RowKey(site=site.id)
        source_keys = [RowKey(site=site.id, source=source.id) for source in site.sources]
        for t, period in enumerate(plan.periods):
            load_row[s, t] = len(families)
            families.append(LOAD.name)
            keys.append(site_key)
            periods.append(period)
            senses.append("==")
            rhs.append(0.0)
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
    live = model.serving
    rows.terms(offset + load_row[live.s, live.t], live.column, -pue[live.q] * unit_mw[live.c])
    _terms_from_tuples(rows, offset, other_terms)


def add_generation_unit_constraints(model: Model) -> None:
    """Generation built in a quarter is a number of the source's units (`blk`): whole with whole
    units, so no plan builds 4 MW of a plant whose blocks are 743 MW."""
    if not model.blk:
        return
    plan, rows = model.plan, model.rows_builder
    gen_id = {key: model.first_id["gen"] + i for i, key in enumerate(model.gen)}
    keys = [RowKey(site=plan.sites[s].id, source=plan.sites[s].sources[g].id) for s, g, _ in model.blk]
    periods = [plan.periods[t] for *_, t in model.blk]
    offset = rows.add(GENERATION_UNITS.name, keys, periods, "==", [0.0] * len(model.blk))
    row = offset + np.arange(len(model.blk), dtype=np.int64)
    rows.terms(row, np.array([gen_id[key] for key in model.blk], dtype=np.int64), np.ones(len(model.blk)))
    unit_mw = np.array([plan.sites[s].sources[g].build_unit_mw for s, g, _ in model.blk], dtype=F)
    rows.terms(row, model.ids("blk"), -unit_mw)


def add_firm_power_constraints(model: Model) -> None:
    """Limit 8: the facility's peak draw (IT x design PUE) within the site's firm MW: firm
    sources at their rating, variable ones at their capacity credit, batteries for the hours
    they cover, generation built once online, less the N-1 reserve. Where a battery counts, the
    same draw within what would be firm if the batteries firmed no more than the rest of the site
    can charge them (`FIRM_CHARGING`): that rest's firm MW plus its rated MW."""
    plan = model.plan
    _peak_rows(model, FIRM.name, [s for s, site in enumerate(plan.sites) if site.firm_limit_says_more],
               lambda source: source.firm_share, lambda site, t: site.firm_mw(t))
    _peak_rows(model, FIRM_CHARGING.name, [s for s, site in enumerate(plan.sites) if site.has_firm_batteries],
               lambda source: 0.0 if source.is_battery else source.firm_share + 1.0,
               lambda site, t: site.charged_firm_mw(t))


def _peak_rows(model: Model, family: str, sites: list[int], built_share: Callable[[PowerSource], float],
               rhs_of: Callable[[Site, int], float]) -> None:
    """One row per site in `sites` and quarter: the peak draw at design PUE, less `built_share` of
    each source's generation built and online, within `rhs_of(site, t)`."""
    if not sites:
        return
    plan, rows = model.plan, model.rows_builder
    T = len(plan.periods)
    builds = _by_pair(model, "gen")
    keys: list[RowKey] = []
    periods: list[str] = []
    rhs: list[float] = []
    build_terms: list[tuple[int, int, float]] = []
    for s in sites:
        site = plan.sites[s]
        key = RowKey(site=site.id)
        for t, period in enumerate(plan.periods):
            for g, source in enumerate(site.sources):
                lead = source.expansion.lead_periods if source.expansion else 0
                share = built_share(source)
                build_terms += [(len(keys), v, -share) for gt, v in builds.get((s, g), ())
                                if gt + lead <= t and share > 0]
            keys.append(key)
            periods.append(period)
            rhs.append(rhs_of(site, t))
    offset = rows.add(family, keys, periods, "<=", rhs)
    row_of_site = np.full(len(plan.sites), -1, dtype=np.int64)
    row_of_site[sites] = np.arange(len(sites))
    live = model.serving
    chosen = row_of_site[live.s] >= 0
    design_pue = hall_array(model, lambda hall: hall.design_pue)
    unit_mw = accelerator_array(model, lambda a: a.unit_it_mw)
    rows.terms(offset + row_of_site[live.s[chosen]] * T + live.t[chosen], live.column[chosen],
               design_pue[live.q[chosen]] * unit_mw[live.c[chosen]])
    _terms_from_tuples(rows, offset, build_terms)


def cost_terms(model: Model) -> Terms:
    """Capex + opex of each quarter as terms (quarter, variable id, USD per unit), in the order
    new, mod, gen, trade-in credits (capex), then disp, cloud lease, hall lease, generation
    lease, maintenance, decommissioning, software stacks (opex) within a quarter, and each
    quarter's constant (opex of what is there before the horizon: the lease of leased halls'
    existing MW, the stacks in use from the start)."""
    plan, k = model.plan, model.k
    T = len(plan.periods)
    dt_h = plan.hours_per_period
    maintenance_share = plan.maintenance_share_per_year / 4.0
    price = accelerator_array(model, lambda a: a.unit_capex_usd)  # the unit and its share of fabric
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [(k.t, model.ids("new"), price[k.c])]

    def part(family: str, period: Any, coefficient: Any) -> None:
        keys = list(getattr(model, family))
        parts.append((np.array([period(key) for key in keys], dtype=np.int64).reshape(-1), model.ids(family),
                      np.array([coefficient(key) for key in keys], dtype=F).reshape(-1)))

    def paid(family: str, payments: Any) -> None:
        """Each column (a, b, t) of `family` pays `payments(a, b, t)`: (quarter, USD per unit) pairs."""
        periods, columns, usd = [], [], []
        for column, (a, b, t) in zip(model.ids(family).tolist(), getattr(model, family), strict=True):
            for quarter, cost in payments(a, b, t):
                periods.append(quarter)
                columns.append(column)
                usd.append(cost)
        parts.append((np.array(periods, dtype=np.int64), np.array(columns, dtype=np.int64), np.array(usd, dtype=F)))

    def built(lead: int, cost_usd: float, t: int) -> list[tuple[int, float]]:
        """A build's capex, paid evenly over the quarters it is being built."""
        return [(quarter, cost_usd * share) for quarter, share in build_payments(t, lead)]

    def leased(lead: int, usd_per_year: float, t: int) -> list[tuple[int, float]]:
        """A lease's rent (opex), in every quarter from the one it is ready to the horizon's end."""
        return [(quarter, usd_per_year / 4.0) for quarter in range(t + lead, T)] if usd_per_year > 0 else []

    def hall_of(s: int, h: int) -> Hall:
        return plan.sites[s].halls[h]

    def expansion_of(s: int, g: int) -> Expansion:
        found = plan.sites[s].sources[g].expansion
        assert found is not None  # gen has columns only where a source has an expansion
        return found

    paid("mod", lambda s, h, t: built(hall_of(s, h).lead_periods, hall_of(s, h).module_capex_usd, t))
    paid("gen", lambda s, g, t: built(expansion_of(s, g).lead_periods, expansion_of(s, g).capex_usd_per_mw, t))
    # A trade-in credits what a retired unit fetches against the quarter's capex (else the
    # proceeds are income outside every limit, and only the objective sees them: `resale_terms`).
    if plan.retirement.trade_in:
        resale_t, resale_ids, resale_usd = resale_terms(model)
        parts.append((resale_t, resale_ids, -resale_usd))
    else:  # an empty part keeps every later part's kind number (CAPEX_PARTS counts on it)
        parts.append(_no_terms())
    part("disp", lambda key: key[2], lambda key: dt_h * plan.sites[key[0]].sources[key[1]].energy_usd_per_mwh)
    part("lease", lambda key: key[1], lambda key: dt_h * plan.cloud_offers[key[0]].usd_per_accelerator_hour)
    paid("mod", lambda s, h, t: leased(hall_of(s, h).lead_periods,
                                       hall_of(s, h).module_it_mw * hall_of(s, h).lease_usd_per_mw_year, t))
    paid("gen", lambda s, g, t: leased(expansion_of(s, g).lead_periods, expansion_of(s, g).lease_usd_per_mw_year, t))
    constant = np.full(T, sum(h.existing_it_mw * h.lease_usd_per_mw_year / 4.0 for site in plan.sites
                              for h in site.halls))
    if maintenance_share > 0:
        live = model.serving
        parts.append((live.t, live.column, maintenance_share * price[live.c] * 1.0))
    # Taking a unit out early costs its decommissioning (what it fetches is in `resale_terms`).
    part("retire", lambda key: key[3], lambda key: plan.retirement.decommission_share * (
        plan.catalog[plan.sites[key[0]].halls[key[1]].installed[key[2]].accelerator].unit_price_usd or 0.0))
    parts += stack_cost_parts(model)  # opex: software stacks adopted by choice, then those in use
    constant += stack_constant_usd(plan)
    period = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    order = np.lexsort((kind, period))  # stable: by quarter, then kind, then variable order
    return Terms(period[order], np.concatenate([p[1] for p in parts])[order],
                 np.concatenate([p[2] for p in parts])[order], constant, (kind < CAPEX_PARTS)[order])


CAPEX_PARTS = 4
"""`cost_terms` lists new, mod, gen and trade-in credits (capex) first, then disp, the leases,
upkeep, decommissioning and software stacks (opex)."""


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


def _fleet(model: Model, weight: dict[str, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Availability-weighted accelerators in service, times weight[c]: the coefficient of each
    column of `Model.serving` (0 outside `weight`) and the leases counted (positions, coefficients)."""
    plan, live = model.plan, model.serving
    w = np.array([weight.get(c, 0.0) for c in model.pool], dtype=F)
    member = np.array([c in weight for c in model.pool], dtype=bool)
    availability = hall_array(model, lambda hall: hall.availability)
    per_unit = availability[live.q] * accelerator_array(model, lambda a: a.accelerators_per_unit)[live.c] * w[live.c]
    coefficient = np.where(member[live.c], per_unit * 1.0, 0.0)
    leases = [(i, weight[plan.cloud_offers[key].accelerator]) for i, (key, _) in enumerate(model.lease)
              if plan.cloud_offers[key].accelerator in weight]
    lease_index = np.array([i for i, _ in leases], dtype=np.int64)
    return coefficient, lease_index, np.array([x for _, x in leases], dtype=F)


def add_share_constraints(model: Model) -> None:
    """Limit 6: BF16 compute share of a vendor or ecosystem in service within [lo, hi]."""
    plan, live, rows = model.plan, model.serving, model.rows_builder
    T = len(plan.periods)
    bf16 = {c: plan.catalog[c].bf16_pflops for c in model.pool}
    inst, lease = live.column, model.ids("lease")
    lease_t = np.array([t for _, t in model.lease], dtype=np.int64)
    total, total_lease, total_weight = _fleet(model, bf16)
    for bound in plan.shares:
        members = {c: w for c, w in bf16.items() if getattr(plan.catalog[c], bound.group_kind) == bound.group}
        kinds = [(family, share, sense) for family, share, sense, wanted in (
            (SHARE_MIN.name, bound.min_share, ">=", bound.min_share > 0),
            (SHARE_MAX.name, bound.max_share, "<=", bound.max_share < 1)) if wanted]
        first = bound.first_period
        if not kinds or first >= T:
            continue
        group, group_lease, group_weight = _fleet(model, members)
        key = RowKey.of_group(bound.group_kind, bound.group)
        families = [family for _ in range(first, T) for family, _, _ in kinds]
        periods = [plan.periods[t] for t in range(first, T) for _ in kinds]
        senses = [sense for _ in range(first, T) for _, _, sense in kinds]
        rhs = np.zeros(len(families))
        offset = rows.add(families, [key] * len(families), periods, senses, rhs)
        in_group = np.array([c in members for c in model.pool], dtype=bool)[live.c]
        in_range = live.t >= first
        g = in_group & in_range
        lg = lease_t[group_lease] >= first
        lt = lease_t[total_lease] >= first
        parts = []
        for j, (_, share, _) in enumerate(kinds):
            row_of_t = offset + (np.arange(T) - first) * len(kinds) + j
            # The group's terms, then -share x the total's: PuLP sums a variable's two terms in that order.
            parts += [
                (row_of_t[live.t[g]], inst[g], group[g]),
                (row_of_t[lease_t[group_lease][lg]], lease[group_lease][lg], group_weight[lg]),
                (row_of_t[live.t[in_range]], inst[in_range], -share * total[in_range]),
                (row_of_t[lease_t[total_lease][lt]], lease[total_lease][lt], -share * total_weight[lt]),
            ]
        row, variable, coefficient = (np.concatenate([p[i] for p in parts]) for i in range(3))
        rows.terms(*merge_duplicates(row, variable, coefficient))


def add_min_units_constraints(model: Model) -> None:
    """Policy: at least N units of an accelerator in service from a quarter on."""
    plan, live, rows = model.plan, model.serving, model.rows_builder
    T = len(plan.periods)
    position = {c: i for i, c in enumerate(model.pool)}
    for minimum in plan.min_units:
        if minimum.first_period >= T:
            continue
        count = T - minimum.first_period
        offset = rows.add(MIN_UNITS.name, [RowKey(accelerator=minimum.accelerator)] * count,
                          list(plan.periods[minimum.first_period:]), ">=", [minimum.units] * count)
        chosen = (live.c == position.get(minimum.accelerator, -1)) & (live.t >= minimum.first_period)
        rows.terms(offset + live.t[chosen] - minimum.first_period, live.column[chosen],
                   np.ones(int(chosen.sum())))


def add_assignment_constraints(model: Model) -> None:
    """Accelerators assigned to training plus inference <= those in service (availability-weighted)."""
    plan, live, rows = model.plan, model.serving, model.rows_builder
    T = len(plan.periods)
    if not model.pool:
        return
    weight, lease_index, lease_weight = _fleet(model, dict.fromkeys(model.pool, 1.0))
    pool_keys = [RowKey(accelerator=c) for c in model.pool]
    offset = rows.add(ASSIGN.name, [key for key in pool_keys for _ in range(T)], list(plan.periods) * len(model.pool),
                      "<=", np.zeros(len(model.pool) * T))
    position = {c: i for i, c in enumerate(model.pool)}
    for family in ("train", "infer"):
        keys = list(getattr(model, family))
        row = np.array([position[c] * T + t for c, t in keys], dtype=np.int64)
        rows.terms(offset + row, model.ids(family), np.ones(len(keys)))
    rows.terms(offset + live.c * T + live.t, live.column, -weight)
    if len(lease_index):
        lease_c = np.array([position[plan.cloud_offers[kk].accelerator] for kk, _ in model.lease], np.int64)
        lease_t = np.array([t for _, t in model.lease], dtype=np.int64)
        rows.terms(offset + lease_c[lease_index] * T + lease_t[lease_index], model.ids("lease")[lease_index],
                   -lease_weight)


def add_cluster_constraints(model: Model) -> None:
    """Limit 15: where the plan needs training clusters, a part's training is split by location
    (each at most what is in service there), and at each location a family trains either not at
    all or with at least N accelerators (`cluster` is 1 where it does)."""
    plan, rows = model.plan, model.rows_builder
    if not model.ctrain:
        return
    T = len(plan.periods)
    S = len(plan.sites)
    position = {c: i for i, c in enumerate(model.pool)}
    ctrain = model.ids("ctrain")
    loc_of = np.array([loc for loc, _, _ in model.ctrain], dtype=np.int64)
    c_of = np.array([position[c] for _, c, _ in model.ctrain], dtype=np.int64)
    t_of = np.array([t for _, _, t in model.ctrain], dtype=np.int64)
    # Split: train[c, t] = the sum over locations of ctrain[loc, c, t].
    train_id = {key: model.first_id["train"] + i for i, key in enumerate(model.train)}
    split = sorted({(c, t) for _, c, t in model.ctrain}, key=lambda ct: (position[ct[0]], ct[1]))
    row_of_split = {ct: i for i, ct in enumerate(split)}
    offset = rows.add(CLUSTER_SPLIT.name, [RowKey(accelerator=c) for c, _ in split],
                      [plan.periods[t] for _, t in split], "==", np.zeros(len(split)))
    rows.terms(offset + np.arange(len(split)), np.array([train_id[ct] for ct in split], dtype=np.int64),
               np.ones(len(split)))
    rows.terms(offset + np.array([row_of_split[c, t] for _, c, t in model.ctrain], dtype=np.int64), ctrain,
               np.full(len(ctrain), -1.0))
    # Each ctrain at most the accelerators of c in service at its location (availability-weighted).
    keys = [location_key(plan, loc, accelerator=c) for loc, c, _ in model.ctrain]
    offset = rows.add(CLUSTER_SITE.name, keys, [plan.periods[t] for t in t_of.tolist()], "<=", np.zeros(len(keys)))
    rows.terms(offset + np.arange(len(ctrain)), ctrain, np.ones(len(ctrain)))
    row_of = np.full((len(plan.sites) + len(plan.cloud_offers), len(model.pool), T), -1, dtype=np.int64)
    row_of[loc_of, c_of, t_of] = offset + np.arange(len(ctrain))
    live = model.serving
    chips = (hall_array(model, lambda hall: hall.availability)[live.q]
             * accelerator_array(model, lambda a: a.accelerators_per_unit)[live.c])
    row = row_of[live.s, live.c, live.t]
    chosen = row >= 0
    rows.terms(row[chosen], live.column[chosen], -chips[chosen])
    if model.lease:
        lease_l = np.array([S + k for k, _ in model.lease], dtype=np.int64)
        lease_c = np.array([position[plan.cloud_offers[k].accelerator] for k, _ in model.lease], dtype=np.int64)
        lease_t = np.array([t for _, t in model.lease], dtype=np.int64)
        row = row_of[lease_l, lease_c, lease_t]
        chosen = row >= 0
        rows.terms(row[chosen], model.ids("lease")[chosen], np.full(int(chosen.sum()), -1.0))
    # A family at a location trains with at least N accelerators, or not at all (at most M,
    # all it could ever have there, when its cluster is open).
    n_min = float(plan.cluster_min_accelerators)
    cluster_of = {key: model.first_id["cluster"] + i for i, key in enumerate(model.cluster)}
    keys = [location_key(plan, loc, part_family=f) for loc, f, _ in model.cluster]
    periods = [plan.periods[t] for _, _, t in model.cluster]
    count = len(model.cluster)
    at_least = rows.add(CLUSTER.name, keys, periods, ">=", np.zeros(count))
    at_most = rows.add(CLUSTER_OPEN.name, keys, periods, "<=", np.zeros(count))
    index = {key: i for i, key in enumerate(model.cluster)}
    member = np.array([index[loc, plan.catalog[c].family, t] for loc, c, t in model.ctrain], dtype=np.int64)
    for first in (at_least, at_most):
        rows.terms(first + member, ctrain, np.ones(len(ctrain)))
    columns = np.array([cluster_of[key] for key in model.cluster], dtype=np.int64)
    rows.terms(at_least + np.arange(count), columns, np.full(count, -n_min))
    rows.terms(at_most + np.arange(count), columns, -np.array(
        [max(n_min, _most_accelerators(model, loc, f)) for loc, f, _ in model.cluster], dtype=F))


def _most_accelerators(model: Model, location: int, family: str) -> float:
    """All the accelerators of `family` location `location` could ever hold: its halls' every
    MW (existing and every module) filled with the family's part that packs most accelerators
    per MW, or a cloud offer's largest quarter."""
    plan = model.plan
    S = len(plan.sites)
    if location >= S:
        return max(plan.cloud_offers[location - S].max_accelerators, default=0.0)
    parts = [plan.catalog[c] for c in model.pool if plan.catalog[c].family == family]
    most = 0.0
    for hall in plan.sites[location].halls:
        mw = hall.existing_it_mw + hall.max_modules * hall.module_it_mw
        most += max((mw / a.unit_it_mw * a.accelerators_per_unit for a in parts if hall.fits(a) or any(
            lot.accelerator == a.id for lot in hall.installed)), default=0.0)
    return most


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
        coefficient = _effective_pflops(model, family, lambda a, w=workload: plan.pflops_of(a, w))
        chosen = row >= 0
        rows.terms(row[chosen], model.ids(family)[chosen], coefficient[chosen])


def _effective_pflops(model: Model, family: str, peak_pflops: Any) -> np.ndarray:
    """Effective PFLOPS of one accelerator of each `train` or `infer` key (c, t): its peak
    (`peak_pflops(accelerator)`) x its utilisation x its stack's maturity in quarter t."""
    plan = model.plan
    return np.array([peak_pflops(plan.catalog[c]) * plan.effective_share(plan.catalog[c], t)
                     for c, t in getattr(model, family)], dtype=F)


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
    last = [i for i, (*_, t) in enumerate(model.keep) if t == T - 1]
    lots = [plan.sites[s].halls[h].installed[i] for s, h, i, _ in (model.keep[j] for j in last)]
    usd.append(np.array([plan.catalog[lot.accelerator].unit_capex_usd for lot in lots], dtype=F)
               * remaining_share(np.array([lot.age_periods(T) for lot in lots], dtype=F),
                                 np.array([plan.catalog[lot.accelerator].life_periods for lot in lots], dtype=F)))
    return (np.concatenate([model.ids("new"), model.ids("mod"), model.ids("gen"), model.ids("keep")[last]]),
            np.concatenate(usd))


def _no_terms() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(quarters, columns, USD) of no terms at all."""
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)


def resale_terms(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(quarter, retire column, USD per unit) of what an installed unit retired early fetches:
    the plan's share of its straight-line book value at its age then."""
    plan = model.plan
    lots = [plan.sites[s].halls[h].installed[i] for s, h, i, _ in model.retire]
    t = np.array([key[3] for key in model.retire], dtype=np.int64)
    price = np.array([plan.catalog[lot.accelerator].unit_price_usd or 0.0 for lot in lots], dtype=F)
    life = np.array([plan.catalog[lot.accelerator].life_periods for lot in lots], dtype=F)
    age = np.array([lot.age_periods(q) for lot, q in zip(lots, t.tolist(), strict=True)], dtype=F)
    return t, model.ids("retire"), plan.retirement.resale_share_of_book * price * remaining_share(age, life)


def objective_costs(model: Model, costs: Terms) -> np.ndarray:
    """Each column's objective coefficient. max-compute (maximised): weighted PFLOPS-quarters less
    a tie-breaking cost; min-cost (minimised): discounted cost. Both net the residual value at
    the horizon's end (`residual_terms`) from the cost, so a late purchase is not charged in
    full and, among plans with equal compute, max-compute builds just in time. What an installed
    unit retired early fetches (`resale_terms`) is netted likewise, in the quarter it is sold.
    Compute is effective compute (`_effective_pflops`)."""
    residual_ids, residual_usd = residual_terms(model)
    # Under a trade-in the resale is a (negative) capex term of `costs` already.
    resale_t, resale_ids, resale_usd = resale_terms(model) if not model.plan.retirement.trade_in else _no_terms()
    plan = model.plan
    precision = plan.objective_precision
    train, infer = model.ids("train"), model.ids("infer")
    training = _effective_pflops(model, "train", lambda a: a.pflops(precision))
    # Beyond demand, which workload an accelerator serves is a tie; left to the solver, the
    # split jumps from quarter to quarter. A tiny preference makes it stable and readable:
    # inference gets what its demand needs, every other accelerator counts as training.
    prefer_training = TRAINING_TIE_BREAK * training
    if plan.objective.maximises:
        ids = [train, infer, train, costs.variable, residual_ids, resale_ids]
        coefficients = [
            plan.training_weight * training,
            plan.inference_weight * _effective_pflops(model, "infer", lambda a: a.pflops(precision)),
            prefer_training,
            -TIE_BREAK_PFLOPS_PER_USD * costs.coefficient,
            TIE_BREAK_PFLOPS_PER_USD * residual_usd,
            TIE_BREAK_PFLOPS_PER_USD * resale_usd,
        ]
    else:
        factor = np.array([plan.discount_factor(t) for t in range(len(plan.periods))], dtype=F)
        ids = [train, costs.variable, residual_ids, resale_ids]
        coefficients = [-TIE_BREAK_PFLOPS_PER_USD * prefer_training, factor[costs.period] * costs.coefficient,
                        -plan.discount_factor(len(plan.periods)) * residual_usd, -factor[resale_t] * resale_usd]
    # A column listed twice (training's compute and its tie-break) gets the sum, in this order.
    return np.bincount(np.concatenate(ids), weights=np.concatenate(coefficients), minlength=model.columns)


def build_model(plan: Plan, integer: bool = False) -> Model:
    """Build the LP of `plan`: a MILP with whole units and modules (`integer`), or where a software
    stack is adopted by choice (`planner.model.stacks`)."""
    refuse_oversized(plan)
    model = Model(plan=plan, integer=integer)
    add_variables(model)
    add_stack_variables(model)
    model.builder = Rows()
    add_stock_constraints(model)
    add_retirement_constraints(model)
    costs = cost_terms(model)
    add_hall_space_constraints(model)
    add_cooling_constraints(model)
    add_site_power_constraints(model)
    add_generation_unit_constraints(model)
    add_firm_power_constraints(model)
    add_budget_constraints(model, costs)
    add_supply_constraints(model)
    add_commitment_constraints(model)
    add_share_constraints(model)
    add_min_units_constraints(model)
    add_assignment_constraints(model)
    add_cluster_constraints(model)
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
