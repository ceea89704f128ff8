"""The main risks of a plan: how far its headline moves when the inputs marked as estimates move.

Plain data, free of the solver stack: `planner.scenarios.risks` solves the runs and makes a `Risks`;
summary.json (`risks`), the report's first page and the terminal read it. The headline is the
objective (`planner.answers.outcome.objective_of`): effective compute delivered under max-compute,
the discounted cost under min-cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from planner import fmt
from planner.objective import Objective

PERCENTILES = (10, 50, 90)
OPTIMAL, NO_PLAN, INVALID = "optimal", "infeasible", "invalid"
"""A run's status: solved; no plan meets every limit; a moved value the plan's own checks refuse. Any
other (the solver gave up) counts as no answer at all, as `invalid` does."""


@dataclass(frozen=True)
class EstimateEffect:
    """One estimate, moved alone to each end of its range: the headline at each end."""

    path: str
    """Its `--set` path (a list of steps: the list's path; `paths` has each)."""
    paths: tuple[str, ...]
    words: str
    """What it is, as a person names it: `mi455x unit price`."""
    value_text: str
    """Its value as written in the plan or catalog, with its unit."""
    values: tuple[float | str, ...]
    """Its number(s), in the unit its key names; a date's quarter(s)."""
    source: str
    """The `sources:` text that marks it as an estimate."""
    low: float | None
    """The headline with it alone at the low end; None where no plan came back (`low_status` says why)."""
    high: float | None
    low_status: str = "optimal"
    high_status: str = "optimal"
    low_words: str = ""
    """What the low end does to it: `x0.8`, `2 quarters earlier`, `4 quarters` (empty: `x` and the
    low factor)."""
    high_words: str = ""


@dataclass(frozen=True)
class Risks:
    """The sensitivity of the headline to each estimate run alone, and its spread over a joint sample."""

    objective: str
    unit: str
    method: str
    """How the figures were found, in words (the LP relaxation, the factors, the draws)."""
    low_factor: float
    high_factor: float
    matters_share: float
    """An estimate matters when either end moves the headline by more than this share of `base`."""
    seed: int
    base: float
    """The headline of the LP relaxation with every estimate as written (what the changes are from)."""
    listed: int
    """Estimate-marked numbers found in the plan and the catalog entries of its parts."""
    screened: tuple[EstimateEffect, ...]
    """The estimates run alone (the first `len(screened)` by first-order exposure)."""
    varied: tuple[str, ...]
    """Paths of the estimates drawn together: those that matter."""
    draws: tuple[float | None, ...]
    """The headline of each joint draw (None: no answer, `draw_statuses` says why)."""
    runs: int
    """Solves in all: the base, two per estimate screened, one per draw (and any solved again)."""
    draw_statuses: tuple[str, ...] = ()
    solved_again: int = 0
    """Runs whose relaxation HiGHS gave up on, solved again with their training-cluster binaries kept."""

    @property
    def threshold(self) -> float:
        return self.matters_share * abs(self.base)

    def change(self, value: float | None) -> float | None:
        return None if value is None else value - self.base

    def swing(self, effect: EstimateEffect) -> float:
        """The larger headline change of its two ends: an end where no plan meets every limit counts as
        the largest; one without an answer (a refused value, a solver that gave up) as none."""
        ends = ((effect.low, effect.low_status), (effect.high, effect.high_status))
        return max(abs(value - self.base) if value is not None else float("inf") if status == NO_PLAN else 0.0
                   for value, status in ends)

    def matters(self, effect: EstimateEffect) -> bool:
        return self.swing(effect) > self.threshold

    def ranked(self) -> list[EstimateEffect]:
        """The estimates that matter, the largest swing first (ties in the order they were screened)."""
        order = {id(effect): i for i, effect in enumerate(self.screened)}
        return sorted((e for e in self.screened if self.matters(e)), key=lambda e: (-self.swing(e), order[id(e)]))

    @property
    def no_plan(self) -> int:
        """Draws in which no plan meets every limit."""
        return sum(1 for status in self.draw_statuses if status == NO_PLAN)

    @property
    def unanswered(self) -> int:
        """Draws without an answer either way (a refused value, a solver that gave up): left out."""
        return sum(1 for status in self.draw_statuses if status not in (OPTIMAL, NO_PLAN))

    def percentiles(self) -> tuple[float, float, float]:
        """P10, P50 and P90 of the headline over the draws with a plan (all the base when nothing was drawn)."""
        values = [draw for draw in self.draws if draw is not None]
        if not values:
            return self.base, self.base, self.base
        p10, p50, p90 = (float(v) for v in np.percentile(np.asarray(values), PERCENTILES))
        return p10, p50, p90

    @property
    def maximises(self) -> bool:
        return Objective(self.objective).maximises

    @property
    def change_unit(self) -> str:
        """The unit changes are shown in: EFLOPS-quarters (or PFLOPS-quarters for a small plan), or USD."""
        if not self.maximises:
            return "USD"
        return "EFLOPS-quarters" if abs(self.base) >= 1000 else "PFLOPS-quarters"

    @property
    def threshold_words(self) -> str:
        return f"{100 * self.matters_share:g}%"

    def headline_text(self, value: float) -> str:
        """`4,704 EFLOPS-quarters`, `$12.3B`."""
        if self.maximises:
            return f"{fmt.pflops(value)}-quarters"
        return fmt.usd(value)

    def number(self, value: float) -> str:
        """`value` in `change_unit`, without the unit: `4,704`, `50.9`, `$1.20B`."""
        if not self.maximises:
            return fmt.usd(value)
        scaled = value / 1000 if self.change_unit.startswith("E") else value
        decimals = 0 if abs(scaled) >= 100 or scaled == 0 else 1 if abs(scaled) >= 10 else 2
        return f"{scaled:,.{decimals}f}"

    def change_text(self, change: float | None, status: str = OPTIMAL, *, unit: bool = True) -> str:
        """`+50.9 EFLOPS-quarters` (`unit`: with it), `no change`, `no plan`, `out of its range`, `no answer`."""
        if change is None:
            return {NO_PLAN: "no plan", INVALID: "out of its range"}.get(status, f"no answer ({status})")
        if abs(change) <= self.threshold * 1e-3:
            return "no change"
        text = ("+" if change > 0 else "-") + self.number(abs(change)).lstrip("-")
        return f"{text} {self.change_unit}" if unit and self.maximises else text

    def effect_words(self, effect: EstimateEffect, *, compact: bool = False) -> str:
        """`mi455x unit price (estimate, $2.70M): x0.8 -> +51.1 EFLOPS-quarters, x1.2 -> -43.0` (a date:
        `2 quarters earlier -> ..., 2 quarters later -> ...`); `compact`
        leaves out `estimate` and the unit (a heading says them)."""
        low, high = self.change(effect.low), self.change(effect.high)
        what = f"{effect.words} ({effect.value_text})" if compact else f"{effect.words} (estimate, {effect.value_text})"
        low_words = effect.low_words or f"x{self.low_factor:g}"
        high_words = effect.high_words or f"x{self.high_factor:g}"
        low_text = self.change_text(low, effect.low_status, unit=not compact)
        # The unit follows the first end that shows a number (`no change -> ..., -3.20 EFLOPS-quarters`).
        shown = low_text != self.change_text(low, effect.low_status, unit=False)
        high_text = self.change_text(high, effect.high_status, unit=not compact and not shown)
        return f"{what}: {low_words} -> {low_text}, {high_words} -> {high_text}"

    def spread_words(self, *, short: bool = False) -> str:
        """`P10 4,309, P50 4,557, P90 5,191 EFLOPS-quarters`; `short`: `4,309 / 4,557 / 5,191 EFLOPS-quarters`."""
        p10, p50, p90 = (self.number(v) for v in self.percentiles())
        unit = f" {self.change_unit}" if self.maximises else ""
        return f"{p10} / {p50} / {p90}{unit}" if short else f"P10 {p10}, P50 {p50}, P90 {p90}{unit}"

    def summary_line(self) -> str:
        """One line for the terminal: the spread and the estimate that matters most."""
        if not self.listed:
            return "Risk: no input of the plan or its parts' catalog entries is marked as an estimate; nothing to vary."
        ranked = self.ranked()
        varied = len(self.varied)
        line = (f"Risk (LP relaxation, {self.runs} runs over {varied} estimate{'s' if varied != 1 else ''} of "
                f"{self.listed}): {self.spread_words()}")
        if self.no_plan or self.unanswered:
            line += f" ({self.draw_failures()})"
        if ranked:
            return line + f"; the estimate that matters most: {self.effect_words(ranked[0])}."
        return line + f"; no estimate screened moves the headline by more than {self.threshold_words}."

    def draw_failures(self) -> str:
        """`2 of 16 draws had no plan, 1 no answer`: the draws P10/P50/P90 leave out."""
        parts = [f"{self.no_plan} had no plan"] if self.no_plan else []
        parts += [f"{self.unanswered} no answer"] if self.unanswered else []
        return f"{' and '.join(parts)} of {len(self.draws)} draws" if parts else ""

    def to_json(self) -> dict[str, Any]:
        """summary.json's `risks`."""
        p10, p50, p90 = self.percentiles()

        def effect(e: EstimateEffect) -> dict[str, Any]:
            return {"path": e.path, "paths": list(e.paths), "name": e.words, "value": list(e.values),
                    "value_text": e.value_text, "source": e.source, "low_headline": e.low, "high_headline": e.high,
                    "low_status": e.low_status, "high_status": e.high_status, "low_move": e.low_words,
                    "high_move": e.high_words, "matters": self.matters(e)}

        return {
            "method": self.method, "objective": self.objective, "unit": self.unit,
            "low_factor": self.low_factor, "high_factor": self.high_factor, "matters_share": self.matters_share,
            "seed": self.seed, "runs": self.runs, "estimates_listed": self.listed,
            "estimates_screened": len(self.screened), "estimates_varied": list(self.varied),
            "base_headline": self.base, "draws": len(self.draws), "draws_without_plan": self.no_plan,
            "draws_without_answer": self.unanswered, "runs_solved_again_with_clusters": self.solved_again,
            "p10": p10, "p50": p50, "p90": p90,
            "estimates": [effect(e) for e in self.ranked()]
            + [effect(e) for e in self.screened if not self.matters(e)],
        }
