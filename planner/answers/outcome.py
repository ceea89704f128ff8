"""What one run produced (`RunResult`) and its objective as a person reads it.

Plain data, free of the solver stack: reports and what-if charts read these, and only `run`
makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from planner.answers.accounting import Ledger, weighted_compute_pflops_quarters
from planner.inputs.plan import LoadedPlan, Plan
from planner.options import Options

if TYPE_CHECKING:
    from planner.answers.results import Tables
    from planner.answers.risks import Risks
    from planner.answers.verify import Violation
    from planner.model.solve import SolveResult
    from planner.model.variables import Model


@dataclass
class RunResult:
    """Everything one run produced."""

    loaded: LoadedPlan
    options: Options
    model: Model
    result: SolveResult
    ledger: Ledger | None = None
    tables: Tables | None = None
    violations: list[Violation] = field(default_factory=list)
    """Limits the plan breaks on re-check: always empty, since such a plan raises instead."""
    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Things the user should know about how the plan was found (a solver fallback, say)."""
    risks: Risks | None = None
    """How far the headline moves with the inputs marked as estimates (`planner.scenarios.risks`),
    when they were weighed."""

    def __repr__(self) -> str:
        # The generated repr printed every field (the model's arrays, the tables): 213,135
        # characters for Ohio. This one names what the run is.
        return (f"<RunResult {self.plan.name!r}: {self.result.status}, {self.plan.objective}, "
                f"solver {self.options.solver}>")

    @property
    def plan(self) -> Plan:
        return self.loaded.plan

    @property
    def compute_pflops_quarters(self) -> float:
        """Weighted delivered compute summed over the horizon (max-compute's objective)."""
        solution = self.result.solution
        return weighted_compute_pflops_quarters(self.plan, solution) if solution is not None else 0.0


@dataclass(frozen=True)
class ObjectiveValue:
    """The objective's value as a person reads it."""

    name: str
    value: float
    unit: str


def objective_of(plan: Plan, result: SolveResult) -> ObjectiveValue:
    """Effective compute delivered, weighted (max-compute), or the discounted cost (min-cost): what summary.json,
    what-if comparisons and sweep rows report as the objective."""
    if plan.objective.maximises:
        value = weighted_compute_pflops_quarters(plan, result.solution) if result.solution is not None else 0.0
        return ObjectiveValue(plan.objective, value, "effective PFLOPS-quarters (weighted)")
    unit = "USD (discounted, less the residual value at the end)" if plan.residual_value != "none" else (
        "USD (discounted)")
    return ObjectiveValue(plan.objective, float(result.objective_value or 0.0), unit)
