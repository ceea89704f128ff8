"""Shadow prices in the user's terms: what one more MW, $1B or 1,000 units of a limit is worth.

The solver's dual of a row is the change of the objective per unit of its right-hand side
(PFLOPS-quarters under max-compute, discounted USD under min-cost). Here each is scaled to a
step a person thinks in (100 MW, $1B, 1,000 units, one point of share) and put in a sentence:
"100 MW more at prometheus in 2026Q4 would add 4.80 EFLOPS-quarters of compute".
A limit with slack left has a price of zero, whatever noise the solver reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from planner import fmt
from planner.accounting import Ledger
from planner.plan import Plan
from planner.rows import RowInfo

BINDING_SLACK = 1e-6
"""A limit binds when its slack is at most this, relative to max(1, |rhs|)."""

INTERNAL_FAMILIES = frozenset({"load", "assign", "stock"})

NOISE = 1.0
"""Step values below this (1 PFLOPS-quarter, or $1) are within the max-compute tie-break's own
scale ($1B = 1 PFLOPS-quarter): they say nothing about the limit and are not ranked."""
"""Rows that tie the model together (dispatch equals load; assignment within fleet): not limits."""


@dataclass(frozen=True)
class Step:
    """How a family is relaxed in words: unit of its price, step size and its words."""

    unit: str
    """The natural unit its price is quoted per (`MW`, `$1B`, `1,000 units`, ...)."""
    scale: float
    """Natural units per unit of the row's right-hand side inverted: price = dual x scale."""
    words: str
    """Relaxation by one step, with {key} and {period} to fill."""


# Steps: MW in 100 MW, money in $1B, units in 1,000s, compute in EFLOPS, shares in points.
STEPS = {
    "site_power": Step("100 MW", 100.0, "100 MW more at {key} in {period}"),
    "power": Step("100 MW", 100.0, "100 MW more from {key} in {period}"),
    "hall": Step("100 MW", 100.0, "100 MW more hall space ({key}) in {period}"),
    "modules": Step("module", 1.0, "one more {key} module"),
    "expansion": Step("100 MW", 100.0, "100 MW more buildable generation at {key}"),
    "budget": Step("$1B", 1e9, "$1B more in the {key} budget"),
    "commitment_max": Step("$1B", 1e9, "$1B more allowed spend with {key}"),
    "commitment_min": Step("$1B", 1e9, "$1B less committed spend with {key}"),
    "supply": Step("1,000 units", 1000.0, "1,000 more {key} units delivered in {period}"),
    "min_units": Step("1,000 units", 1000.0, "1,000 fewer required {key} units in {period}"),
    "demand": Step("EFLOPS", 1000.0, "1 EFLOPS less {key} demand in {period}"),
    "share_min": Step("point", 1.0, "a minimum {key} share one point lower in {period}"),
    "share_max": Step("point", 1.0, "a maximum {key} share one point higher in {period}"),
}


@dataclass(frozen=True)
class LimitPrice:
    """One limit (LP row, or a site's power summed over its sources) with its prices."""

    name: str
    family: str
    key: str
    period: str
    sense: str
    lhs: float
    rhs: float
    slack: float
    shadow_price: float
    """The solver's dual: objective units per unit of right-hand side."""
    binding: bool
    step_value: float
    """What relaxing the limit by one step (`step`) is worth: PFLOPS-quarters gained under
    max-compute, USD saved under min-cost. Zero for a limit with slack."""
    step: str
    value_unit: str
    sentence: str
    solved_step_value: float | None = None
    """The same step's worth found by re-solving with the limit relaxed (see `planner.ranging`);
    the sentence quotes it when present. It is lower than `step_value` when the step runs into
    another limit."""

    @property
    def best_step_value(self) -> float:
        return self.step_value if self.solved_step_value is None else self.solved_step_value


def _lhs(row: RowInfo, slack: float) -> float:
    """The row's left side from its slack (PuLP: slack = rhs - lhs for <=, lhs - rhs otherwise)."""
    return row.rhs - slack if row.sense == "<=" else row.rhs + slack


def _is_binding(slack: float, rhs: float) -> bool:
    return abs(slack) <= BINDING_SLACK * max(1.0, abs(rhs))


def _share_total(plan: Plan, books: Ledger, period: str) -> float:
    """BF16 PFLOPS in service (availability-weighted) in a quarter: a share point's size x 100."""
    t = plan.periods.index(period)
    return sum(n * plan.catalog[c].bf16_pflops for (c, tt), n in books.fleet_accelerators.items() if tt == t)


def sentence(plan: Plan, family: str, key: str, period: str, value: float) -> str:
    step = STEPS[family]
    site_words = key.replace(".", " / ")
    start = step.words.format(key=site_words, period=period)
    if plan.objective == "max-compute":
        return f"{start} would add {fmt.pflops(value)}-quarters of compute"
    present = " (present value)" if plan.discount_rate > 0 else ""
    return f"{start} would save {fmt.usd(value)}{present}"


def price_limits(
    plan: Plan, books: Ledger, rows: list[RowInfo], duals: dict[str, float], slacks: dict[str, float]
) -> list[LimitPrice]:
    """Every row, plus a `site_power` line per site and quarter, with prices in the user's terms."""
    value_unit = "PFLOPS-quarters" if plan.objective == "max-compute" else "USD"
    prices: list[LimitPrice] = []
    best_power: dict[tuple[str, str], float] = defaultdict(float)
    for row in rows:
        slack = slacks.get(row.name, float("nan"))
        dual = duals.get(row.name, float("nan"))
        binding = row.sense != "==" and _is_binding(slack, row.rhs)
        value = 0.0
        if binding and row.family in STEPS and dual == dual:
            scale = STEPS[row.family].scale
            if row.family.startswith("share_"):
                # d(objective)/d(share bound) = dual x total compute; one point is 1% of that.
                scale = 0.01 * _share_total(plan, books, row.period)
            value = abs(dual) * scale
        if row.family == "power" and binding:
            site = row.key.split(".")[0]
            best_power[site, row.period] = max(best_power[site, row.period], abs(dual))
        known = row.family in STEPS
        prices.append(LimitPrice(
            name=row.name, family=row.family, key=row.key, period=row.period, sense=row.sense,
            lhs=_lhs(row, slack), rhs=row.rhs, slack=slack, shadow_price=dual, binding=binding,
            step_value=value, step=STEPS[row.family].unit if known else "",
            value_unit=value_unit if known else "",
            sentence=sentence(plan, row.family, row.key, row.period, value) if known and binding else "",
        ))
    prices += _site_power(plan, books, best_power, value_unit)
    return prices


def _site_power(
    plan: Plan, books: Ledger, best_power: dict[tuple[str, str], float], value_unit: str
) -> list[LimitPrice]:
    """Each site's facility power against all its sources: the limit people talk about."""
    out = []
    for s, site in enumerate(plan.sites):
        for t, period in enumerate(plan.periods):
            used = books.facility_mw(plan, s, t)
            available = sum(books.source_available_mw[s, g, t] for g in range(len(site.sources)))
            slack = available - used
            binding = _is_binding(slack, available)
            dual = best_power.get((site.id, period), 0.0) if binding else 0.0
            value = dual * STEPS["site_power"].scale
            out.append(LimitPrice(
                name=f"site_power__{site.id}__{period}".replace("-", "_"), family="site_power", key=site.id,
                period=period, sense="<=", lhs=used, rhs=available, slack=slack, shadow_price=dual,
                binding=binding, step_value=value, step=STEPS["site_power"].unit, value_unit=value_unit,
                sentence=sentence(plan, "site_power", site.id, period, value) if binding else "",
            ))
    return out


def ranked(prices: list[LimitPrice]) -> list[LimitPrice]:
    """Binding limits worth something, most valuable step first; a site's power line stands
    for its sources' rows, so those are left out, and so is a limit whose whole step, re-solved,
    is worth nothing (its dual was one of several: another limit binds with it)."""
    chosen = [p for p in prices if p.binding and p.step_value > NOISE and p.family != "power"
              and (p.solved_step_value is None or p.solved_step_value > NOISE)]
    return sorted(chosen, key=lambda p: (-p.best_step_value, p.family, p.key, p.period))
