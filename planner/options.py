"""How to solve: what the user chose on the command line or in `planner.solve` (light: the CLI
builds it before the solver stack is imported).

Every field is checked when an `Options` is made, so a typo (`objective="min-costt"`) is refused
with the bad value and the choices, instead of being carried into a report. Whether a solver is
installed is checked where it is used (`planner.model.solvers.solver_problem` imports PuLP).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from planner.errors import InputError, Problem
from planner.objective import Objective

_SOLVER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Options:
    """How to solve: what the user chose on the command line.

    Raises:
        InputError: A field out of its range, each problem naming the field, what was expected and
            what was found (`objective: expected max-compute or min-cost, found 'min-costt'`).
    """

    objective: str | None = None
    """`max-compute` or `min-cost` (an `Objective`); None keeps the plan's own."""
    solver: str = "highs"
    time_limit_s: float | None = None
    threads: int = 1
    integer: bool = True
    """Whole units and modules (`planner.model.whole`); False: the LP, with fractions."""
    resolve_steps: bool = True
    """Re-solve the top limits' steps (`planner.answers.ranging`); what-ifs and sweeps, which show
    no step values, skip them."""
    gap: float | None = None
    write_mps: Path | None = None
    """Write the exact LP solved to this MPS file (before solving)."""
    charts: bool = True
    """Write report.pdf and the PNG charts (CSV and JSON are always written)."""
    formats: tuple[str, ...] = ("csv",)
    """Table formats written: CSV always, and `parquet` or `xlsx` as asked (`planner.reports.formats`)."""
    solver_log: bool = False
    """Let the solver write its log, to stderr (stdout carries only what planner prints)."""
    risks: bool = True
    """Weigh the inputs marked as estimates for the report's main risks (`planner.scenarios.risks`,
    about 2 s for Ohio): `plan optimize --no-risks` skips it; what-ifs and sweeps never run it."""
    warm_start: bool = False
    """Sweeps: start HiGHS from the previous run's optimal basis when the LP differs only in its
    numbers (`planner.model.solve.WarmStart`). Faster, but where a plan has several optimal answers a
    run may show another one of the same objective than `plan optimize` shows."""

    def __post_init__(self) -> None:
        problems = [Problem(None, key, message) for key, message in self._problems()]
        if problems:
            raise InputError(problems)
        if self.objective is not None:  # the enum member (a str): `Objective.MIN_COST == "min-cost"`
            object.__setattr__(self, "objective", Objective(self.objective))

    def _problems(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        choices = " or ".join(member.value for member in Objective)
        if self.objective is not None and self.objective not in set(Objective):
            found.append(("objective", f"expected {choices}, found {self.objective!r}"))
        if not isinstance(self.solver, str) or not _SOLVER_NAME.match(self.solver):
            found.append(("solver", f"expected a solver's name (highs, cbc, or one PuLP lists), found {self.solver!r}"))
        if self.time_limit_s is not None and not (_is_number(self.time_limit_s) and self.time_limit_s > 0):
            found.append(("time_limit_s", f"expected seconds above 0, found {self.time_limit_s!r}"))
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or not 1 <= self.threads <= 256:
            found.append(("threads", f"expected a whole number from 1 to 256, found {self.threads!r}"))
        if self.gap is not None and not (_is_number(self.gap) and self.gap >= 0):
            found.append(("gap", f"expected a relative gap of 0 or more, found {self.gap!r}"))
        for name in ("integer", "resolve_steps", "charts", "solver_log", "warm_start", "risks"):
            if not isinstance(getattr(self, name), bool):
                found.append((name, f"expected True or False, found {getattr(self, name)!r}"))
        return found


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
