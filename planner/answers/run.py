"""One optimisation run end to end: plan -> model -> solve -> verify -> tables.

No printing and no files: `cli.py` shows the result and `output.py` writes it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from planner.answers.accounting import Ledger, ledger
from planner.answers.explain import Prices, price_limits
from planner.answers.outcome import ObjectiveValue, RunResult, objective_of
from planner.answers.ranging import TOP, realise_steps
from planner.answers.verify import verify
from planner.errors import Position, SolverError
from planner.files import replace_file
from planner.inputs.loading import display_name
from planner.inputs.plan import LoadedPlan, Plan
from planner.inputs.resolve import read_plan, with_objective
from planner.model.build import build_model
from planner.model.highs_run import SolverOptions, Status
from planner.model.size import refuse_oversized
from planner.model.solve import SolveResult, WarmStart, solve
from planner.model.solve import write_mps as solve_mps
from planner.model.solvers import fallback_for
from planner.model.variables import Model
from planner.options import Options


def load(plan_path: Path, catalog_path: Path | None, options: Options) -> LoadedPlan:
    """Read the plan, with the objective the options ask for."""
    return with_objective(read_plan(plan_path, catalog_path), options.objective)


def optimize(loaded: LoadedPlan, options: Options) -> RunResult:
    """Build, solve and (when a plan came back) verify, price and tabulate.

    Raises:
        SolverError: The solver failed, or returned a plan that breaks a limit.
    """
    solved = solve_verified(loaded, options)
    run = RunResult(loaded=loaded, options=solved.options, model=solved.model, result=solved.result,
                    ledger=solved.ledger, seconds=solved.seconds, notes=solved.notes)
    if solved.prices is not None and solved.result.solution is not None and solved.ledger is not None:
        # pandas (with pyarrow, some 75 MB) loads here, once the solver's memory is given back:
        # loaded before, it would add to HiGHS's run, the peak of a large plan (bench/README.md).
        from planner.answers.results import make_tables  # noqa: PLC0415

        run.tables = make_tables(loaded.plan, solved.result.solution, solved.ledger, solved.prices)
    return run


@dataclass
class Solved:
    """A run before its tables: what `optimize` and a sweep's worker both start from."""

    model: Model
    result: SolveResult
    options: Options
    """The options the plan was solved with (the other solver's, after a fallback)."""
    notes: list[str]
    seconds: dict[str, float]
    ledger: Ledger | None = None
    """Only with a plan, as `prices`."""
    prices: Prices | None = None


def solve_verified(loaded: LoadedPlan, options: Options, warm: WarmStart | None = None) -> Solved:
    """Build and solve (with the other solver if this one fails); with a plan, re-check every limit
    by plain arithmetic, then price the limits (the top ones re-solved a step further, with HiGHS).
    `warm`: a sweep worker's `WarmStart`, used when `options.warm_start`.

    Raises:
        SolverError: Both solvers failed, or the plan breaks a limit on re-check.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    refuse_oversized(loaded.plan, Position(display_name(loaded.files[0]), 1, 1) if loaded.files else None)
    model = build_model(loaded.plan, integer=options.integer)
    seconds["build"] = time.perf_counter() - started
    if options.write_mps is not None:
        write_mps(model, options.write_mps)
    notes = _plan_notes(loaded.plan)
    warm = warm if options.warm_start else None
    try:
        result = solve(model, options.solver, options.time_limit_s, options.threads, options.gap, warm,
                       log=options.solver_log)
    except SolverError as error:
        fallback = fallback_for(options.solver)
        # The other solver answers the same model; a missing or crashed solver costs no plan.
        notes.append(f"{error}; solved with {fallback.upper()} instead.")
        model = build_model(loaded.plan, integer=options.integer)
        result = solve(model, fallback, options.time_limit_s, options.threads, options.gap, log=options.solver_log)
        options = replace(options, solver=fallback)
    seconds.update(result.seconds)
    solved = Solved(model, result, options, notes, seconds)
    if not result.has_plan or result.solution is None:
        return solved
    started = time.perf_counter()
    solved.ledger = ledger(loaded.plan, result.solution)
    violations = verify(loaded.plan, result.solution, integer=options.integer, books=solved.ledger)
    seconds["verify"] = time.perf_counter() - started
    if violations:
        listed = "\n  ".join(str(v) for v in violations[:10])
        raise SolverError(
            f"{result.solver.name} returned a plan that breaks {len(violations)} limit(s) on re-check:\n  {listed}"
        )
    solved.prices = price_limits(loaded.plan, solved.ledger, model.rows, result.duals, result.slacks,
                                 result.binding_slacks)
    if options.solver == "highs" and options.resolve_steps:
        started = time.perf_counter()
        step_options = SolverOptions(options.time_limit_s, options.threads, options.gap)
        solved.prices = realise_steps(model, solved.prices, result.duals, TOP, options=step_options,
                                      solve_seconds=seconds.get("solve", 0.0))
        seconds["ranging"] = time.perf_counter() - started
    return solved


def _plan_notes(plan: Plan) -> list[str]:
    """What is suspicious but valid about a plan: a limit that is missing."""
    notes = []
    unlimited = [year for year in plan.horizon_years
                 if year not in plan.budget_usd and year not in plan.capex_budget_usd]
    if plan.objective.maximises and unlimited:
        years = ", ".join(str(y) for y in unlimited)
        notes.append(f"no budget for {years}: under max-compute, spending then is limited only by power, "
                     "hall space and supply, so the plan buys whatever fits")
    return notes


def write_mps(model: Model, path: Path) -> None:
    """Write the LP as MPS, whole or not at all, and only over a regular file (`planner.files`).

    Raises:
        InputError: PATH is not a regular file planner may replace, or cannot be written.
    """
    # HiGHS writes MPS by the name's ending.
    replace_file(path, lambda temporary: solve_mps(model.linear_program, str(temporary)), "--write-mps",
                 suffix=".mps")


__all__ = ["ObjectiveValue", "Options", "RunResult", "Solved", "Status", "load", "objective_of", "optimize",
           "solve_verified"]
