"""How to solve: what the user chose on the command line (light: the CLI builds it before the
solver stack is imported)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Options:
    """How to solve: what the user chose on the command line."""

    objective: str | None = None
    solver: str = "highs"
    time_limit_s: float | None = None
    threads: int = 1
    integer: bool = False
    gap: float | None = None
    write_mps: Path | None = None
    """Write the exact LP solved to this MPS file (before solving)."""
    charts: bool = True
    """Write report.pdf and the PNG charts (CSV and JSON are always written)."""
    formats: tuple[str, ...] = ("csv",)
    """Table formats written: CSV always, and `parquet` or `xlsx` as asked (`planner.reports.formats`)."""
    solver_log: bool = False
    """Let the solver write its log, to stderr (stdout carries only what planner prints)."""
    warm_start: bool = False
    """Sweeps: start HiGHS from the previous run's optimal basis when the LP differs only in its
    numbers (`planner.model.solve.WarmStart`). Faster, but where a plan has several optimal answers a
    run may show another one of the same objective than `plan optimize` shows."""
