"""How two runs of a plan are compared: the metrics shown, their values in words, and the limits
that started or stopped binding. Shared by the what-if's tables and its charts, and free of the
solver stack.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner import fmt
from planner.reports.report import binding_limits

if TYPE_CHECKING:
    from planner.answers.outcome import RunResult


SHOWN_METRICS = {
    "objective": "objective (delivered)", "bf16_eflops_end": "BF16 EFLOPS at end (peak)",
    "effective_bf16_eflops_end": "BF16 EFLOPS at end (effective)",
    "fp8_eflops_end": "FP8 EFLOPS at end (peak)", "accelerators_end": "accelerators at end",
    "facility_mw_used_peak": "peak facility power", "capex_usd": "capex", "opex_usd": "opex",
    "spend_usd": "capex + opex", "stacks_in_use_end": "software stacks at end",
    "stack_cost_usd": "software stack cost", "binding_limits": "binding limits",
}
"""Metrics shown in the terminal and on the PDF's first page. The split of delivered compute between
training and inference is in comparison.csv only: under max-compute with equal weights the LP may
assign a fleet to either, so the split can swing between runs that deliver the same compute."""


HIGHER_IS_BETTER = frozenset({"bf16_eflops_end", "effective_bf16_eflops_end", "fp8_eflops_end"})
LOWER_IS_BETTER = frozenset({"capex_usd", "opex_usd", "spend_usd", "stack_cost_usd"})
"""Metrics whose change is good or bad in itself; the others (power drawn, accelerators, limits
binding) are shown without a verdict."""


def verdict(metric: str, delta: float, maximises: bool) -> bool | None:
    """Whether a change of `delta` in `metric` is good (True), bad (False) or neither (None); the
    objective is good in its own direction."""
    if delta == 0 or delta != delta:
        return None
    if metric == "objective":
        return (delta > 0) == maximises
    if metric in HIGHER_IS_BETTER:
        return delta > 0
    if metric in LOWER_IS_BETTER:
        return delta < 0
    return None


def format_value(value: float, unit: str) -> str:
    """A metric's value as a person reads it (`$4.5B`, `1.2 GW`, `2.9 EFLOPS`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "USD" or unit.startswith("USD"):
        return fmt.usd(value)
    if unit == "MW":
        return fmt.mw(value)
    if unit == "EFLOPS":
        return fmt.pflops(value * 1000)
    if unit.startswith("PFLOPS-quarters"):
        return fmt.pflops(value) + "-q"
    return fmt.count(value)


@dataclass(frozen=True)
class LimitChange:
    """A limit (family, key) that binds in some quarters of one side and not the other."""

    family: str
    key: str
    periods: tuple[str, ...]
    became: bool
    """True: binds in the scenario, not in the base; False: the other way round."""

    @property
    def words(self) -> str:
        name = f"{self.family.replace('_', ' ')} {self.key}"
        if set(self.periods) <= {"all", self.key}:
            return name
        return f"{name}: {span(self.periods)}"


def span(periods: Sequence[str]) -> str:
    """Quarters as runs (`2026Q3-2027Q1, 2028Q2`); years and `all` as they are."""
    from planner.inputs.schema import PERIOD_PATTERN, period_index  # noqa: PLC0415

    quarters = sorted(period_index(p) for p in periods if PERIOD_PATTERN.match(p))
    parts = sorted(p for p in periods if not PERIOD_PATTERN.match(p))
    runs: list[list[int]] = []
    for index in quarters:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    parts += [_quarter(r[0]) if len(r) == 1 else f"{_quarter(r[0])}-{_quarter(r[-1])}" for r in runs]
    return ", ".join(parts)


def _quarter(index: int) -> str:
    from planner.inputs.schema import period_name  # noqa: PLC0415

    return period_name(index)


def _binding_keys(run: RunResult) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for limit in binding_limits(run):
        found[limit.family, limit.key].add(limit.period)
    return found


def limit_changes(base: RunResult, scenario: RunResult) -> list[LimitChange]:
    """Limits that became binding in the scenario, then those that stopped binding."""
    before, after = _binding_keys(base), _binding_keys(scenario)
    changes: list[LimitChange] = []
    for became, first, second in ((True, after, before), (False, before, after)):
        for key in sorted(first):
            periods = first[key] - second.get(key, set())
            if periods:
                changes.append(LimitChange(key[0], key[1], tuple(sorted(periods)), became))
    return changes
