"""From validated files to a `Plan`: ids looked up in the catalog, quarters made positions on the
horizon, phases and steps made per-quarter values (the `Plan` types are in `planner.inputs.plan`).
"""

from __future__ import annotations

import difflib
import itertools
import math
from dataclasses import replace
from pathlib import Path

from planner.errors import InputError, Problem
from planner.inputs import schema
from planner.inputs.catalog import read_catalog
from planner.inputs.loading import Document, load_file
from planner.inputs.plan import (
    HOURS_PER_QUARTER,
    Accelerator,
    CloudOffer,
    Commitment,
    Expansion,
    Hall,
    InstalledLot,
    LoadedPlan,
    MinUnits,
    Plan,
    PowerSource,
    Retirement,
    ShareBound,
    Site,
    Stack,
)
from planner.inputs.schema import period_index, period_name
from planner.inputs.validation import validate
from planner.objective import Objective


def read_plan(path: Path, catalog_path: Path | None = None) -> LoadedPlan:
    """Load, validate and resolve a plan file.

    Raises:
        InputError: Every problem found, each with file, line, key and what was wrong.
    """
    return plan_from_document(load_file(path), catalog_path)


def with_objective(loaded: LoadedPlan, objective: str | None) -> LoadedPlan:
    """The plan with its objective replaced (a command-line override), or as it is."""
    if not objective or objective == loaded.plan.objective:
        return loaded
    return replace(loaded, plan=replace(loaded.plan, objective=Objective(objective)))


def plan_from_document(document: Document, catalog_path: Path | None = None) -> LoadedPlan:
    """Validate and resolve plan data already loaded (and perhaps overlaid by a scenario).

    Raises:
        InputError: Every problem found, each with file, line, key and what was wrong.
    """
    plan_file = validate(schema.PlanFile, document)
    read = read_catalog(catalog_path)
    catalog = {**read.accelerators, **{entry.id: entry for entry in plan_file.catalog}}
    plan = resolve(plan_file, catalog, document, read.as_of)
    return LoadedPlan(plan, tuple(document.files), tuple(read.files), dict(document.digests))


def _steps(values: list[tuple[int, float]], start: int, count: int, default: float) -> tuple[float, ...]:
    """Per-quarter values of a step function given as (absolute quarter, value) pairs."""
    out: list[float] = []
    for t in range(count):
        current = default
        for first, value in values:
            if first <= start + t:
                current = value
        out.append(current)
    return tuple(out)


Arc = tuple[str, str, float, float]
"""(from, to, lower bound, upper bound) of the share network's flow."""
MAX_SHARE_GROUPS = 8
"""Groups (named vendors and ecosystems) beyond which the share network is not checked: 2^(groups + 4)
sets to try."""


def _share_network(bounds: list[ShareBound], pairs: list[tuple[str, str]]) -> list[Arc] | None:
    """The flow network of `shares_possible` for the bounds in force (None: too many groups to check)."""
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for bound in bounds:
        named = f"{bound.group_kind}:{bound.group}"
        low[named] = max(low.get(named, 0.0), bound.min_share)
        high[named] = min(high.get(named, 1.0), bound.max_share)
    if len(low) > MAX_SHARE_GROUPS:
        return None

    def node(kind: str, group: str) -> str:
        named = f"{kind}:{group}"
        return named if named in low else f"{kind}:*"  # every group no bound names, as one

    vendors = {node("vendor", v) for v, _ in pairs} | {n for n in low if n.startswith("vendor:")}
    ecosystems = {node("ecosystem", e) for _, e in pairs} | {n for n in low if n.startswith("ecosystem:")}
    arcs: list[Arc] = [("t", "s", 1.0, 1.0)]
    arcs += [("s", v, low.get(v, 0.0), high.get(v, 1.0)) for v in sorted(vendors)]
    arcs += [(e, "t", low.get(e, 0.0), high.get(e, 1.0)) for e in sorted(ecosystems)]
    arcs += [(v, e, 0.0, math.inf) for v, e in sorted({(node("vendor", v), node("ecosystem", e)) for v, e in pairs})]
    return arcs


def _feasible_circulation(arcs: list[Arc]) -> bool:
    """Whether a flow within every arc's bounds exists (Hoffman: for every set S of nodes, the lower
    bounds into S are at most the upper bounds out of it)."""
    nodes = sorted({a for a, _, _, _ in arcs} | {b for _, b, _, _ in arcs})
    for size in range(1, len(nodes)):
        for chosen in itertools.combinations(nodes, size):
            inside = set(chosen)
            needed = sum(lo for a, b, lo, _ in arcs if a not in inside and b in inside)
            room = sum(hi for a, b, _, hi in arcs if a in inside and b not in inside)
            if needed > room + 1e-9:
                return False
    return True


def _window(start: str | None, until: str | None, horizon_start: int, count: int) -> list[bool]:
    first = period_index(start) if start else horizon_start
    last = period_index(until) if until else horizon_start + count - 1
    return [first <= horizon_start + t <= last for t in range(count)]


class _Resolver:
    """Resolves a validated PlanFile against the catalog, collecting every problem."""

    def __init__(self, plan_file: schema.PlanFile, catalog: dict[str, schema.Accelerator], document: Document) -> None:
        self.plan_file = plan_file
        self.raw_catalog = catalog
        self.document = document
        self.problems: list[Problem] = []
        self.start = period_index(plan_file.horizon.start)
        self.count = period_index(plan_file.horizon.end) - self.start + 1
        self.catalog = {key: self.accelerator(entry) for key, entry in catalog.items()}

    def fail(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(self.document.problem(path, message))

    def known(self, accelerator_id: str, path: tuple[str | int, ...]) -> bool:
        if accelerator_id in self.catalog:
            return True
        close = difflib.get_close_matches(accelerator_id, list(self.catalog), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; `plan catalog` lists them"
        self.fail(path, f"expected an accelerator id from the catalog, found '{accelerator_id}'{hint}")
        return False

    def accelerator(self, entry: schema.Accelerator) -> Accelerator:
        return Accelerator(
            id=entry.id, name=entry.name, vendor=entry.vendor, ecosystem=entry.ecosystem,
            unit=entry.unit, accelerators_per_unit=entry.accelerators_per_unit,
            unit_it_kw=entry.unit_it_kw, rack_kw=entry.rack_kw, bf16_pflops=entry.bf16_pflops,
            fp8_pflops=entry.fp8_pflops, hbm_gb=entry.hbm_gb, unit_price_usd=entry.unit_price_usd,
            first_period=period_index(entry.first_available) - self.start, cooling=entry.cooling,
            trains="training" in entry.workloads, infers="inference" in entry.workloads,
            life_periods=entry.life_quarters, commission_periods=entry.commission_quarters,
            last_period=period_index(entry.last_available) - self.start if entry.last_available else None,
            liquid_share=(entry.liquid_share if entry.liquid_share is not None
                          else schema.LIQUID_SHARE_ESTIMATE if entry.cooling == "liquid" else 0.0),
            fabric_power_share=(entry.fabric_power_share if entry.fabric_power_share is not None
                                else self.plan_file.fabric.power_share),
            fabric_capex_share=(entry.fabric_capex_share if entry.fabric_capex_share is not None
                                else self.plan_file.fabric.capex_share),
            utilisation=entry.utilisation if entry.utilisation is not None else schema.UTILISATION_ESTIMATE,
            family=entry.family or entry.id,
        )

    def source(self, source: schema.PowerSource, firm_duration_h: float | None) -> PowerSource:
        phases = [(period_index(p.online), p.available_mw) for p in source.phases]
        variable = source.kind in schema.VARIABLE_KINDS
        if source.kind == "battery":
            factor = 0.0
            # The schema requires both for a battery.
            assert source.duration_h is not None
            assert firm_duration_h is not None
            credit = min(1.0, source.duration_h / firm_duration_h)
        else:
            factor = source.capacity_factor if source.capacity_factor is not None else 1.0
            credit = source.capacity_credit if source.capacity_credit is not None else (0.0 if variable else 1.0)
        rating = _steps(phases, self.start, self.count, 0.0)
        largest = max([*rating, source.expansion.max_mw if source.expansion else 0.0])
        expansion = None
        if source.expansion is not None:
            e = source.expansion
            expansion = Expansion(
                max_mw=e.max_mw, capex_usd_per_mw=(e.capex_usd_per_kw or 0.0) * 1000.0,
                lease_usd_per_mw_year=(e.lease_usd_per_kw_year or 0.0) * 1000.0,
                lead_periods=e.lead_quarters,
                first_start=max(0, period_index(e.first_start) - self.start) if e.first_start else 0,
                price_note=source.sources.get("expansion", ""),
            )
        resolved = PowerSource(
            id=source.id, kind=source.kind, available_mw=tuple(mw * factor for mw in rating),
            energy_usd_per_mwh=source.energy_usd_per_mwh, expansion=expansion, rating_mw=rating,
            capacity_factor=factor, firm_share=credit, unit_mw=0.0,
        )
        if not resolved.generates_on_site:
            return resolved
        return replace(resolved, unit_mw=source.unit_mw if source.unit_mw is not None else largest,
                       build_unit_mw=source.unit_mw if source.unit_mw is not None else 0.0)

    def largest_unit_mw(self, sources: tuple[PowerSource, ...]) -> tuple[float, ...]:
        """The firm MW of the largest on-site unit that can run in each quarter: one with rated
        MW then, or an expansion that could be online by then (built or not, which keeps an N-1
        limit linear and errs on the safe side)."""
        out = []
        for t in range(self.count):
            running = [s.unit_mw * s.firm_share for s in sources if s.generates_on_site and (
                s.rating_mw[t] > 0 or (s.expansion is not None
                                       and s.expansion.first_start + s.expansion.lead_periods <= t))]
            out.append(max(running, default=0.0))
        return tuple(out)

    def hall(self, hall: schema.HallType, site: schema.Site, path: tuple[str | int, ...]) -> Hall:
        installed: list[InstalledLot] = []
        for i, entry in enumerate(hall.installed):
            entry_path = (*path, "installed", i, "accelerator")
            if self.known(entry.accelerator, entry_path):
                accelerator = self.catalog[entry.accelerator]
                if accelerator.cooling not in hall.cooling or accelerator.rack_kw > hall.max_rack_kw:
                    self.fail(entry_path, f"'{entry.accelerator}' does not fit this hall "
                              f"(needs {accelerator.cooling} cooling and {accelerator.rack_kw:g} kW racks)")
                since = period_index(entry.since) - self.start
                end = since + accelerator.life_periods
                if since >= 0:
                    self.fail((*path, "installed", i, "since"), f"expected a quarter before the horizon's start "
                              f"({period_name(self.start)}), found {entry.since}: units bought within the "
                              "horizon are the plan's to choose")
                elif end <= 0:
                    self.fail((*path, "installed", i, "since"), f"units in service since {entry.since} reached "
                              f"the end of their {accelerator.life_periods}-quarter life in "
                              f"{period_name(self.start + end)}, before the horizon starts: leave them out")
                else:
                    installed.append(InstalledLot(entry.accelerator, entry.units, since, end))
        start = hall.first_module_start
        site_design_pue = site.design_pue if site.design_pue is not None else site.pue
        if hall.design_pue is None and hall.pue is not None and hall.pue > site_design_pue:
            site_design_pue = hall.pue  # a hall's own annual PUE above the site's design one
        return Hall(
            id=hall.id, kind=hall.kind, cooling=frozenset(hall.cooling), max_rack_kw=hall.max_rack_kw,
            existing_it_mw=hall.existing_it_mw, module_it_mw=hall.module_it_mw or 0.0,
            module_capex_usd=hall.module_capex_usd, lead_periods=hall.lead_quarters,
            max_modules=hall.max_modules,
            first_module_start=max(0, period_index(start) - self.start) if start else 0,
            backup=hall.backup, availability=hall.availability, installed=tuple(installed),
            rack_kw_margin=hall.rack_kw_margin, liquid_cooling_share=hall.liquid_cooling_share,
            air_cooling_share=hall.air_cooling_share, lease_usd_per_mw_year=hall.lease_usd_per_mw_year or 0.0,
            pue=hall.pue if hall.pue is not None else site.pue,
            design_pue=hall.design_pue if hall.design_pue is not None else site_design_pue,
            price_note=hall.sources.get("lease_usd_per_mw_year" if hall.lease_usd_per_mw_year else "module_capex_usd",
                                        ""),
        )

    def site(self, site: schema.Site, index: int) -> Site:
        halls = tuple(self.hall(h, site, ("sites", index, "halls", j)) for j, h in enumerate(site.halls))
        for j, hall in enumerate(halls):
            installed_mw = sum(lot.units * self.catalog[lot.accelerator].unit_it_mw for lot in hall.installed)
            if installed_mw > hall.existing_it_mw + 1e-9:
                self.fail(("sites", index, "halls", j, "installed"),
                          f"installed units draw {installed_mw:.1f} MW IT, more than "
                          f"existing_it_mw ({hall.existing_it_mw:g} MW)")
        sources = tuple(self.source(s, site.firm_duration_h) for s in site.power_sources)
        largest = self.largest_unit_mw(sources)
        return Site(
            id=site.id, name=site.name, location=site.location, pue=site.pue, sources=sources, halls=halls,
            design_pue=site.design_pue if site.design_pue is not None else site.pue,
            design_pue_given=site.design_pue is not None, reserve=site.reserve, largest_unit_mw=largest,
            reserve_mw=largest if site.reserve == "n-1" else (0.0,) * self.count,
        )

    def allowed(self) -> tuple[Accelerator, ...]:
        policy = self.plan_file.policy
        for i, accelerator_id in enumerate(policy.exclude):
            self.known(accelerator_id, ("policy", "exclude", i))
        if policy.allow is not None:
            for i, accelerator_id in enumerate(policy.allow):
                self.known(accelerator_id, ("policy", "allow", i))
        allowed = set(policy.allow) if policy.allow is not None else set(self.catalog)
        allowed -= set(policy.exclude)
        return tuple(a for a in self.catalog.values() if a.id in allowed)

    def held_parts(self, accelerators: tuple[Accelerator, ...], sites: tuple[Site, ...],
                   offers: list[CloudOffer]) -> list[Accelerator]:
        """The parts the plan may hold at some quarter of the horizon: those it may buy then, those
        installed, those a cloud offers."""
        ids = {a.id for a in accelerators if a.first_period < self.count and (a.last_period is None
                                                                             or a.last_period >= 0)}
        ids |= {lot.accelerator for site in sites for hall in site.halls for lot in hall.installed}
        ids |= {offer.accelerator for offer in offers if any(offer.max_accelerators)}
        return [self.catalog[i] for i in sorted(ids) if i in self.catalog]

    def shares(self, held: list[Accelerator]) -> tuple[ShareBound, ...]:
        out = []
        vendors = {a.vendor for a in self.catalog.values()}
        ecosystems = {a.ecosystem for a in self.catalog.values()}
        for i, bound in enumerate(self.plan_file.policy.shares):
            kind, group, known = (
                ("vendor", bound.vendor, vendors) if bound.vendor else ("ecosystem", bound.ecosystem, ecosystems)
            )
            assert group is not None
            if group not in known:
                self.fail(("policy", "shares", i, kind),
                          f"expected one of {', '.join(sorted(known))}, found '{group}'")
            first = period_index(bound.start) - self.start if bound.start else 0
            out.append(ShareBound(kind, group, bound.min_share, bound.max_share, max(0, first)))
        if not self.problems:
            pairs = sorted({(part.vendor, part.ecosystem) for part in held})
            if self.minimum_shares_possible(out, pairs):
                self.shares_possible(out, pairs)
        return tuple(out)

    def shares_possible(self, bounds: list[ShareBound], pairs: list[tuple[str, str]]) -> bool:
        """Refuse minimum and maximum shares in force together that no fleet of the parts the plan may
        hold meets (what `minimum_shares_possible` cannot see: a maximum beside a minimum, `nvidia` at
        most 0.3 and `cuda` at least 0.8 where only nvidia parts run cuda). True if they all can be met.

        A fleet is a flow of one unit of compute from a source through its vendor and its part's
        ecosystem to a sink, each group's flow within its bounds; by Hoffman's circulation theorem it
        exists exactly when no set S of the network's nodes needs more flow in (the lower bounds of the
        arcs entering S) than it can send out (the upper bounds of the arcs leaving it). Groups no bound
        names are merged into one per kind (each is free within [0, 1]), so the sets to try are few."""
        for i, bound in enumerate(bounds):
            in_force = [other for j, other in enumerate(bounds) if (other.first_period, j) <= (bound.first_period, i)]
            arcs = _share_network(in_force, pairs)
            if arcs is None or _feasible_circulation(arcs):
                continue
            terms = ", ".join(f"{b.group_kind} {b.group} " + " and ".join(
                [f"at least {b.min_share:g}"] * (b.min_share > 0) + [f"at most {b.max_share:g}"] * (b.max_share < 1))
                for b in in_force if b.min_share > 0 or b.max_share < 1)
            parts = ", ".join(f"{vendor}/{ecosystem}" for vendor, ecosystem in pairs) or "none"
            self.fail(("policy", "shares", i, "min_share" if bound.min_share > 0 else "max_share"),
                      f"expected shares that one fleet of the parts this plan may hold can meet in "
                      f"{period_name(self.start + bound.first_period)}, found {terms}; the parts "
                      f"(vendor/ecosystem): {parts}")
            return False
        return True

    def minimum_shares_possible(self, bounds: list[ShareBound], pairs: list[tuple[str, str]]) -> bool:
        """Refuse minimum shares that no fleet meets in some quarter: only an empty fleet would seem to.

        Vendors split the fleet, and so do ecosystems, so the shares of one kind may sum to at most 1.
        Across kinds, a part counts toward its vendor and its ecosystem at once: minimum shares a_v of
        vendors and b_e of ecosystems can be met together exactly when, for every set U of vendors,
        sum(a_v, v in U) + sum(b_e, e not served by a part of U) <= 1 (the covering LP's dual, whose
        corners are such sets: nvidia 0.7 and rocm 0.7 cannot both hold, no nvidia part runs rocm). Only
        vendors with a minimum share can raise that sum, so only their sets are tried. `pairs`: the
        (vendor, ecosystem) of each part the plan may hold. True if they all can be met."""
        served: dict[str, set[str]] = {}
        for vendor, ecosystem in pairs:
            served.setdefault(vendor, set()).add(ecosystem)
        for i, bound in enumerate(bounds):
            if bound.min_share <= 0:
                continue
            in_force: dict[tuple[str, str], float] = {}
            for j, other in enumerate(bounds):  # those in force once this one is (the later of equals last)
                if (other.first_period, j) <= (bound.first_period, i) and other.min_share > 0:
                    key = (other.group_kind, other.group)
                    in_force[key] = max(in_force.get(key, 0.0), other.min_share)
            vendors = [(group, share) for (kind, group), share in in_force.items() if kind == "vendor"]
            ecosystems = [(group, share) for (kind, group), share in in_force.items() if kind == "ecosystem"]
            for chosen in itertools.chain.from_iterable(
                    itertools.combinations(vendors, size) for size in range(len(vendors) + 1)):
                reached = set().union(*(served.get(vendor, set()) for vendor, _ in chosen))
                apart = [(group, share) for group, share in ecosystems if group not in reached]
                total = sum(share for _, share in [*chosen, *apart])
                if total > 1 + 1e-9:
                    terms = " + ".join([*(f"vendor {g} {m:g}" for g, m in chosen),
                                        *(f"ecosystem {g} {m:g}" for g, m in apart)])
                    why = ("" if not chosen or not apart else
                           f"; no part of {', '.join(g for g, _ in chosen)} runs {', '.join(g for g, _ in apart)}")
                    self.fail(("policy", "shares", i, "min_share"),
                              f"expected minimum shares that one fleet can meet in "
                              f"{period_name(self.start + bound.first_period)}, found {terms} = {total:.10g} of it"
                              f"{why}")
                    return False
        return True

    def window_in_horizon(self, start: str | None, until: str | None, path: tuple[str | int, ...]) -> None:
        """Refuse a window (`from` .. `until`) that misses the horizon: it would say nothing, silently.
        (One that ends before it starts is the schema's to refuse.)"""
        window = _window(start, until, self.start, self.count)
        if not any(window) and (not start or not until or period_index(start) <= period_index(until)):
            self.fail((*path, "from" if start else "until"),
                      f"expected a window that reaches the horizon ({period_name(self.start)} to "
                      f"{period_name(self.start + self.count - 1)}), found {start or 'the start'} to "
                      f"{until or 'the end'}")

    def budget_years_in_horizon(self, plan_file: schema.PlanFile) -> None:
        """Refuse a budget for a year the horizon does not reach: it would limit nothing, silently."""
        first, last = int(period_name(self.start)[:4]), int(period_name(self.start + self.count - 1)[:4])
        for i, budget in enumerate(plan_file.budget):
            if not first <= budget.year <= last:
                self.fail(("budget", i, "year"), f"expected a year of the horizon ({first} to {last}), "
                                                 f"found {budget.year}")

    def budget_limits(self, plan_file: schema.PlanFile, field_name: str) -> dict[int, float]:
        """One kind of yearly limit, by year, for the years of the horizon that set it."""
        first, last = period_name(self.start)[:4], period_name(self.start + self.count - 1)[:4]
        return {b.year: value for b in plan_file.budget
                if (value := getattr(b, field_name)) is not None and int(first) <= b.year <= int(last)}

    def ramp(self, accelerator_id: str, caps: list[float | None]) -> None:
        """Scale a part's supply caps by its ramp in its first quarters of availability."""
        entry = self.raw_catalog.get(accelerator_id)
        if entry is None:
            return
        first = self.catalog[accelerator_id].first_period
        for k, share in enumerate(entry.ramp):
            t = first + k
            cap = caps[t] if 0 <= t < self.count else None
            if cap is not None:
                caps[t] = cap * share

    def demand_steps(self, steps: list[schema.DemandStep]) -> tuple[float, ...]:
        return _steps([(period_index(s.start), s.pflops) for s in steps], self.start, self.count, 0.0)

    def resolve(self) -> Plan:
        f = self.plan_file
        periods = tuple(period_name(self.start + t) for t in range(self.count))
        sites = tuple(self.site(s, i) for i, s in enumerate(f.sites))
        accelerators = self.allowed()
        # The catalog's default volume per quarter, replaced by the plan's `supply:` where it says.
        supply: dict[str, list[float | None]] = {
            a.id: [self.raw_catalog[a.id].units_per_quarter] * self.count
            for a in accelerators if self.raw_catalog[a.id].units_per_quarter is not None}
        for i, entry in enumerate(f.supply):
            if not self.known(entry.accelerator, ("supply", i, "accelerator")):
                continue
            row = supply.setdefault(entry.accelerator, [None] * self.count)
            self.window_in_horizon(entry.start, entry.until, ("supply", i))
            for t, inside in enumerate(_window(entry.start, entry.until, self.start, self.count)):
                if inside:
                    row[t] = entry.units_per_quarter
        for accelerator_id, row in supply.items():
            self.ramp(accelerator_id, row)
        offers = []
        for i, offer in enumerate(f.cloud_offers):
            self.known(offer.accelerator, ("cloud_offers", i, "accelerator"))
            self.window_in_horizon(offer.start, offer.until, ("cloud_offers", i))
            window = _window(offer.start, offer.until, self.start, self.count)
            offers.append(CloudOffer(offer.id, offer.accelerator, offer.usd_per_accelerator_hour,
                                     tuple(offer.max_accelerators if w else 0.0 for w in window)))
        minimums = []
        for i, minimum in enumerate(f.policy.min_units):
            self.known(minimum.accelerator, ("policy", "min_units", i, "accelerator"))
            minimums.append(MinUnits(minimum.accelerator, minimum.units,
                                     max(0, period_index(minimum.by) - self.start)))
        self.budget_years_in_horizon(f)
        demand = f.demand
        installed_stacks = {self.catalog[lot.accelerator].ecosystem
                            for site in sites for hall in site.halls for lot in hall.installed}
        stacks = {stack.id: Stack(
            id=stack.id,
            maturity=_steps([(period_index(m.start), m.factor) for m in stack.maturity], self.start, self.count, 1.0),
            in_use=stack.in_use or stack.id in installed_stacks, adoption_usd=stack.adoption_usd,
            adoption_periods=stack.adoption_quarters, yearly_usd=stack.yearly_usd,
        ) for stack in f.stacks}
        ecosystems = {a.ecosystem for a in self.catalog.values()}
        for i, stack in enumerate(f.stacks):
            if stack.id not in ecosystems:
                close = difflib.get_close_matches(stack.id, sorted(ecosystems), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                self.fail(("stacks", i, "id"), f"expected a catalog ecosystem ({', '.join(sorted(ecosystems))}), "
                          f"found '{stack.id}'{hint}")
        retirement = Retirement(f.retirement.early, f.retirement.resale_share_of_book,
                                f.retirement.decommission_share, f.retirement.trade_in)
        plan = Plan(
            name=f.name, title=f.title, objective=Objective(f.objective), periods=periods,
            years=tuple(int(p[:4]) for p in periods), hours_per_period=HOURS_PER_QUARTER,
            sites=sites, catalog=self.catalog, accelerators=accelerators,
            budget_usd=self.budget_limits(f, "limit_usd"),
            capex_budget_usd=self.budget_limits(f, "capex_limit_usd"),
            opex_budget_usd=self.budget_limits(f, "opex_limit_usd"),
            training_pflops=self.demand_steps(demand.training),
            inference_pflops=self.demand_steps(demand.inference),
            training_precision=demand.training_precision, inference_precision=demand.inference_precision,
            training_weight=f.weights.training, inference_weight=f.weights.inference,
            objective_precision=f.weights.precision,
            discount_rate=f.discount_rate, maintenance_share_per_year=f.maintenance_share_per_year,
            supply_units={k: tuple(v) for k, v in supply.items()},
            shares=self.shares(self.held_parts(accelerators, sites, offers)),
            commitments=tuple(Commitment(c.vendor, c.min_usd, c.max_usd) for c in f.policy.commitments),
            min_units=tuple(minimums), cloud_offers=tuple(offers),
            fabric_power_share=f.fabric.power_share, fabric_capex_share=f.fabric.capex_share,
            residual_value=f.residual_value, retirement=retirement, stacks=stacks,
            max_stacks=f.policy.max_stacks,
            cluster_min_accelerators=demand.training_clusters.min_accelerators if demand.training_clusters else 0,
            cluster_first_period=max(0, period_index(demand.training_clusters.start) - self.start)
            if demand.training_clusters and demand.training_clusters.start else 0,
        )
        in_use = plan.stacks_in_use()
        if plan.max_stacks is not None and len(in_use) > plan.max_stacks:
            self.fail(("policy", "max_stacks"), f"expected at least {len(in_use)}, the stacks in use when the "
                      f"horizon starts ({', '.join(sorted(in_use))}), found {plan.max_stacks}")
        if self.problems:
            raise InputError(self.problems)
        return plan


def resolve(plan_file: schema.PlanFile, catalog: dict[str, schema.Accelerator], document: Document,
            catalog_as_of: str | None = None) -> Plan:
    """Resolve a validated plan file against the catalog (whose `as_of` is `catalog_as_of`).

    Raises:
        InputError: An id that is not in the catalog, installed units that do not fit, ...
    """
    plan = _Resolver(plan_file, catalog, document).resolve()
    as_of, source = (plan_file.as_of, "plan") if plan_file.as_of else (catalog_as_of, "catalog")
    return replace(plan, as_of=as_of, as_of_from=source if as_of else None)
