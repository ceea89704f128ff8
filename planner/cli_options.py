"""Options that several `plan` commands share, declared once (typer and the standard library only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Catalog file that extends (or, with `mode: replace`, replaces) the built-in one."),
]
SolverLogOption = Annotated[bool, typer.Option(
    "--solver-log", help="Show the solver's own log, on stderr (stdout carries only planner's output).",
    envvar="PLANNER_SOLVER_LOG")]
SolverOption = Annotated[str, typer.Option(
    help="LP solver: highs (in-process, the default), cbc, or any solver PuLP finds installed.",
    envvar="PLANNER_SOLVER")]
WholeOption = Annotated[bool, typer.Option(
    "--integer/--continuous",
    help="Whole racks, servers and modules, the gap to the LP's bound stated (the default); or the LP's "
         "fractions (--continuous), faster and an upper bound on what whole units can do.")]
GapOption = Annotated[float | None, typer.Option(
    help="Gap to the best bound at which a whole plan is good enough \\[default: 0.001, i.e. 0.1%].", min=0)]
