"""The peer: planner's LP (DESIGN.md, as planner/build.py writes it) built with linopy from a `Plan`.

Dense, labelled arrays with masks instead of key lists: units `new` and `inst` over (hall, acc,
period), modules over (hall, period), generation and dispatch over (src, period), leases over
(offer, period), assignment over (acc, period). Every family is one vectorised linopy
constraint; aggregations from halls to sites go through `groupby`, "ready by t" through a
(start, period) matrix. Its optimum equals planner's (bench/bench_scale.py checks it on every size).
It covers what the benchmark's generated plans use: effective compute at each part's utilisation,
but no installed base to retire (its units stay a constant load) and no software stacks.

Needs `pip install 'ai-capacity-planner[bench]'` (linopy). Not imported by planner itself.
"""

from __future__ import annotations

import warnings
from typing import Any

import linopy
import numpy as np
import xarray as xr
from linopy.semantics import LinopySemanticsWarning

from planner.inputs.plan import Plan
from planner.model.assets import GENERATION_LIFE_QUARTERS, MODULE_LIFE_QUARTERS, remaining_share

TIE_BREAK_PFLOPS_PER_USD = 1e-9  # planner.model.build.TIE_BREAK_PFLOPS_PER_USD
TRAINING_TIE_BREAK = 1e-6  # planner.model.build.TRAINING_TIE_BREAK


def _array(values: Any, *dims: str) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=float), dims=dims)


def _mask(values: Any, *dims: str) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=bool), dims=dims)


class _Index:
    """The plan flattened into arrays over the model's dimensions."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.T = len(plan.periods)
        self.halls = [(s, h) for s, site in enumerate(plan.sites) for h in range(len(site.halls))]
        self.srcs = [(s, g) for s, site in enumerate(plan.sites) for g in range(len(site.sources))]
        allowed = {c.id for c in plan.accelerators}
        purchasable = [c for c in plan.accelerators if c.purchasable]
        leased = {o.accelerator for o in plan.cloud_offers if o.accelerator in allowed}
        installed = {lot.accelerator for site in plan.sites for hall in site.halls for lot in hall.installed}
        bought = {c.id for c in purchasable if c.first_period < self.T
                  and (c.last_period is None or c.last_period >= 0)
                  and any(plan.sites[s].halls[h].fits(c) for s, h in self.halls)}
        self.pool = [c for c in plan.catalog if c in bought | leased | installed]
        self.acc = [plan.catalog[c] for c in self.pool]
        on_sale = {c.id for c in purchasable if c.last_period is None or c.last_period >= 0}
        self.buyable = np.array([a.id in on_sale for a in self.acc])

    def hall(self, value: Any) -> np.ndarray:
        return np.array([value(self.plan.sites[s].halls[h]) for s, h in self.halls], dtype=float)

    def accel(self, value: Any) -> np.ndarray:
        return np.array([value(a) for a in self.acc], dtype=float)

    def installed(self) -> np.ndarray:
        """Units installed before the horizon, per (hall, acc)."""
        out = np.zeros((len(self.halls), len(self.pool)))
        position = {c: i for i, c in enumerate(self.pool)}
        for q, (s, h) in enumerate(self.halls):
            for lot in self.plan.sites[s].halls[h].installed:
                a, units = lot.accelerator, lot.units
                out[q, position[a]] += units
        return out


def _ready(start_mask: np.ndarray, lead: np.ndarray, T: int, scale: np.ndarray, dim: str) -> xr.DataArray:
    """(dim, start, period): scale[dim] where a build started in `start` is ready by `period`."""
    start = np.arange(T)[None, :, None]
    period = np.arange(T)[None, None, :]
    ready = (start + lead[:, None, None] <= period) & start_mask[:, :, None]
    return xr.DataArray(ready * scale[:, None, None], dims=(dim, "start", "period"))


def _paid(start_mask: np.ndarray, lead: np.ndarray, T: int, scale: np.ndarray, dim: str) -> xr.DataArray:
    """(dim, start, period): the share of scale[dim] a build started in `start` pays in `period`,
    evenly over its lead quarters (all at the start with no lead)."""
    start = np.arange(T)[None, :, None]
    period = np.arange(T)[None, None, :]
    quarters = np.maximum(lead, 1)[:, None, None]
    paying = (period >= start) & (period < start + quarters) & start_mask[:, :, None]
    return xr.DataArray(paying * (scale[:, None, None] / quarters), dims=(dim, "start", "period"))


def build_linopy(plan: Plan) -> linopy.Model:
    """planner's LP of `plan` as a linopy model."""
    with warnings.catch_warnings():
        # Masked slots add nothing to a sum (linopy's legacy semantics): that is what is meant here.
        warnings.simplefilter("ignore", LinopySemanticsWarning)
        return _build(plan)


def _build(plan: Plan) -> linopy.Model:  # noqa: C901, PLR0915 - one LP, family by family
    ix = _Index(plan)
    T, Q, C = ix.T, len(ix.halls), len(ix.pool)
    m = linopy.Model()
    period = np.arange(T)
    coords_hac = {"hall": np.arange(Q), "acc": np.arange(C), "period": period}
    first = ix.accel(lambda a: max(0, a.first_period))
    fits = np.array([[plan.sites[s].halls[h].fits(a) for a in ix.acc] for s, h in ix.halls], dtype=bool)
    bought = (fits & ix.buyable[None, :])[:, :, None] & (period[None, None, :] >= first[None, :, None])
    last = ix.accel(lambda a: T if a.last_period is None else a.last_period)
    sold = np.where(period[None, None, :] > last[None, :, None], 0.0, np.inf) * np.ones((Q, 1, 1))
    new = m.add_variables(lower=0, upper=_array(sold, "hall", "acc", "period"), coords=coords_hac, name="new",
                          mask=_mask(bought, "hall", "acc", "period"))
    inst = m.add_variables(lower=0, coords=coords_hac, name="inst", mask=_mask(bought, "hall", "acc", "period"))

    has_fit = (fits & ix.buyable[None, :]).any(axis=1)
    lead = ix.hall(lambda hall: hall.lead_periods).astype(int)
    start = ix.hall(lambda hall: hall.first_module_start).astype(int)
    mod_mask = ((ix.hall(lambda hall: hall.max_modules) > 0) & has_fit)[:, None] & (
        period[None, :] >= start[:, None]) & (period[None, :] < (T - lead)[:, None])
    mod = m.add_variables(lower=0, coords={"hall": np.arange(Q), "period": period}, name="mod",
                          mask=_mask(mod_mask, "hall", "period"))

    sources = [plan.sites[s].sources[g] for s, g in ix.srcs]
    expandable = np.array([src.expansion is not None for src in sources])
    g_lead = np.array([src.expansion.lead_periods if src.expansion else 0 for src in sources])
    g_start = np.array([src.expansion.first_start if src.expansion else 0 for src in sources])
    gen_mask = expandable[:, None] & (period[None, :] >= g_start[:, None]) & (period[None, :] < (T - g_lead)[:, None])
    available = np.array([src.available_mw for src in sources], dtype=float).reshape(len(sources), T)
    disp_mask = ((available > 0) | (expandable[:, None] & (period[None, :] >= (g_start + g_lead)[:, None]))) & (
        np.array([src.capacity_factor > 0 for src in sources])[:, None])
    coords_src = {"src": np.arange(len(sources)), "period": period}
    gen = m.add_variables(lower=0, coords=coords_src, name="gen", mask=_mask(gen_mask, "src", "period"))
    disp = m.add_variables(lower=0, coords=coords_src, name="disp", mask=_mask(disp_mask, "src", "period"))

    offers = plan.cloud_offers
    allowed = {c.id for c in plan.accelerators}
    lease_cap = np.array([o.max_accelerators for o in offers], dtype=float).reshape(len(offers), T)
    lease_mask = np.array([[o.accelerator in allowed and o.max_accelerators[t] > 0
                            and t >= plan.catalog[o.accelerator].first_period for t in range(T)] for o in offers],
                          dtype=bool).reshape(len(offers), T)
    lease = m.add_variables(lower=0, upper=_array(lease_cap, "offer", "period"),
                            coords={"offer": np.arange(len(offers)), "period": period}, name="lease",
                            mask=_mask(lease_mask, "offer", "period"))
    coords_ap = {"acc": np.arange(C), "period": period}
    trains = ix.accel(lambda a: a.trains).astype(bool)
    infers = ix.accel(lambda a: a.infers).astype(bool)
    train = m.add_variables(lower=0, coords=coords_ap, name="train",
                            mask=_mask(np.repeat(trains[:, None], T, 1), "acc", "period"))
    infer = m.add_variables(lower=0, coords=coords_ap, name="infer",
                            mask=_mask(np.repeat(infers[:, None], T, 1), "acc", "period"))

    # Stock: inst[t] = inst[t-1] + new[t - lag] - new[t - lag - life].
    life = ix.accel(lambda a: a.life_periods).astype(int)
    lag = ix.accel(lambda a: a.commission_periods).astype(int)
    stock = inst - inst.shift(period=1)
    for quarters in sorted(set(lag.tolist())):
        stock = stock - new.shift(period=quarters).where(_mask(lag == quarters, "acc"))
    for years in sorted(set((lag + life).tolist())):
        retired = new.shift(period=years).where(_mask(lag + life == years, "acc"))
        stock = stock + retired
    m.add_constraints(stock == 0, name="stock", mask=_mask(bought, "hall", "acc", "period"))

    # Hall space, modules.
    unit_mw = _array(ix.accel(lambda a: a.unit_it_mw), "acc")
    hall_it = (inst * unit_mw).sum("acc")
    hall_space = hall_it  # and the units still being commissioned: new[t - d] for d < lag
    for d in range(int(lag.max(initial=0))):
        hall_space = hall_space + (new.shift(period=d) * unit_mw).where(_mask(lag > d, "acc")).sum("acc")
    module_mw = ix.hall(lambda hall: hall.module_it_mw)
    ready = _ready(mod_mask, lead, T, module_mw, "hall")
    ready_mod = (mod.rename(period="start") * ready).sum("start")
    installed = ix.installed()
    installed_mw = (installed * ix.accel(lambda a: a.unit_it_mw)[None, :]).sum(axis=1)
    hall_rows = bought.any(axis=1) | (ready.values.sum(axis=1) > 0)
    room = _array(ix.hall(lambda hall: hall.existing_it_mw) - installed_mw, "hall")
    m.add_constraints(hall_space - ready_mod <= room, name="hall", mask=_mask(hall_rows, "hall", "period"))
    m.add_constraints(mod.sum("period") <= _array(ix.hall(lambda hall: hall.max_modules), "hall"), name="modules",
                      mask=_mask(mod_mask.any(axis=1), "hall"))

    # Cooling: liquid and air heat within a share of the ready IT MW, where the hall says.
    for loop in ("liquid", "air"):
        share = ix.hall(lambda hall, loop=loop: getattr(hall, f"{loop}_cooling_share") or 0.0)
        limited = np.array([getattr(plan.sites[s].halls[h], f"{loop}_cooling_share") is not None for s, h in ix.halls])
        heat_mw = ix.accel(lambda a, loop=loop: getattr(a, f"{loop}_heat_mw"))
        heat = (inst * _array(heat_mw, "acc")).sum("acc")
        installed_heat = (installed * heat_mw[None, :]).sum(axis=1)
        cooled = (mod.rename(period="start") * _ready(mod_mask, lead, T, share * module_mw, "hall")).sum("start")
        m.add_constraints(heat - cooled <= _array(share * ix.hall(lambda hall: hall.existing_it_mw) - installed_heat,
                                                  "hall"),
                          name=f"cooling_{loop}", mask=_mask(np.repeat(limited[:, None], T, 1), "hall", "period"))

    # Site power: dispatch meets the IT load at annual PUE; each source within its average output.
    site_of_hall = xr.DataArray(np.array([s for s, _ in ix.halls]), dims="hall", name="site")
    site_of_src = xr.DataArray(np.array([s for s, _ in ix.srcs]), dims="src", name="site")

    def facility(pue_of: Any) -> tuple[Any, np.ndarray]:
        load = (hall_it * _array(ix.hall(pue_of), "hall")).groupby(site_of_hall).sum()
        base = np.array([sum(lot.units * plan.catalog[lot.accelerator].unit_it_mw * pue_of(hall) for hall in site.halls
                             for lot in hall.installed) for site in plan.sites])
        return load, base

    load_mw, base_mw = facility(lambda hall: hall.pue)
    m.add_constraints(disp.groupby(site_of_src).sum() - load_mw
                      == _array(np.repeat(base_mw[:, None], T, 1), "site", "period"), name="load")
    factor = np.array([src.capacity_factor for src in sources])
    built = (gen.rename(period="start") * _ready(gen_mask, g_lead, T, factor, "src")).sum("start")
    m.add_constraints(disp - built <= _array(available, "src", "period"), name="power",
                      mask=_mask(disp_mask, "src", "period"))
    # Firm power: the peak draw at design PUE within firm MW less any reserve, where it says
    # more than the sources' rows (`Site.firm_limit_says_more`).
    peak_mw, peak_base = facility(lambda hall: hall.design_pue)
    share = np.array([src.firm_share for src in sources])
    firm_built = (gen.rename(period="start") * _ready(gen_mask, g_lead, T, share, "src")).sum("start")
    firm = np.array([[site.firm_mw(t) for t in range(T)] for site in plan.sites]) - peak_base[:, None]
    apart = np.array([site.firm_limit_says_more for site in plan.sites])
    m.add_constraints(peak_mw - firm_built.groupby(site_of_src).sum() <= _array(firm, "site", "period"), name="firm",
                      mask=_mask(np.repeat(apart[:, None], T, 1), "site", "period"))
    max_mw = np.array([src.expansion.max_mw if src.expansion else 0.0 for src in sources])
    m.add_constraints(gen.sum("period") <= _array(max_mw, "src"), name="expansion",
                      mask=_mask(gen_mask.any(axis=1), "src"))
    # (planner's `firm_charging` rows, for sites whose batteries count, are left out: no plan this
    # peer is compared on has a battery.)
    # Generation of a source with a unit size is a number of its units (whole in planner's MILP).
    unit_mw = np.array([src.build_unit_mw for src in sources], dtype=float)
    blk_mask = gen_mask & (unit_mw > 0)[:, None]
    blk = m.add_variables(lower=0, coords=coords_src, name="blk", mask=_mask(blk_mask, "src", "period"))
    m.add_constraints(gen - blk * _array(unit_mw, "src") == 0, name="generation_units",
                      mask=_mask(blk_mask, "src", "period"))

    # Money: capex + opex of each quarter.
    dt_h = plan.hours_per_period
    price = _array(ix.accel(lambda a: a.unit_capex_usd), "acc")
    vendor_price = _array(ix.accel(lambda a: a.unit_price_usd or 0.0), "acc")
    capex_mw = np.array([src.expansion.capex_usd_per_mw if src.expansion else 0.0 for src in sources])
    energy = np.array([src.energy_usd_per_mwh for src in sources])
    lease_usd = np.array([dt_h * o.usd_per_accelerator_hour for o in offers])
    maintenance = plan.maintenance_share_per_year / 4.0
    module_usd = ix.hall(lambda hall: hall.module_capex_usd)
    capex = ((new * price).sum(["hall", "acc"])
             + (mod.rename(period="start") * _paid(mod_mask, lead, T, module_usd, "hall")).sum(["start", "hall"])
             + (gen.rename(period="start") * _paid(gen_mask, g_lead, T, capex_mw, "src")).sum(["start", "src"]))
    opex = (disp * _array(dt_h * energy, "src")).sum("src") + (lease * _array(lease_usd, "offer")).sum("offer")
    # Leased halls and generation: a quarter's rent from the quarter a module or build is ready.
    hall_rent = ix.hall(lambda hall: hall.lease_usd_per_mw_year) / 4.0
    g_rent = np.array([src.expansion.lease_usd_per_mw_year if src.expansion else 0.0 for src in sources]) / 4.0
    opex = (opex + (mod.rename(period="start") * _ready(mod_mask, lead, T, module_mw * hall_rent, "hall"))
            .sum(["start", "hall"])
            + (gen.rename(period="start") * _ready(gen_mask, g_lead, T, g_rent, "src")).sum(["start", "src"]))
    cost_constant = float((ix.hall(lambda hall: hall.existing_it_mw) * hall_rent).sum())
    if maintenance > 0:
        opex = opex + (inst * (maintenance * price)).sum(["hall", "acc"])
        cost_constant += maintenance * float((installed * ix.accel(lambda a: a.unit_capex_usd)[None, :]).sum())
    cost = capex + opex
    years = np.array(plan.years)
    year_of = xr.DataArray(years, dims="period", name="year")
    for name, spent, limits, constant in (("budget", cost, plan.budget_usd, cost_constant),
                                          ("capex_budget", capex, plan.capex_budget_usd, 0.0),
                                          ("opex_budget", opex, plan.opex_budget_usd, cost_constant)):
        limited = [y for y in plan.horizon_years if y in limits]
        if limited:
            spend = spent.groupby(year_of).sum().sel(year=limited)
            quarters = np.array([(years == y).sum() for y in limited])
            m.add_constraints(spend <= xr.DataArray([limits[y] for y in limited] - constant * quarters,
                                                    dims="year", coords={"year": limited}), name=name)

    # Supply.
    caps = np.full((C, T), np.nan)
    for i, a in enumerate(ix.acc):
        for t, cap in enumerate(plan.supply_units.get(a.id, (None,) * T)):
            if cap is not None:
                caps[i, t] = cap
    supply_rows = ~np.isnan(caps) & bought.any(axis=0)
    m.add_constraints(new.sum("hall") <= _array(np.nan_to_num(caps), "acc", "period"), name="supply",
                      mask=_mask(supply_rows, "acc", "period"))

    # Vendor commitments.
    offer_acc = [plan.catalog[o.accelerator] for o in offers]
    for j, commitment in enumerate(plan.commitments):
        ours = _array(ix.accel(lambda a, v=commitment.vendor: a.vendor == v), "acc")
        ours_offer = _array([a.vendor == commitment.vendor for a in offer_acc], "offer")
        spend = (new * (vendor_price * ours)).sum() + (lease * (_array(lease_usd, "offer") * ours_offer)).sum()
        if commitment.min_usd > 0:
            m.add_constraints(spend >= commitment.min_usd, name=f"commitment_min_{j}")
        if commitment.max_usd is not None:
            m.add_constraints(spend <= commitment.max_usd, name=f"commitment_max_{j}")

    # Fleet in service, availability-weighted.
    availability = _array(ix.hall(lambda hall: hall.availability), "hall")
    per_unit = _array(ix.accel(lambda a: a.accelerators_per_unit), "acc")
    position = {c: i for i, c in enumerate(ix.pool)}
    offer_position = np.array([position.get(o.accelerator, -1) for o in offers])
    on_offer = np.zeros((len(offers), C))
    for k, i in enumerate(offer_position):
        if i >= 0:
            on_offer[k, i] = 1.0
    chips_installed = (installed * ix.hall(lambda hall: hall.availability)[:, None]).sum(axis=0) * ix.accel(
        lambda a: a.accelerators_per_unit)
    inst_chips = (inst * (availability * per_unit)).sum("hall")
    leased_chips = (lease * _array(on_offer, "offer", "acc")).sum("offer")

    # Shares of BF16 compute.
    bf16 = ix.accel(lambda a: a.bf16_pflops)
    fleet_bf16 = (inst_chips * _array(bf16, "acc")).sum("acc") + (leased_chips * _array(bf16, "acc")).sum("acc")
    total_const = float((chips_installed * bf16).sum())
    for j, bound in enumerate(plan.shares):
        member = np.array([getattr(a, bound.group_kind) == bound.group for a in ix.acc])
        group = ((inst_chips * _array(bf16 * member, "acc")).sum("acc")
                 + (leased_chips * _array(bf16 * member, "acc")).sum("acc"))
        group_const = float((chips_installed * bf16 * member).sum())
        rows = _mask(period >= bound.first_period, "period")
        if bound.min_share > 0:
            m.add_constraints(group - bound.min_share * fleet_bf16 >= bound.min_share * total_const - group_const,
                              name=f"share_min_{j}", mask=rows)
        if bound.max_share < 1:
            m.add_constraints(group - bound.max_share * fleet_bf16 <= bound.max_share * total_const - group_const,
                              name=f"share_max_{j}", mask=rows)

    # Minimum units in service.
    units_installed = installed.sum(axis=0)
    for j, minimum in enumerate(plan.min_units):
        rows = _mask(period >= minimum.first_period, "period")
        if minimum.accelerator in position:
            i = position[minimum.accelerator]
            lhs = inst.sel(acc=i).sum("hall")
            m.add_constraints(lhs >= minimum.units - units_installed[i], name=f"min_units_{j}", mask=rows)

    # Assignment: training + inference <= accelerators in service.
    m.add_constraints(train + infer - inst_chips - leased_chips <= _array(
        np.repeat(chips_installed[:, None], T, 1), "acc", "period"), name="assign")

    # Demand.
    for workload, demand, variable, precision in (
        ("training", plan.training_pflops, train, plan.training_precision),
        ("inference", plan.inference_pflops, infer, plan.inference_precision),
    ):
        pflops = _array(ix.accel(lambda a, p=precision: a.pflops(p) * a.utilisation), "acc")
        wanted = np.array(demand) > 0
        if wanted.any():
            m.add_constraints((variable * pflops).sum("acc") >= _array(demand, "period"), name=f"demand_{workload}",
                              mask=_mask(wanted, "period"))

    # Residual value at the horizon's end (planner.model.build.residual_terms).
    residual = 0.0 * cost.sum()
    if plan.residual_value != "none":
        served_new = T - period[None, None, :] - lag[None, :, None]
        unit_share = remaining_share(np.broadcast_to(served_new, (Q, C, T)), np.broadcast_to(life[None, :, None],
                                                                                          (Q, C, T)))
        residual = (new * _array(unit_share * ix.accel(lambda a: a.unit_capex_usd)[None, :, None],
                                 "hall", "acc", "period")).sum()
        module_share = remaining_share(T - period[None, :] - lead[:, None], MODULE_LIFE_QUARTERS)
        residual = residual + (mod * _array(module_share * ix.hall(lambda hall: hall.module_capex_usd)[:, None],
                                            "hall", "period")).sum()
        build_share = remaining_share(T - period[None, :] - g_lead[:, None], GENERATION_LIFE_QUARTERS)
        residual = residual + (gen * _array(build_share * capex_mw[:, None], "src", "period")).sum()

    # Objective.
    objective_pflops = _array(ix.accel(lambda a: a.pflops(plan.objective_precision) * a.utilisation), "acc")
    prefer_training = (train * (TRAINING_TIE_BREAK * objective_pflops)).sum()
    if plan.objective == "max-compute":
        compute = ((train * (plan.training_weight * objective_pflops)).sum()
                   + (infer * (plan.inference_weight * objective_pflops)).sum())
        m.add_objective(compute + prefer_training - TIE_BREAK_PFLOPS_PER_USD * (cost.sum() - residual), sense="max")
    else:
        factor = _array([plan.discount_factor(t) for t in range(T)], "period")
        m.add_objective((cost * factor).sum() - plan.discount_factor(T) * residual
                        - TIE_BREAK_PFLOPS_PER_USD * prefer_training, sense="min")
    return m
