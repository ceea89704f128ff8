"""One sweep run in a worker: a resolved plan in (`Task`), plain numbers out (`Outcome`).

A run is built, solved and verified exactly as `planner.answers.run.optimize` does it (same model, same
solver and fallback, the same re-check of every limit), but no limit's step is re-solved: a sweep
row shows no step value, and the re-solves cost more than the run. A row needs a dozen numbers,
not the report: they come from `planner.answers.headline`, as summary.json's totals do, without the
report's pandas tables (some 40% of an Ohio run's time went there). No PuLP model crosses a
process; tasks travel in chunks, so a process pool pays one round trip per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from planner.answers.explain import ranked
from planner.answers.headline import headline
from planner.answers.run import Options, objective_of, solve_verified
from planner.errors import SolverError
from planner.inputs.plan import LoadedPlan
from planner.model.solve import WarmStart


@dataclass(frozen=True)
class Task:
    """What a worker gets: a resolved plan and how to solve it (plain data, picklable)."""

    index: int
    loaded: LoadedPlan
    options: Options


@dataclass(frozen=True)
class Outcome:
    """What a worker sends back: headline numbers and per-quarter series."""

    index: int
    status: str
    results: dict[str, float]
    vendors: dict[str, float]
    periods: dict[str, tuple[float, ...]]
    solver: str = ""
    """The solver that answered, with its version (`HiGHS 1.16.0`); empty where none did."""


def solve_tasks(tasks: Sequence[Task]) -> list[Outcome]:
    """Solve a chunk of tasks, one after the other (one round trip to a worker for all of them);
    with `Options.warm_start`, each run starts from the previous run's basis where it fits."""
    warm = WarmStart()
    return [solve_task(task, warm) for task in tasks]


def solve_task(task: Task, warm: WarmStart | None = None) -> Outcome:
    """Build, solve, verify and price one run, as `plan optimize` does; only plain numbers come back."""
    try:
        solved = solve_verified(task.loaded, replace(task.options, resolve_steps=False), warm)
    except SolverError:
        return Outcome(task.index, "error", {}, {}, {})
    result, plan = solved.result, task.loaded.plan
    solver = f"{result.solver.name} {result.solver.version}"
    if result.solution is None or solved.ledger is None or solved.prices is None:
        return Outcome(task.index, str(result.status), {}, {}, {}, solver)
    solution, books, prices = result.solution, solved.ledger, solved.prices
    numbers = headline(plan, solution, books)
    results = {
        "objective": objective_of(plan, result).value,
        "bf16_eflops_end": numbers.bf16_eflops_end,
        "fp8_eflops_end": numbers.fp8_eflops_end,
        "accelerators_end": numbers.accelerators_end,
        "facility_mw_used_peak": numbers.facility_mw_used_peak,
        "capex_usd": numbers.capex_usd,
        "opex_usd": numbers.opex_usd,
        "delivered_pflops_quarters": numbers.delivered_training_pflops_quarters
        + numbers.delivered_inference_pflops_quarters,
        # What `planner.reports.report.binding_limits` lists: binding, worth a step, not a source's power
        # row. A sweep re-solves no step, so every limit worth a step at the margin counts.
        "binding_limits": float(len(ranked(prices))),
    }
    series = {
        "bf16_pflops_in_service": numbers.bf16_pflops_in_service,
        "delivered_pflops": numbers.delivered_pflops,
        "facility_mw_used": numbers.facility_mw_used,
    }
    vendors = dict(sorted(numbers.accelerators_end_by_vendor.items()))
    return Outcome(task.index, str(result.status), results, vendors, series, solver)
