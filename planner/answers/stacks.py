"""Software stacks in a solution (limit 14), by plain arithmetic on the plan's data and the
solution's `use` values: what each costs in each quarter (the ledger's opex kinds `stack_adoption`
and `stack_running`), and which are in use in each year (summary.json's `stacks`).

A stack in use when the horizon starts pays its yearly cost every quarter. One adopted by choice
pays `yearly_usd / 4 x use[e, y]` in each quarter of year y, and `adoption_usd x (use[e, y] -
use[e, y-1])` in the quarter the adoption is decided (`Plan.adoption_period`), as the LP charges
them (`planner.model.stacks`). A stack the plan does not name costs nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from planner.inputs.plan import Plan
from planner.model.solution import Solution
from planner.tolerances import SOLVER_NOISE

STACK_KINDS = ("stack_adoption", "stack_running")
"""The ledger's opex kinds of software stacks: one-off adoption, and the yearly cost of running them."""


def in_use_share(from_start: frozenset[str], solution: Solution, ecosystem: str, year: int) -> float:
    """1 for a stack in use from the start (`from_start`: `Plan.stacks_in_use`), its `use` value for
    one adopted by choice, else 0."""
    if ecosystem in from_start:
        return 1.0
    return solution.use.get((ecosystem, year), 0.0)


def stack_payments(plan: Plan, solution: Solution) -> list[tuple[int, str, str, float]]:
    """(quarter, stack, kind, USD) of every payment for a software stack the plan names."""
    payments = []
    from_start = plan.stacks_in_use()
    for ecosystem, stack in plan.stacks.items():
        chosen = plan.adopted_by_choice(ecosystem)
        if not chosen and ecosystem not in from_start:
            continue
        before = 0.0
        for year in plan.horizon_years:
            share = in_use_share(from_start, solution, ecosystem, year)
            if stack.yearly_usd > 0 and share != 0:
                payments += [(t, ecosystem, "stack_running", share * stack.yearly_usd / 4.0)
                             for t, y in enumerate(plan.years) if y == year]
            if chosen and stack.adoption_usd > 0 and share != before:
                payments.append((plan.adoption_period(ecosystem, year), ecosystem, "stack_adoption",
                                 (share - before) * stack.adoption_usd))
            before = share
    return payments


@dataclass(frozen=True)
class StackYear:
    """One stack in one calendar year, as summary.json lists it."""

    id: str
    in_use: bool
    """In use that year (False: being adopted, its adoption paid, its first parts still to come)."""
    adopted: bool
    """Adopted within the horizon (False: in use from the start, or a stack the plan does not name)."""
    adoption_usd: float
    running_usd: float

    @property
    def cost_usd(self) -> float:
        return self.adoption_usd + self.running_usd

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "in_use": self.in_use, "adopted": self.adopted, "cost_usd": self.cost_usd,
                "adoption_usd": self.adoption_usd, "running_usd": self.running_usd}


def stacks_by_year(plan: Plan, solution: Solution, fleet: dict[tuple[str, int], float]) -> dict[int, list[StackYear]]:
    """Per calendar year, the stacks in use or paid for, in order of id: those the plan names, and
    any other ecosystem with accelerators in service that year (`fleet`: the ledger's
    `fleet_accelerators`, leases included), which costs nothing."""
    paid: dict[tuple[int, str, str], float] = defaultdict(float)
    for t, ecosystem, kind, usd in stack_payments(plan, solution):
        paid[plan.years[t], ecosystem, kind] += usd
    serving = {(plan.catalog[c].ecosystem, plan.years[t]) for (c, t), n in fleet.items() if n > SOLVER_NOISE}
    adopted = {e for (e, _), value in solution.use.items() if value > 0.5}
    from_start = plan.stacks_in_use()
    out: dict[int, list[StackYear]] = {}
    for year in plan.horizon_years:
        in_use = {e for e in {*plan.stacks, *from_start, *adopted} if in_use_share(from_start, solution, e, year) > 0.5}
        in_use |= {e for e, y in serving if y == year}
        ids = sorted(in_use | {e for y, e, _ in paid if y == year})
        out[year] = [StackYear(
            id=e, in_use=e in in_use, adopted=e in adopted,
            adoption_usd=paid.get((year, e, "stack_adoption"), 0.0),
            running_usd=paid.get((year, e, "stack_running"), 0.0),
        ) for e in ids]
    return out
