"""Limit 14: software stacks as a decision (which makes the LP a MILP).

A stack (a catalog `ecosystem`: cuda, rocm, xla, ...) that is not in use when the horizon starts
and is adopted by choice (`Plan.adopted_by_choice`: adopting it costs money or time, or
`policy.max_stacks` counts it) has one binary column per calendar year y of the horizon,
`use[e, y]`: 1 if it is in use that year. These columns are integer always, not only under
`--integer`: a stack adopted for a fraction of its cost is no answer. Adoption has no column of its
own: use only rises (`stack_kept`), so `use[e, y] - use[e, y-1]` is 1 in the year it starts and 0
otherwise.

Rows:
- `stack_parts`, for each part c of such a stack and quarter t:
  `sum_{s,h} new[s,h,c,t] - M[c,t] use[e, y(t)] <= 0`, and for each cloud offer k of such a part
  `lease[k,t] - max_accelerators[k,t] use[e, y(t)] <= 0`. M[c,t] is the most of c any plan can
  buy in t (`purchase_bounds`): the least of its supply cap, every hall type it fits full of it,
  all the power its sites could ever have drawn by it, and the year's budget spent on it alone.
  One row per part, not per stack, so that each part has its own M: the LP relaxation is tighter
  than with one M summed over a stack's parts, and the solver's numbers better scaled (an M of
  1e5 against a binary's tolerance of 1e-6 made HiGHS report a solve error on a generated plan).
  Units in service need no row: they were bought in a year the stack was in use, and it stays
  in use;
- `stack_kept`: `use[e, y] - use[e, y-1] >= 0`;
- `max_stacks`: `sum_e use[e, y] <= max_stacks - (stacks in use at the start)`, each year.
Lead time: no part of such a stack is bought or leased before `adoption_quarters` after the
horizon starts (the columns are held at 0 before), and `use` is held at 0 in a year that ends
before then.

Costs, opex (`stack_cost_parts`, listed by `build.cost_terms` after the others): `yearly_usd / 4`
in each quarter of a year in use; `adoption_usd` once, in the quarter the adoption is decided
(`Plan.adoption_period`: the lead before its first part can come), on `use[e, y] - use[e, y-1]`.
A stack in use from the start pays its yearly cost as each quarter's constant.
"""

from __future__ import annotations

import numpy as np

from planner.inputs.plan import Plan, is_finite_limit
from planner.model.families import MAX_STACKS, STACK_KEPT, STACK_PARTS
from planner.model.lp import F
from planner.model.rows import RowKey
from planner.model.variables import Model, accelerator_array, number_columns


def decision_stacks(model: Model) -> list[str]:
    """Stacks adopted by choice that have a part to buy or lease, in catalog order."""
    plan = model.plan
    if not plan.stacks and plan.max_stacks is None:
        return []
    found: list[str] = []
    for c in model.pool:
        ecosystem = plan.catalog[c].ecosystem
        if ecosystem not in found and plan.adopted_by_choice(ecosystem):
            found.append(ecosystem)
    return found


def add_stack_variables(model: Model) -> None:
    """`use[e, y]` for every stack adopted by choice and calendar year of the horizon."""
    years = model.plan.horizon_years
    model.use = number_columns(model, "use", [(e, y) for e in decision_stacks(model) for y in years])


def _possible(plan: Plan, ecosystem: str, year: int) -> bool:
    """Whether a stack adopted by choice can be in use in `year`: its lead ends by the year's end."""
    last = len(plan.years) - 1 - plan.years[::-1].index(year)
    return last >= plan.stack_first_period(ecosystem)


def hold_stack_bounds(model: Model, upper: np.ndarray, integer: np.ndarray) -> None:
    """`use` binary (0 in a year before the stack's lead ends); a part of a stack adopted by choice
    neither bought nor leased before its lead ends."""
    if not model.use:
        return
    plan, k = model.plan, model.k
    use = model.ids("use")
    integer[use] = True
    upper[use] = [1.0 if _possible(plan, e, y) else 0.0 for e, y in model.use]
    chosen = {e for e, _ in model.use}
    first = accelerator_array(model, lambda a: plan.stack_first_period(a.ecosystem) if a.ecosystem in chosen else 0)
    upper[model.ids("new")[k.t < first[k.c]]] = 0.0
    early = [i for i, (offer, t) in enumerate(model.lease)
             if (e := plan.catalog[plan.cloud_offers[offer].accelerator].ecosystem) in chosen
             and t < plan.stack_first_period(e)]
    upper[model.ids("lease")[early]] = 0.0


def purchase_bounds(model: Model) -> np.ndarray:
    """M[c, t] of the `stack_parts` rows, per part of `Model.pool` and quarter: the most units of c
    any plan can buy in t, the least of four bounds, each valid on its own (`_space_bound` and
    `_power_bound` below): its supply cap; every hall type it fits full of it; every site it fits
    drawing all the power it could ever have on it from the quarter they serve; the year's budget
    or capex limit spent on it alone."""
    plan = model.plan
    bound: np.ndarray = np.minimum(_space_bound(model)[:, None], _power_bound(model))
    for i, c in enumerate(model.pool):
        part = plan.catalog[c]
        for t, cap in enumerate(plan.supply_units.get(c, ())):
            if cap is not None and is_finite_limit(cap):
                bound[i, t] = min(bound[i, t], cap)
        if part.unit_capex_usd > 0:
            for t, year in enumerate(plan.years):
                limits = [v for v in (plan.budget_usd.get(year), plan.capex_budget_usd.get(year)) if v is not None]
                if limits:
                    bound[i, t] = min(bound[i, t], max(0.0, min(limits)) / part.unit_capex_usd)
    return bound


def _space_bound(model: Model) -> np.ndarray:
    """Per part: units that fill every hall type it fits, each with all its modules built (the units
    already installed not netted, so that the bound holds whatever retires)."""
    halls = [hall for site in model.plan.sites for hall in site.halls]
    return accelerator_array(model, lambda a: sum(
        hall.existing_it_mw + hall.max_modules * hall.module_it_mw for hall in halls if hall.fits(a)) / a.unit_it_mw)


def _power_bound(model: Model) -> np.ndarray:
    """Per part and quarter t: units that, in service from t + lag, draw at each site it fits (at
    the lowest annual PUE of the hall types there that fit it) all the average MW its sources could
    ever deliver then, every expansion built; no bound (inf) where they would not serve in the
    horizon. A unit delivered in t is in service at t + lag, so it needs that power."""
    plan = model.plan
    T = len(plan.periods)
    available = np.zeros((len(plan.sites), T))
    for s, site in enumerate(plan.sites):
        for source in site.sources:
            grown = source.capacity_factor * source.expansion.max_mw if source.expansion else 0.0
            available[s] += np.asarray(source.available_mw, dtype=F) + grown
    bound = np.full((len(model.pool), T), np.inf)
    for i, c in enumerate(model.pool):
        part = plan.catalog[c]
        pues = [min((hall.pue for hall in site.halls if hall.fits(part)), default=np.inf) for site in plan.sites]
        per_mw = np.array([0.0 if pue == np.inf else 1.0 / (pue * part.unit_it_mw) for pue in pues], dtype=F)
        serving = np.arange(T) + part.commission_periods
        inside = serving < T
        bound[i, inside] = per_mw @ available[:, serving[inside]]
    return bound


def add_stack_constraints(model: Model) -> None:
    """Limit 14: a stack's parts only in a year it is in use, once in use kept, at most
    `max_stacks` in use (see the module's docstring)."""
    if not model.use:
        return
    column = dict(zip(model.use, model.ids("use").tolist(), strict=True))
    _add_parts_rows(model, column)
    _add_kept_rows(model, column)
    _add_max_stacks_rows(model, column)


def _add_parts_rows(model: Model, column: dict[tuple[str, int], int]) -> None:
    plan, k, rows = model.plan, model.k, model.rows_builder
    T = len(plan.periods)
    chosen = {e for e, _ in model.use}
    bound = purchase_bounds(model)
    bought = np.zeros((len(model.pool), T), dtype=bool)
    bought[k.c, k.t] = True
    row_of = np.full((len(model.pool), T), -1, dtype=np.int64)
    keys: list[RowKey] = []
    periods: list[str] = []
    use_terms: list[tuple[int, float]] = []
    for i, c in enumerate(model.pool):
        part = plan.catalog[c]
        if part.ecosystem not in chosen:
            continue
        key = RowKey(accelerator=c)
        last = T - 1 if part.last_period is None else part.last_period
        for t in range(plan.stack_first_period(part.ecosystem), min(T - 1, last) + 1):
            if bought[i, t] and bound[i, t] > 0:
                row_of[i, t] = len(keys)
                keys.append(key)
                periods.append(plan.periods[t])
                use_terms.append((column[part.ecosystem, plan.years[t]], -float(bound[i, t])))
    leases: list[tuple[int, int]] = []  # (lease position, row)
    for j, (offer_index, t) in enumerate(model.lease):
        offer = plan.cloud_offers[offer_index]
        ecosystem = plan.catalog[offer.accelerator].ecosystem
        if ecosystem in chosen and t >= plan.stack_first_period(ecosystem):
            leases.append((j, len(keys)))
            keys.append(RowKey(offer=offer.id))
            periods.append(plan.periods[t])
            use_terms.append((column[ecosystem, plan.years[t]], -offer.max_accelerators[t]))
    if not keys:
        return
    offset = rows.add(STACK_PARTS.name, keys, periods, "<=", np.zeros(len(keys)))
    row = row_of[k.c, k.t]
    inside = row >= 0
    rows.terms(offset + row[inside], model.ids("new")[inside], np.ones(int(inside.sum())))
    if leases:
        positions, lease_rows = (np.array(x, dtype=np.int64) for x in zip(*leases, strict=True))
        rows.terms(offset + lease_rows, model.ids("lease")[positions], np.ones(len(leases)))
    rows.terms(offset + np.arange(len(keys)), [c for c, _ in use_terms], np.array([w for _, w in use_terms], dtype=F))


def _add_kept_rows(model: Model, column: dict[tuple[str, int], int]) -> None:
    """use[e, y] >= use[e, y-1], where the earlier year can be in use at all."""
    plan, rows = model.plan, model.rows_builder
    years = plan.horizon_years
    pairs = [(e, before, after) for e in dict.fromkeys(e for e, _ in model.use)
             for before, after in zip(years, years[1:], strict=False) if _possible(plan, e, before)]
    if not pairs:
        return
    keys = {e: RowKey(ecosystem=e) for e, _, _ in pairs}
    offset = rows.add(STACK_KEPT.name, [keys[e] for e, _, _ in pairs], [str(after) for _, _, after in pairs],
                      ">=", np.zeros(len(pairs)))
    row = offset + np.arange(len(pairs))
    rows.terms(row, [column[e, after] for e, _, after in pairs], np.ones(len(pairs)))
    rows.terms(row, [column[e, before] for e, before, _ in pairs], np.full(len(pairs), -1.0))


def _add_max_stacks_rows(model: Model, column: dict[tuple[str, int], int]) -> None:
    """Stacks adopted by choice in use in a year <= max_stacks less those in use from the start."""
    plan, rows = model.plan, model.rows_builder
    if plan.max_stacks is None:
        return
    room = plan.max_stacks - len(plan.stacks_in_use())
    for year in plan.horizon_years:
        chosen = [column[e, y] for e, y in model.use if y == year and _possible(plan, e, y)]
        if chosen:
            row = rows.add(MAX_STACKS.name, [RowKey(year=str(year))], [str(year)], "<=", [room])
            rows.terms(np.full(len(chosen), row), chosen, np.ones(len(chosen)))


def stack_cost_parts(model: Model) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(quarter, column, USD) of what stacks adopted by choice cost: the yearly cost in each quarter
    of a year in use, the adoption in the quarter it is decided (on use[e, y] - use[e, y-1])."""
    plan = model.plan
    periods: list[int] = []
    columns: list[int] = []
    usd: list[float] = []
    column = dict(zip(model.use, model.ids("use").tolist(), strict=True))
    for (e, year), variable in column.items():
        stack = plan.stacks.get(e)
        if stack is None or not _possible(plan, e, year):
            continue
        quarters = [t for t, y in enumerate(plan.years) if y == year]
        if stack.yearly_usd > 0:
            periods += quarters
            columns += [variable] * len(quarters)
            usd += [stack.yearly_usd / 4.0] * len(quarters)
        if stack.adoption_usd > 0:
            decided = plan.adoption_period(e, year)
            before = column.get((e, year - 1))
            periods.append(decided)
            columns.append(variable)
            usd.append(stack.adoption_usd)
            if before is not None and _possible(plan, e, year - 1):
                periods.append(decided)
                columns.append(before)
                usd.append(-stack.adoption_usd)
    if not periods:
        return []
    return [(np.array(periods, dtype=np.int64), np.array(columns, dtype=np.int64), np.array(usd, dtype=F))]


def stack_constant_usd(plan: Plan) -> np.ndarray:
    """Each quarter's yearly cost of the stacks in use from the start (a quarter of it)."""
    in_use = plan.stacks_in_use()
    per_quarter = sum(stack.yearly_usd / 4.0 for stack in plan.stacks.values() if stack.id in in_use)
    return np.full(len(plan.periods), per_quarter)
