"""Options that several `plan` commands share, declared once (typer and the standard library only).

Every command that solves (`optimize`, `explain`, `whatif`, `sweep`) takes the same solving options
with the same names, choices, defaults and checks: `--objective`, `--solver`, `--threads`,
`--time-limit`, `--integer`, `--solver-log`, `--catalog`; and every one that writes a folder the
same output options: `--out`, `--no-report`, `--format`, `--json`, `-q`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planner.errors import InputError, Problem
from planner.exits import bad_input
from planner.objective import Objective

if TYPE_CHECKING:
    from planner.inputs.loading import Document

STDIN_ARGUMENT = "-"
"""A plan path of `-` reads the plan from standard input."""


def _checked_solver(name: str) -> str:
    """`--solver`, checked while the command line is read (exit 2 naming the option)."""
    from planner.model.solvers import solver_problem  # noqa: PLC0415

    problem = solver_problem(name)
    if problem is not None:
        bad_input(InputError([Problem(None, "--solver", problem)]))
    return name


def _checked_formats(text: str) -> str:
    """`--format`, checked while the command line is read (exit 2 naming the option)."""
    from planner.reports.formats import format_problem  # noqa: PLC0415 - stdlib only at import

    problem = format_problem(text)
    if problem is not None:
        bad_input(InputError([Problem(None, "--format", problem)]))
    return text


def _checked_seconds(value: float | None) -> float | None:
    """`--time-limit`, a number of seconds in range, checked here rather than by click's range, which
    words NaN as "should be <= 1000000" in some releases and lets it through in others."""
    if value is not None and not 0.01 <= value <= 1e6:  # NaN compares false with both ends
        bad_input(InputError([Problem(None, "--time-limit", f"expected seconds from 0.01 to 1e6, found {value}")]))
    return value


PlanArgument = Annotated[Path, typer.Argument(help="Plan file, e.g. sites/ohio.yaml; - reads it from stdin.")]
BasePlanArgument = Annotated[Path, typer.Argument(
    help="Base plan file, e.g. sites/ohio.yaml; - reads it from stdin.")]
CatalogOption = Annotated[
    Path | None,
    typer.Option("--catalog", help="Catalog file that extends (or, with `mode: replace`, replaces) the built-in one."),
]
ObjectiveOption = Annotated[Objective | None, typer.Option(help="Override the plan's objective.")]
SolverOption = Annotated[str, typer.Option(
    help="Solver: highs (in-process, the default), cbc (pip install 'ai-capacity-planner\\[cbc]'), or any "
         "solver PuLP finds installed.", envvar="PLANNER_SOLVER", callback=_checked_solver)]
ThreadsOption = Annotated[int, typer.Option(
    help="Solver threads (per run).", min=1, max=256, envvar="PLANNER_THREADS")]
TimeLimitOption = Annotated[float | None, typer.Option(
    help="Solver time limit (per run), seconds, 0.01 to 1e6.", callback=_checked_seconds)]
IntegerOption = Annotated[bool, typer.Option(
    "--integer/--continuous",
    help="Whole racks, servers, modules and generation units, the gap to the best bound stated (the default); "
         "or the LP's fractions (--continuous), faster and an upper bound on what whole units can do.")]
GapOption = Annotated[float | None, typer.Option(
    help="Gap to the best bound at which a whole plan is good enough \\[default: 0.001, i.e. 0.1%].", min=0)]
SolverLogOption = Annotated[bool, typer.Option(
    "--solver-log", help="Show the solver's own log, on stderr (stdout carries only planner's output).",
    envvar="PLANNER_SOLVER_LOG")]
NoReportOption = Annotated[bool, typer.Option("--no-report", help="Skip charts and PDF (tables and JSON only).")]
NoChartsAlias = Annotated[bool, typer.Option("--no-charts", hidden=True, help="Old spelling of --no-report.")]
NoRisksOption = Annotated[bool, typer.Option(
    "--no-risks", envvar="PLANNER_NO_RISKS",
    help="Skip the main risks: the small sweep over the inputs marked as estimates that the report's first page "
         "shows (about 2 s for sites/ohio.yaml).")]
FormatOption = Annotated[str, typer.Option(
    "--format", metavar="FORMATS",
    help="Table formats, comma-separated: csv (always written, the contract), parquet, xlsx (one workbook, a "
         "sheet per table); parquet and xlsx need pip install 'ai-capacity-planner\\[formats]'.",
    callback=_checked_formats)]
JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print the folder's summary.json (diagnosis.json when no plan fits) to stdout, and nothing else.")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only where the output went; no progress.")]


def plan_document(path: Path) -> Document:
    """The plan at `path` read as YAML with positions; `-` reads it from standard input, its includes
    from the working folder, and keeps the SHA-256 of exactly the bytes read for the provenance.

    Raises:
        InputError: The plan cannot be read or parsed.
    """
    from planner.inputs.loading import load_file, load_stdin, read_stream  # noqa: PLC0415

    if str(path) != STDIN_ARGUMENT:
        return load_file(path)
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError([Problem(None, "PLAN", "expected a plan on stdin (plan optimize - < plan.yaml), "
                                                "found a terminal")])
    return load_stdin(read_stream(sys.stdin.buffer), Path.cwd())


def solving(quiet: bool, words: str = "solving") -> contextlib.AbstractContextManager[object]:
    """A spinner on stderr while a solve runs, when stderr is a terminal and the command is not quiet
    (nor showing the solver's own log)."""
    if quiet or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from planner.reports.console import make_console  # noqa: PLC0415

    return make_console(stderr=True).status(f"{words} ...", spinner="dots")
