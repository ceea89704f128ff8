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
