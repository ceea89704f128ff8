"""Plan -> pulp.LpProblem: the LP of DESIGN.md, one add_<limit>_constraints() per family.

This module keeps DESIGN's symbols (s, h, c, t, new, mod, gen, inst) so that the written
LP reads like the math. Indices: s and h are positions of a site and of a hall type within
it, g of a power source, k of a cloud offer, c an accelerator id, t a quarter position.

Every row is named `family__key__period` (key parts joined by '.'); `Model.rows` keeps the
same rows as `RowInfo` in the order they were added, which is `problem.constraints()`'s
order, so duals, slacks and HiGHS's IIS map back to limits in the user's terms.
Expressions are built from (variable, coefficient) lists with `from_list`, never `c*x`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Literal

import pulp
from pulp import LpAffineExpression, LpProblem, LpVariable

from planner.plan import Plan
from planner.rows import RowInfo

TIE_BREAK_PFLOPS_PER_USD = 1e-9
"""Under max-compute, $1B of spending costs 1 PFLOPS-quarter in the objective: far less than
any accelerator delivers, so it never trades compute away, but among plans with equal compute
it picks the cheapest (no module built, no MW dispatched from a dear source, for nothing)."""

TRAINING_TIE_BREAK = 1e-6
"""Relative bonus for compute assigned to training over inference (see `set_objective`)."""

Terms = list[tuple[LpVariable, float]]
NewKey = tuple[int, int, str, int]


@dataclass
class Model:
    """The LP and its variables, keyed by DESIGN's indices."""

    problem: LpProblem
    plan: Plan
    integer: bool
    new: dict[NewKey, LpVariable] = field(default_factory=dict)
    mod: dict[tuple[int, int, int], LpVariable] = field(default_factory=dict)
    gen: dict[tuple[int, int, int], LpVariable] = field(default_factory=dict)
    disp: dict[tuple[int, int, int], LpVariable] = field(default_factory=dict)
    lease: dict[tuple[int, int], LpVariable] = field(default_factory=dict)
    train: dict[tuple[str, int], LpVariable] = field(default_factory=dict)
    infer: dict[tuple[str, int], LpVariable] = field(default_factory=dict)
    rows: list[RowInfo] = field(default_factory=list)
    inst: dict[NewKey, LpVariable] = field(default_factory=dict)
    """Units in service per (s, h, c, t): the `new` of the last `life` quarters, kept as a
    stock variable (see `add_stock_constraints`) so that every row using it stays short."""
    inst_terms: dict[tuple[int, int, str, int], Terms] = field(default_factory=dict)
    """`inst` as terms, for the limit builders."""

    def add_row(self, family: str, key: str, period: str, terms: Terms, sense: str, rhs: float) -> None:
        """Add `sum(terms) <sense> rhs` as row `family__key__period`."""
        name = f"{family}__{key}__{period}".replace("-", "_")
        expression = LpAffineExpression.from_list(terms)
        if sense == "<=":
            constraint = expression <= rhs
        elif sense == ">=":
            constraint = expression >= rhs
        else:
            constraint = expression == rhs
        self.problem.addConstraint(constraint, name)
        self.rows.append(RowInfo(name, family, key, period, sense, float(rhs)))


def _installed_units(plan: Plan, s: int, h: int, c: str) -> float:
    return sum(units for a, units in plan.sites[s].halls[h].installed if a == c)


def installed_it_mw(plan: Plan, s: int) -> float:
    """IT MW of the units already in service at site s (constant over the horizon)."""
    return sum(
        units * plan.catalog[a].unit_it_mw for hall in plan.sites[s].halls for a, units in hall.installed
    )


def add_variables(model: Model) -> None:
    """Create new, mod, gen, disp, lease, train, infer in batches."""
    plan, problem = model.plan, model.problem
    category: Category = "Integer" if model.integer else "Continuous"
    T = len(plan.periods)
    new_keys = [
        (s, h, c.id, t)
        for s, site in enumerate(plan.sites)
        for h, hall in enumerate(site.halls)
        for c in plan.accelerators
        if c.purchasable and hall.fits(c)
        for t in range(max(0, c.first_period), T)
    ]
    model.new = _variables(problem, "new", new_keys, category)
    mod_keys = [
        (s, h, t)
        for s, site in enumerate(plan.sites)
        for h, hall in enumerate(site.halls)
        if hall.max_modules > 0 and any(hall.fits(c) for c in plan.accelerators if c.purchasable)
        for t in range(hall.first_module_start, T - hall.lead_periods)
    ]
    model.mod = _variables(problem, "mod", mod_keys, category)
    gen_keys = [
        (s, g, t)
        for s, site in enumerate(plan.sites)
        for g, source in enumerate(site.sources)
        if source.expansion is not None
        for t in range(source.expansion.first_start, T - source.expansion.lead_periods)
    ]
    model.gen = _variables(problem, "gen", gen_keys)
    disp_keys = [
        (s, g, t)
        for s, site in enumerate(plan.sites)
        for g, source in enumerate(site.sources)
        for t in range(T)
        if source.available_mw[t] > 0
        or (source.expansion and t >= source.expansion.first_start + source.expansion.lead_periods)
    ]
    model.disp = _variables(problem, "disp", disp_keys)
    lease_keys = [
        (k, t)
        for k, offer in enumerate(plan.cloud_offers)
        if offer.accelerator in {c.id for c in plan.accelerators}
        for t in range(T)
        if offer.max_accelerators[t] > 0 and t >= plan.catalog[offer.accelerator].first_period
    ]
    model.lease = {}
    if lease_keys:
        model.lease = _variables(problem, "lease", lease_keys)
        for (k, t), variable in model.lease.items():
            variable.upBound = plan.cloud_offers[k].max_accelerators[t]
    in_pool = _pool(model)
    train_keys = [(c, t) for c in in_pool if plan.catalog[c].trains for t in range(T)]
    infer_keys = [(c, t) for c in in_pool if plan.catalog[c].infers for t in range(T)]
    model.train = _variables(problem, "train", train_keys)
    model.infer = _variables(problem, "infer", infer_keys)
    model.inst = _variables(problem, "inst", new_keys)
    model.inst_terms = {key: [(variable, 1.0)] for key, variable in model.inst.items()}


def add_stock_constraints(model: Model) -> None:
    """inst[t] = inst[t-1] + new[t] - new[t-life]: units in service are those installed in the
    last `life` quarters (DESIGN's sum, written as a balance so each row has at most 4 terms)."""
    plan = model.plan
    for (s, h, c, t), inst in model.inst.items():
        terms: Terms = [(inst, 1.0), (model.new[s, h, c, t], -1.0)]
        previous = model.inst.get((s, h, c, t - 1))
        if previous is not None:
            terms.append((previous, -1.0))
        retired = model.new.get((s, h, c, t - plan.catalog[c].life_periods))
        if retired is not None:
            terms.append((retired, 1.0))
        model.add_row("stock", f"{plan.sites[s].id}.{plan.sites[s].halls[h].id}.{c}", plan.periods[t], terms, "==", 0.0)


Category = Literal["Continuous", "Integer"]


def _variables(
    problem: LpProblem, name: str, keys: list[Any], category: Category = "Continuous"
) -> dict[Any, LpVariable]:
    """One non-negative variable per key tuple, created in one batch, named `name_k1_k2...`."""
    if not keys:
        return {}
    pattern = name + "_%s" * len(keys[0])
    return problem.add_variable_dict(pattern, (keys,), lowBound=0, cat=category)


def _lead(plan: Plan, s: int, g: int) -> int:
    expansion = plan.sites[s].sources[g].expansion
    return expansion.lead_periods if expansion else 0


def _pool(model: Model) -> list[str]:
    """Accelerators that can be in service: bought, leased or already installed (catalog order)."""
    plan = model.plan
    ids = {c for (_, _, c, _) in model.new}
    ids |= {plan.cloud_offers[k].accelerator for (k, _) in model.lease}
    ids |= {a for site in plan.sites for hall in site.halls for a, _ in hall.installed}
    return [c for c in plan.catalog if c in ids]


def _fleet_terms(model: Model, t: int, weight: dict[str, float]) -> tuple[Terms, float]:
    """Availability-weighted accelerators in service at t, times weight[c] (terms, constant)."""
    plan = model.plan
    terms: Terms = []
    constant = 0.0
    for s, site in enumerate(plan.sites):
        for h, hall in enumerate(site.halls):
            for c, w in weight.items():
                per_unit = hall.availability * plan.catalog[c].accelerators_per_unit * w
                terms += [(v, per_unit * coef) for v, coef in model.inst_terms.get((s, h, c, t), ())]
                constant += per_unit * _installed_units(plan, s, h, c)
    for (k, tk), variable in model.lease.items():
        c = plan.cloud_offers[k].accelerator
        if tk == t and c in weight:
            terms.append((variable, weight[c]))
    return terms, constant


def add_hall_space_constraints(model: Model) -> None:
    """Limit 1: IT MW in service in a hall type <= existing MW + modules ready by t."""
    plan = model.plan
    for s, site in enumerate(plan.sites):
        for h, hall in enumerate(site.halls):
            installed_mw = sum(u * plan.catalog[a].unit_it_mw for a, u in hall.installed)
            fitting = [c for c in plan.accelerators if c.purchasable and hall.fits(c)]
            modules_started = [(mt, v) for (ms, mh, mt), v in model.mod.items() if ms == s and mh == h]
            for t, period in enumerate(plan.periods):
                terms: Terms = []
                for c in fitting:
                    terms += [(v, c.unit_it_mw * coef) for v, coef in model.inst_terms.get((s, h, c.id, t), ())]
                terms += [(v, -hall.module_it_mw) for mt, v in modules_started if mt + hall.lead_periods <= t]
                if terms:
                    model.add_row("hall", f"{site.id}.{hall.id}", period, terms, "<=",
                                  hall.existing_it_mw - installed_mw)
            modules = [(v, 1.0) for _, v in modules_started]
            if modules:
                model.add_row("modules", f"{site.id}.{hall.id}", "all", modules, "<=", hall.max_modules)


def add_site_power_constraints(model: Model) -> None:
    """Limit 2: facility MW (PUE x IT) met by dispatch, each source within what it delivers."""
    plan = model.plan
    built_by_source: dict[tuple[int, int], list[tuple[int, LpVariable]]] = defaultdict(list)
    for (s, g, t), v in model.gen.items():
        built_by_source[s, g].append((t, v))
    for s, site in enumerate(plan.sites):
        base_mw = site.pue * installed_it_mw(plan, s)
        for t, period in enumerate(plan.periods):
            dispatched = (model.disp.get((s, g, t)) for g in range(len(site.sources)))
            terms: Terms = [(v, 1.0) for v in dispatched if v is not None]
            for h, _hall in enumerate(site.halls):
                for c in plan.accelerators:
                    in_service = model.inst_terms.get((s, h, c.id, t), ())
                    terms += [(v, -site.pue * c.unit_it_mw * coef) for v, coef in in_service]
            model.add_row("load", site.id, period, terms, "==", base_mw)
            for g, source in enumerate(site.sources):
                dispatch = model.disp.get((s, g, t))
                if dispatch is None:
                    continue
                built: Terms = [(v, -1.0) for gt, v in built_by_source[s, g] if gt + _lead(plan, s, g) <= t]
                model.add_row("power", f"{site.id}.{source.id}", period, [(dispatch, 1.0), *built], "<=",
                              source.available_mw[t])
        for g, source in enumerate(site.sources):
            builds = [(v, 1.0) for _, v in built_by_source[s, g]]
            if builds and source.expansion is not None:
                model.add_row("expansion", f"{site.id}.{source.id}", "all", builds, "<=", source.expansion.max_mw)


def cost_terms(model: Model) -> list[tuple[Terms, float]]:
    """Capex + opex of each quarter as (terms, constant): what the budget and min-cost count."""
    plan = model.plan
    dt_h = plan.hours_per_period
    maintenance_share = plan.maintenance_share_per_year / 4.0
    T = len(plan.periods)
    terms: list[Terms] = [[] for _ in range(T)]
    for (_, _, c, t), v in model.new.items():
        terms[t].append((v, plan.catalog[c].unit_price_usd or 0.0))
    for (s, h, t), v in model.mod.items():
        terms[t].append((v, plan.sites[s].halls[h].module_capex_usd))
    for (s, g, t), v in model.gen.items():
        expansion = plan.sites[s].sources[g].expansion
        terms[t].append((v, expansion.capex_usd_per_mw if expansion else 0.0))
    for (s, g, t), v in model.disp.items():
        terms[t].append((v, dt_h * plan.sites[s].sources[g].energy_usd_per_mwh))
    for (k, t), v in model.lease.items():
        terms[t].append((v, dt_h * plan.cloud_offers[k].usd_per_accelerator_hour))
    constant = 0.0
    if maintenance_share > 0:
        for (_, _, c, t), inst in model.inst_terms.items():
            price = plan.catalog[c].unit_price_usd or 0.0
            terms[t] += [(v, maintenance_share * price * coef) for v, coef in inst]
        constant = maintenance_share * sum(
            (plan.catalog[a].unit_price_usd or 0.0) * units
            for site in plan.sites for hall in site.halls for a, units in hall.installed
        )
    return [(terms[t], constant) for t in range(T)]


def add_budget_constraints(model: Model, costs: list[tuple[Terms, float]]) -> None:
    """Limit 3: capex + opex in each year within that year's budget."""
    plan = model.plan
    for year in plan.horizon_years:
        if year not in plan.budget_usd:
            continue
        terms: Terms = []
        constant = 0.0
        for t, period_year in enumerate(plan.years):
            if period_year == year:
                terms += costs[t][0]
                constant += costs[t][1]
        model.add_row("budget", str(year), str(year), terms, "<=", plan.budget_usd[year] - constant)


def add_supply_constraints(model: Model) -> None:
    """Limit 4: new units per accelerator and quarter within vendor supply."""
    plan = model.plan
    by_period: dict[tuple[str, int], Terms] = defaultdict(list)
    for (_, _, c, t), v in model.new.items():
        by_period[c, t].append((v, 1.0))
    for accelerator in plan.accelerators:
        caps = plan.supply_units.get(accelerator.id)
        if caps is None:
            continue
        for t, period in enumerate(plan.periods):
            cap = caps[t]
            if cap is not None and (accelerator.id, t) in by_period:
                model.add_row("supply", accelerator.id, period, by_period[accelerator.id, t], "<=", cap)


def _vendor_spend_terms(model: Model, vendor: str) -> Terms:
    plan = model.plan
    dt_h = plan.hours_per_period
    terms: Terms = [
        (v, plan.catalog[c].unit_price_usd or 0.0) for (_, _, c, _), v in model.new.items()
        if plan.catalog[c].vendor == vendor
    ]
    terms += [
        (v, dt_h * plan.cloud_offers[k].usd_per_accelerator_hour) for (k, _), v in model.lease.items()
        if plan.catalog[plan.cloud_offers[k].accelerator].vendor == vendor
    ]
    return terms


def add_commitment_constraints(model: Model) -> None:
    """Limit 5: spend with a vendor over the horizon within [min, max]."""
    for commitment in model.plan.commitments:
        terms = _vendor_spend_terms(model, commitment.vendor)
        if commitment.min_usd > 0:
            model.add_row("commitment_min", commitment.vendor, "all", terms, ">=", commitment.min_usd)
        if commitment.max_usd is not None:
            model.add_row("commitment_max", commitment.vendor, "all", terms, "<=", commitment.max_usd)


def add_share_constraints(model: Model) -> None:
    """Limit 6: BF16 compute share of a vendor or ecosystem in service within [lo, hi]."""
    plan = model.plan
    pool = _pool(model)
    bf16 = {c: plan.catalog[c].bf16_pflops for c in pool}
    for bound in plan.shares:
        members = {c: w for c, w in bf16.items() if getattr(plan.catalog[c], bound.group_kind) == bound.group}
        for t in range(bound.first_period, len(plan.periods)):
            total_terms, total_const = _fleet_terms(model, t, bf16)
            group_terms, group_const = _fleet_terms(model, t, members)
            key = f"{bound.group_kind}.{bound.group}"
            if bound.min_share > 0:
                terms = group_terms + [(v, -bound.min_share * w) for v, w in total_terms]
                model.add_row("share_min", key, plan.periods[t], terms, ">=",
                              bound.min_share * total_const - group_const)
            if bound.max_share < 1:
                terms = group_terms + [(v, -bound.max_share * w) for v, w in total_terms]
                model.add_row("share_max", key, plan.periods[t], terms, "<=",
                              bound.max_share * total_const - group_const)


def add_min_units_constraints(model: Model) -> None:
    """Policy: at least N units of an accelerator in service from a quarter on."""
    plan = model.plan
    for minimum in plan.min_units:
        for t in range(minimum.first_period, len(plan.periods)):
            terms: Terms = []
            installed = 0.0
            for s, site in enumerate(plan.sites):
                for h, _hall in enumerate(site.halls):
                    terms += model.inst_terms.get((s, h, minimum.accelerator, t), [])
                    installed += _installed_units(plan, s, h, minimum.accelerator)
            model.add_row("min_units", minimum.accelerator, plan.periods[t], terms, ">=",
                          minimum.units - installed)


def add_assignment_constraints(model: Model) -> None:
    """Accelerators assigned to training plus inference <= those in service (availability-weighted)."""
    plan = model.plan
    for c in _pool(model):
        for t, period in enumerate(plan.periods):
            fleet_terms, fleet_const = _fleet_terms(model, t, {c: 1.0})
            terms: Terms = [(v, 1.0) for v in (model.train.get((c, t)), model.infer.get((c, t))) if v is not None]
            terms += [(v, -w) for v, w in fleet_terms]
            model.add_row("assign", c, period, terms, "<=", fleet_const)


def add_demand_constraints(model: Model) -> None:
    """Limit 7: training (inference) PFLOPS from capable accelerators >= demand each quarter."""
    plan = model.plan
    for workload, demand, variables in (
        ("training", plan.training_pflops, model.train),
        ("inference", plan.inference_pflops, model.infer),
    ):
        by_period: dict[int, Terms] = defaultdict(list)
        for (c, t), v in variables.items():
            by_period[t].append((v, plan.pflops_of(plan.catalog[c], workload)))
        for t, period in enumerate(plan.periods):
            if demand[t] > 0:
                model.add_row("demand", workload, period, by_period[t], ">=", demand[t])


def compute_terms(model: Model) -> Terms:
    """Delivered compute over the horizon, weighted, at the objective's one precision
    (PFLOPS-quarters): max-compute's objective."""
    plan = model.plan
    precision = plan.objective_precision
    terms: Terms = [
        (v, plan.training_weight * plan.catalog[c].pflops(precision)) for (c, _), v in model.train.items()
    ]
    terms += [(v, plan.inference_weight * plan.catalog[c].pflops(precision)) for (c, _), v in model.infer.items()]
    return terms


def set_objective(model: Model, costs: list[tuple[Terms, float]]) -> None:
    """max-compute: weighted PFLOPS-quarters less a tie-breaking cost; min-cost: discounted cost."""
    plan = model.plan
    # Beyond demand, which workload an accelerator serves is a tie; left to the solver, the
    # split jumps from quarter to quarter. A tiny preference makes it stable and readable:
    # inference gets what its demand needs, every other accelerator counts as training.
    prefer_training: Terms = [
        (v, TRAINING_TIE_BREAK * plan.catalog[c].pflops(plan.objective_precision)) for (c, _), v in model.train.items()
    ]
    if plan.objective == "max-compute":
        model.problem.sense = pulp.LpMaximize
        terms = compute_terms(model) + prefer_training
        for cost, _ in costs:
            terms += [(v, -TIE_BREAK_PFLOPS_PER_USD * w) for v, w in cost]
    else:
        model.problem.sense = pulp.LpMinimize
        terms = [(v, -TIE_BREAK_PFLOPS_PER_USD * w) for v, w in prefer_training]
        for t, (cost, _) in enumerate(costs):
            factor = plan.discount_factor(t)
            terms += [(v, factor * w) for v, w in cost]
    model.problem.setObjective(LpAffineExpression.from_list(terms))


def build_model(plan: Plan, integer: bool = False) -> Model:
    """Build the LP (or MILP with whole units and modules) of `plan`."""
    sense = pulp.LpMaximize if plan.objective == "max-compute" else pulp.LpMinimize
    model = Model(problem=LpProblem(plan.name.replace("-", "_"), sense), plan=plan, integer=integer)
    add_variables(model)
    add_stock_constraints(model)
    costs = cost_terms(model)
    add_hall_space_constraints(model)
    add_site_power_constraints(model)
    add_budget_constraints(model, costs)
    add_supply_constraints(model)
    add_commitment_constraints(model)
    add_share_constraints(model)
    add_min_units_constraints(model)
    add_assignment_constraints(model)
    add_demand_constraints(model)
    set_objective(model, costs)
    return model
