"""What a diagnosis says when no plan meets every limit: what is short, what would close it, in words.

Plain data, free of the solver stack (`planner.answers.diagnose` finds these by elastic re-solves),
so reports can print it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from planner import fmt
from planner.model.families import DEMAND, FAMILIES
from planner.model.rows import RowKey


@dataclass(frozen=True)
class Shortfall:
    """One limit that had to give in an elastic solve."""

    family: str
    key: str
    period: str
    amount: float
    unit: str
    words: str


@dataclass
class Diagnosis:
    """Why no plan fits, in the user's terms."""

    plan: str
    short: list[Shortfall] = field(default_factory=list)
    """What is short when limits hold (the targets that cannot be met)."""
    would_close: list[Shortfall] = field(default_factory=list)
    """What the limits would need to meet every target."""
    closable: bool = True
    """False when no change to a limit can meet the targets (e.g. nothing available yet)."""
    iis_rows: list[str] = field(default_factory=list)
    """HiGHS's irreducible infeasible subsystem, by row name (for scripts)."""
    iis_limits: list[str] = field(default_factory=list)
    """The same limits in words: `firm power (prometheus, 2026Q1)`."""
    binding_while_short: list[str] = field(default_factory=list)
    """Limits full in the quarters of a shortfall (the 'because')."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def headline(self) -> str:
        """One paragraph a person reads first."""
        parts = [s.words for s in self.short[:3]]
        text = "; ".join(parts) if parts else "the targets cannot all be met"
        if self.binding_while_short:
            text += f": {self.binding_while_short[0]}"
        if self.would_close:
            text += ". What would close it: " + " and ".join(s.words for s in self.would_close[:3])
            if self.short:
                text += f"; or {less_words(self.short[0])}"
        return text[0].upper() + text[1:] + "."


def _amount(unit: str, amount: float) -> str:
    if unit == "MW":
        return fmt.mw(amount)
    if unit == "USD":
        return fmt.usd(amount)
    if unit == "PFLOPS":
        return fmt.pflops(amount)
    return f"{fmt.count(amount)} {unit}"


def shortfall_words(family: str, key: RowKey, period: str, amount: float, unit: str) -> str:
    elastic = FAMILIES[family].elastic
    assert elastic is not None
    return FAMILIES[family].words(elastic.gap, key, period, _amount(unit, amount))


def less_words(short: Shortfall) -> str:
    if short.family == DEMAND.name:
        return f"{_amount(short.unit, short.amount)} less {short.key} demand in {short.period}"
    return f"relax: {short.words}"
