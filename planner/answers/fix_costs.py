"""What each change that would close a gap costs, at the plan's own prices.

The second elastic solve (`planner.answers.diagnose`) says how far each limit would have to give.
Some of that comes with a price in the plan file, some does not:

- **Hall space** is built in modules: extra MW cost the hall type's module capex per MW (or its
  lease per MW a year, to the horizon's end). Space is built once: a hall short by 103 MW in
  2026Q2 and by 141 MW in 2026Q3 needs 141 MW, so each line is priced for the MW beyond what the
  lines before it (earlier quarters) already paid for.
- **Power** (a source's output, a site's firm power) costs the expansion of a source that can
  be built: the source's own for its output, the site's cheapest for firm power, per MW built
  (output / its capacity factor, firm / its firm share). A source with no expansion (a grid
  interconnect, in most plans) has no price in the plan.
- **Money** (a yearly budget, capex or opex limit) is its own amount.
- Permission to build more modules or generation, buy more units from a vendor, or spend more
  with one: what is built or bought is in the plan's spending already, inside the budget or in a
  budget line of the same answer, so the line itself adds nothing; policies (shares, stacks)
  have no dollar cost; nor does a lower target.

The cost basis says which, with the plan file's `sources:` note of the price where it gives one.
"""

from __future__ import annotations

from collections.abc import Sequence

from planner import fmt
from planner.answers.diagnosis import NO_PRICE, Fix, Shortfall, less_words
from planner.inputs.plan import Hall, Plan, PowerSource, Site
from planner.inputs.schema import period_index, period_name
from planner.model.families import (
    BUDGET,
    CAPEX_BUDGET,
    COMMITMENT_MAX,
    COOLING_AIR,
    COOLING_LIQUID,
    EXPANSION,
    FIRM,
    HALL,
    MAX_STACKS,
    MODULES,
    OPEX_BUDGET,
    POWER,
    SHARE_MAX,
    SUPPLY,
)

MONEY = frozenset({BUDGET.name, CAPEX_BUDGET.name, OPEX_BUDGET.name})
IN_THE_SPENDING = "is in the plan's spending already (inside the budget, or in a budget line here)"
NO_DOLLAR_COST = "no dollar cost"
SPENT = "in the plan's spending"
UNPRICED = {
    MODULES.name: (SPENT, f"permission to build more modules: their capex {IN_THE_SPENDING}"),
    EXPANSION.name: (SPENT, f"permission to build more generation: its capex {IN_THE_SPENDING}"),
    SUPPLY.name: (SPENT, f"more units from the vendor: their price {IN_THE_SPENDING}; the plan gives no price for "
                         "the allocation itself"),
    COMMITMENT_MAX.name: (SPENT, f"a higher cap on spend with one vendor costs nothing itself: what is spent "
                                 f"{IN_THE_SPENDING}"),
    SHARE_MAX.name: (NO_DOLLAR_COST, "a change of chip-mix policy"),
    MAX_STACKS.name: (SPENT, f"a change of policy: a stack's own costs {IN_THE_SPENDING}"),
    COOLING_LIQUID.name: (NO_PRICE, "cooling is priced only as part of a hall module"),
    COOLING_AIR.name: (NO_PRICE, "cooling is priced only as part of a hall module"),
}
"""What stands for the cost of a line with none of its own, and why, by family."""
TARGET_BASIS = "a lower target: the plan delivers that much less"
TINY_MW = 1e-6


def price_fixes(plan: Plan, would_close: Sequence[Shortfall], short: Sequence[Shortfall]) -> list[Fix]:
    """Each line of `would_close` (earliest first) with its price, then each target of `short` lowered instead."""
    pricer = _Pricer(plan)
    fixes = [pricer.price(line) for line in would_close]
    return fixes + [Fix(less_words(line), line.amount, line.unit, None, TARGET_BASIS, NO_DOLLAR_COST, instead=True)
                    for line in short]


class _Pricer:
    """Prices lines in order, remembering how much of each hall and source earlier lines paid for."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.paid: dict[tuple[str, str, str], float] = {}
        """MW of IT space (a hall) or MW built (a source) already priced, by (kind, site, hall or source)."""

    def price(self, line: Shortfall) -> Fix:
        if line.family in MONEY:
            return Fix(line.words, line.amount, line.unit, line.amount, "more money is its own amount")
        site = next((s for s in self.plan.sites if s.id == line.key.site), None)
        if line.family == HALL.name and site is not None:
            hall = next((h for h in site.halls if h.id == line.key.hall), None)
            if hall is not None:
                return self._hall(line, site, hall)
        if line.family in (POWER.name, FIRM.name) and site is not None:
            return self._power(line, site)
        unpriced, why = UNPRICED.get(line.family, (NO_PRICE, "the plan gives no price for this limit"))
        return Fix(line.words, line.amount, line.unit, None, why, unpriced)

    def _first(self, line: Shortfall) -> int:
        first = line.first_period or line.period
        return self.plan.periods.index(first) if first in self.plan.periods else 0

    def _beyond(self, asset: tuple[str, str, str], mw: float) -> tuple[float, str]:
        """MW of `mw` not paid for by an earlier line, and the words that say so."""
        before = self.paid.get(asset, 0.0)
        self.paid[asset] = max(before, mw)
        if before <= TINY_MW:
            return mw, ""
        if mw <= before + TINY_MW:
            return 0.0, f"within the {fmt.mw(before)} priced above: nothing more"
        return mw - before, f"{fmt.mw(mw - before)} beyond the {fmt.mw(before)} priced above, "

    def _late(self, ready: int, t: int) -> str:
        """Words for something ready only in quarter position `ready`, needed from position `t`."""
        if ready <= t:
            return ""
        quarter = period_name(period_index(self.plan.periods[0]) + ready)
        return f"; but the earliest it can be ready is {quarter}, too late for {self.plan.periods[t]}"

    def _lease(self, extra_mw: float, rate_usd_per_mw_year: float, t: int) -> tuple[float, str]:
        quarters = len(self.plan.periods) - t
        return (extra_mw * rate_usd_per_mw_year / 4 * quarters,
                f"leased at {fmt.usd(rate_usd_per_mw_year)} per MW a year from {self.plan.periods[t]} to the "
                f"horizon's end ({quarters} quarter{'s' if quarters != 1 else ''})")

    def _hall(self, line: Shortfall, site: Site, hall: Hall) -> Fix:
        t = self._first(line)
        if not (hall.lease_usd_per_mw_year > 0 or (hall.module_it_mw > 0 and hall.module_capex_usd > 0)):
            return Fix(line.words, line.amount, line.unit, None,
                       f"the plan gives hall type {line.where} no module price (module_it_mw and module_capex_usd)")
        extra, beyond = self._beyond(("hall", site.id, hall.id), line.amount)
        if extra == 0.0:
            return Fix(line.words, line.amount, line.unit, 0.0, beyond, source_note=hall.price_note)
        if hall.lease_usd_per_mw_year > 0:
            cost, basis = self._lease(extra, hall.lease_usd_per_mw_year, t)
        else:
            per_mw = hall.module_capex_usd / hall.module_it_mw
            cost = extra * per_mw
            basis = (f"at the hall's module price, {fmt.usd(per_mw)} per MW of IT "
                     f"({fmt.usd(hall.module_capex_usd)} a {fmt.mw(hall.module_it_mw)} module)")
        return Fix(line.words, line.amount, line.unit, cost,
                   beyond + basis + self._late(hall.first_module_start + hall.lead_periods, t),
                   source_note=hall.price_note)

    def _power(self, line: Shortfall, site: Site) -> Fix:
        """A source's output (its own expansion), or a site's firm power (its cheapest expansion)."""
        t = self._first(line)
        if line.family == POWER.name:
            own = [s for s in site.sources if s.id == line.key.source]
            candidates = [(s, s.capacity_factor) for s in own if s.expansion is not None and s.capacity_factor > 0]
            missing = f"the plan has no expansion to build at {line.where} (an `expansion:` with its price)"
        else:
            candidates = [(s, s.firm_share) for s in site.sources if s.expansion is not None and s.firm_share > 0]
            missing = f"the plan has no power source to expand at {site.id} (an `expansion:` with its price)"
        if not candidates:
            return Fix(line.words, line.amount, line.unit, None, missing)
        source, share = min(candidates, key=lambda pair: (_per_mw(pair[0]) / pair[1], pair[0].id))
        expansion = source.expansion
        assert expansion is not None
        built = line.amount / share
        extra, beyond = self._beyond(("generation", site.id, source.id), built)
        if extra == 0.0:
            return Fix(line.words, line.amount, line.unit, 0.0, beyond, source_note=expansion.price_note)
        per = "firm " if line.family == FIRM.name else ""
        scaled = f"; {fmt.mw(built)} built for {fmt.mw(line.amount)} {per}MW" if abs(share - 1.0) > 1e-9 else ""
        if expansion.lease_usd_per_mw_year > 0:
            cost, basis = self._lease(extra, expansion.lease_usd_per_mw_year, t)
            basis = f"{source.id} {basis}"
        else:
            cost = extra * expansion.capex_usd_per_mw
            basis = f"at {source.id}'s build price, {fmt.usd(expansion.capex_usd_per_mw)} per MW"
        cheapest = " (the site's cheapest to build)" if line.family == FIRM.name and len(candidates) > 1 else ""
        return Fix(line.words, line.amount, line.unit, cost,
                   beyond + basis + cheapest + scaled + self._late(expansion.first_start + expansion.lead_periods, t),
                   source_note=expansion.price_note)


def _per_mw(source: PowerSource) -> float:
    """What one MW built at `source` costs over a year: its capex, or a year of its lease."""
    assert source.expansion is not None
    return source.expansion.capex_usd_per_mw or source.expansion.lease_usd_per_mw_year
