"""The two objectives a plan can have, declared once."""

from __future__ import annotations

from enum import StrEnum


class Objective(StrEnum):
    """What the LP optimises (DESIGN.md, "Objectives")."""

    MAX_COMPUTE = "max-compute"
    """Maximise delivered compute over the horizon (PFLOPS-quarters), within every limit."""
    MIN_COST = "min-cost"
    """Minimise the discounted cost of meeting demand."""

    @property
    def maximises(self) -> bool:
        return self is Objective.MAX_COMPUTE

    @property
    def value_unit(self) -> str:
        """The unit of the objective's value, and of what one more step of a limit is worth."""
        return "PFLOPS-quarters" if self.maximises else "USD"
