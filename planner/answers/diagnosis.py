"""What a diagnosis says when no plan meets every limit: what is short, what would close it and at
what cost, in words.

Plain data, free of the solver stack (`planner.answers.diagnose` finds these by elastic re-solves,
`planner.answers.fix_costs` prices the fixes), so reports can print it. Limits are named by their
family's words and their key's fields (`prometheus / buildings`), never by a row's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from planner import fmt
from planner.model.families import DEMAND, FAMILIES
from planner.model.rows import KEY_FIELDS, RowKey

NO_PRICE = "no price in the plan"


def key_fields(key: RowKey) -> dict[str, str]:
    """The fields of `key` that apply, by name (`{"site": "prometheus", "hall": "buildings"}`)."""
    return {name: value for name in KEY_FIELDS if (value := getattr(key, name)) is not None}


@dataclass(frozen=True)
class Shortfall:
    """One limit that had to give in an elastic solve, over a run of quarters short by the same amount."""

    family: str
    key: RowKey
    period: str
    """As shown: one quarter, a run `2026Q1-2026Q2`, or `all` for a limit over the horizon."""
    amount: float
    unit: str
    words: str
    first_period: str = ""
    last_period: str = ""

    @property
    def where(self) -> str:
        """The key as a sentence shows it: `prometheus / buildings`."""
        return self.key.label

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "title": FAMILIES[self.family].title, "key": key_fields(self.key),
                "where": self.where, "period": self.period, "first_period": self.first_period or self.period,
                "last_period": self.last_period or self.period, "amount": self.amount, "unit": self.unit,
                "words": self.words}


@dataclass(frozen=True)
class Conflict:
    """A limit of HiGHS's irreducible infeasible subsystem."""

    family: str
    key: RowKey
    period: str
    words: str
    """`power source (prometheus / grid, 2026Q2)`."""

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "title": FAMILIES[self.family].title, "key": key_fields(self.key),
                "period": self.period, "words": self.words}


@dataclass(frozen=True)
class Fix:
    """One line of what would close the gap, with its price where the plan gives one."""

    words: str
    """As the diagnosis says it: `+103 MW of hall space at prometheus / buildings from 2026Q1 to 2026Q2`."""
    amount: float
    unit: str
    cost_usd: float | None
    """What it costs at the plan's own prices; None where the plan gives no price (or it has no dollar cost)."""
    cost_basis: str
    """How the cost is reckoned, or why there is none, in words."""
    unpriced: str = NO_PRICE
    """What stands for the cost where there is none: `no price in the plan` (the plan file could give one),
    `no dollar cost` (a target or a policy), `in the plan's spending` (permission to build or buy more)."""
    source_note: str = ""
    """Where the price comes from, as the plan file's `sources:` says (empty: not said)."""
    instead: bool = False
    """Lowers a target instead of relaxing a limit (the other way to close the gap: no dollar cost)."""

    def cost_words(self) -> str:
        """`$1.23B`, or what stands for it (`no price in the plan`)."""
        return fmt.usd(self.cost_usd) if self.cost_usd is not None else self.unpriced

    def to_json(self) -> dict[str, Any]:
        return {"route": "lower the targets" if self.instead else "relax the limits", "words": self.words,
                "amount": self.amount, "unit": self.unit, "cost_usd": self.cost_usd, "cost_words": self.cost_words(),
                "cost_basis": self.cost_basis, "source_note": self.source_note}


@dataclass(frozen=True)
class DemandGap:
    """One workload's demand per quarter against the most the plan delivers toward it with every
    limit held (the first elastic solve: demand less its shortfall)."""

    workload: str
    precision: str
    """The workload's precision in the plan (`bf16`, `fp8`); demand counts effective compute."""
    periods: tuple[str, ...]
    target_pflops: tuple[float, ...]
    met_pflops: tuple[float, ...]

    @property
    def short_pflops(self) -> tuple[float, ...]:
        return tuple(max(0.0, target - met) for target, met in zip(self.target_pflops, self.met_pflops, strict=True))

    def to_json(self) -> dict[str, Any]:
        return {"workload": self.workload, "precision": self.precision, "compute": "effective", "unit": "PFLOPS",
                "periods": list(self.periods), "target_pflops": list(self.target_pflops),
                "met_pflops": list(self.met_pflops), "short_pflops": list(self.short_pflops)}


@dataclass
class Diagnosis:
    """Why no plan fits, in the user's terms."""

    plan: str
    short: list[Shortfall] = field(default_factory=list)
    """What is short when limits hold (the targets that cannot be met)."""
    would_close: list[Shortfall] = field(default_factory=list)
    """What the limits would need to meet every target."""
    fixes: list[Fix] = field(default_factory=list)
    """`would_close` priced, then the targets lowered instead (`Fix.instead`)."""
    demand: list[DemandGap] = field(default_factory=list)
    """Each workload that is short: its demand and what the plan delivers toward it, per quarter."""
    closable: bool = True
    """False when no change to a limit can meet the targets (e.g. nothing available yet)."""
    iis: list[Conflict] = field(default_factory=list)
    """HiGHS's irreducible infeasible subsystem: the limits that conflict."""
    binding_while_short: list[str] = field(default_factory=list)
    """Limits full in the quarters of a shortfall (the 'because'), earliest first."""

    @property
    def iis_limits(self) -> list[str]:
        """The conflicting limits in words: `firm power (prometheus, 2026Q1)`."""
        return [conflict.words for conflict in self.iis]

    @property
    def limit_fixes(self) -> list[Fix]:
        """What would close it by relaxing limits, all together, each with its price."""
        return [fix for fix in self.fixes if not fix.instead]

    @property
    def target_fixes(self) -> list[Fix]:
        """What would close it instead by lowering the targets."""
        return [fix for fix in self.fixes if fix.instead]

    @property
    def fixes_cost_usd(self) -> float:
        """The priced fixes of `limit_fixes`, together."""
        return sum(fix.cost_usd for fix in self.limit_fixes if fix.cost_usd is not None)

    def cost_words(self) -> str:
        """The price of closing the gap by its limits, in a sentence (empty when nothing would close it)."""
        fixes = self.limit_fixes
        if not fixes:
            return ""
        priced = [fix for fix in fixes if fix.cost_usd is not None]
        missing = [fix for fix in fixes if fix.cost_usd is None and fix.unpriced == NO_PRICE]
        if not priced:
            return ("The plan gives no price for any of these changes." if missing
                    else "None of these changes has a dollar cost of its own.")
        total = f"Together, at the plan's own prices: {fmt.usd(self.fixes_cost_usd)}"
        if not missing:
            return total + "."
        return (f"{total}, not counting the {len(missing)} change{'s' if len(missing) != 1 else ''} "
                "the plan gives no price for.")

    def because(self) -> str:
        """What is short and why, in a sentence (the first part of the headline)."""
        parts = [s.words for s in self.short[:3]]
        text = "; ".join(parts) if parts else "the targets cannot all be met"
        if len(self.short) > 3:
            text += f" (and {len(self.short) - 3} more)"
        if self.binding_while_short:
            text += ": " + " and ".join(self.binding_while_short[:2])
        return text[0].upper() + text[1:] + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "short": [s.to_json() for s in self.short],
            "would_close": [s.to_json() for s in self.would_close],
            "fixes": [fix.to_json() for fix in self.fixes],
            "fixes_cost_usd": self.fixes_cost_usd if any(f.cost_usd is not None for f in self.limit_fixes) else None,
            "fixes_cost_words": self.cost_words(),
            "demand": [gap.to_json() for gap in self.demand],
            "closable": self.closable,
            "iis": [conflict.to_json() for conflict in self.iis],
            "binding_while_short": self.binding_while_short,
        }

    def headline(self) -> str:
        """One paragraph a person reads first: what is short, why, what would close it and its price."""
        text = self.because().removesuffix(".")
        if self.would_close:
            more = len(self.would_close) - 3
            text += ". What would close it: " + " and ".join(s.words for s in self.would_close[:3])
            text += f" (and {more} more)" if more > 0 else ""
            cost = self.cost_words()
            text += f". {cost.removesuffix('.')}" if cost else ""
        if self.target_fixes:
            text += ". Or, instead: " + " and ".join(fix.words for fix in self.target_fixes[:3])
        return text + "."


def _amount(unit: str, amount: float) -> str:
    if unit == "MW":
        return fmt.mw(amount)
    if unit == "USD":
        return fmt.usd(amount)
    if unit == "PFLOPS":
        return fmt.pflops(amount)
    return f"{fmt.count(amount)} {unit}"


def shortfall_words(family: str, key: RowKey, period: str, amount: float, unit: str, precision: str = "") -> str:
    """A shortfall in words; a demand's amount names its precision (`74.1 EFLOPS (BF16, effective)`)."""
    elastic = FAMILIES[family].elastic
    assert elastic is not None
    shown = _amount(unit, amount)
    if family == DEMAND.name and precision:
        shown += f" ({precision.upper()}, effective)"
    return FAMILIES[family].words(elastic.gap, key, period, shown)


def less_words(short: Shortfall) -> str:
    """A target lowered by its shortfall: `74.1 EFLOPS less training demand in 2026Q2`."""
    if short.family != DEMAND.name:
        return f"a lower target: {short.words}"
    runs = short.first_period and short.last_period and short.first_period != short.last_period
    period = f"in each quarter from {short.first_period} to {short.last_period}" if runs else f"in {short.period}"
    return f"{_amount(short.unit, short.amount)} less {short.where} demand {period}"
