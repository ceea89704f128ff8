"""One sweep run in a worker: a resolved plan in (`Task`), plain numbers out (`Outcome`).

A run is built, solved and verified exactly as `planner.run.optimize` does it (same model, same
solver and fallback, the same re-check of every limit, the same re-solves that price the top
limits), but a sweep row needs a dozen numbers, not the report: they are summed straight from
the verified solution and its ledger, in the order `planner.results` and `planner.report.headline`
sum them, instead of through pandas tables (some 40% of an Ohio run's time went there). No PuLP
model crosses a process; tasks travel in chunks, so a process pool pays one round trip per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from planner.accounting import Ledger, Solution, delivered_pflops, ledger, weighted_compute_pflops_quarters
from planner.build import build_model
from planner.errors import SolverError
from planner.explain import price_limits, ranked
from planner.plan import LoadedPlan, Plan
from planner.ranging import realise_steps
from planner.results import CAPEX_KINDS, OPEX_KINDS, ZERO
from planner.run import FALLBACK, Options
from planner.solve import SolveResult, solve
from planner.variables import Model
from planner.verify import verify


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


def solve_tasks(tasks: Sequence[Task]) -> list[Outcome]:
    """Solve a chunk of tasks, one after the other (one round trip to a worker for all of them)."""
    return [solve_task(task) for task in tasks]


def solve_task(task: Task) -> Outcome:
    """Build, solve and verify one run; only plain numbers come back."""
    try:
        solved = _solve_verified(task.loaded, task.options)
    except SolverError:
        return Outcome(task.index, "error", {}, {}, {})
    model, result, options = solved
    if not result.has_plan or result.solution is None:
        return Outcome(task.index, str(result.status), {}, {}, {})
    plan, solution = task.loaded.plan, result.solution
    books = ledger(plan, solution)
    prices = price_limits(plan, books, model.rows, result.duals, result.slacks)
    if options.solver == "highs":
        prices = realise_steps(model, prices, result.duals)
    vendors, end = _fleet_at_end(plan, solution, books)
    delivered = [delivered_pflops(plan, solution, t) for t in range(len(plan.periods))]  # (training, inference)
    used = _facility_mw_used(plan, books)
    results = {
        "objective": _objective(model, result),
        "bf16_eflops_end": end["bf16_pflops"] / 1000.0,
        "fp8_eflops_end": end["fp8_pflops"] / 1000.0,
        "accelerators_end": end["accelerators"],
        "facility_mw_used_peak": max(used),
        "capex_usd": _spend_usd(plan, books.capex_usd, CAPEX_KINDS),
        "opex_usd": _spend_usd(plan, books.opex_usd, OPEX_KINDS),
        "delivered_pflops_quarters": _sum(d[0] for d in delivered) + _sum(d[1] for d in delivered),
        # What `planner.report.binding_limits` lists: binding, worth a step, not a source's power row.
        "binding_limits": float(len(ranked(prices))),
    }
    series = {
        "bf16_pflops_in_service": _bf16_in_service(plan, books),
        "delivered_pflops": tuple(float(training) + float(inference) for training, inference in delivered),
        "facility_mw_used": tuple(used),
    }
    return Outcome(task.index, str(result.status), results, vendors, series)


def _solve_verified(loaded: LoadedPlan, options: Options) -> tuple[Model, SolveResult, Options]:
    """`optimize` without the tables: build, solve (the other solver if this one fails), re-check.

    Raises:
        SolverError: Both solvers failed, or the plan breaks a limit on re-check.
    """
    model = build_model(loaded.plan, integer=options.integer)
    try:
        result = solve(model, options.solver, options.time_limit_s, options.threads, options.gap)
    except SolverError:
        fallback = FALLBACK.get(options.solver)
        if fallback is None:
            raise
        model = build_model(loaded.plan, integer=options.integer)
        result = solve(model, fallback, options.time_limit_s, options.threads, options.gap)
        options = replace(options, solver=fallback)
    if result.has_plan and result.solution is not None:
        violations = verify(loaded.plan, result.solution, integer=options.integer)
        if violations:
            raise SolverError(f"{result.solver.name} returned a plan that breaks {len(violations)} limit(s)")
    return model, result, options


def _objective(model: Model, result: SolveResult) -> float:
    """Compute delivered (max-compute), or the discounted cost (min-cost): `whatif.objective_value`."""
    if model.plan.objective == "max-compute":
        return weighted_compute_pflops_quarters(model.plan, result.solution) if result.solution is not None else 0.0
    return float(result.objective_value or 0.0)


def _sum(values: Iterable[float]) -> float:
    """What pandas' `Series.sum` gives for these values (numpy's pairwise sum, in this order)."""
    return float(np.fromiter(values, dtype=np.float64).sum())


def _group_sum(values: Iterable[float]) -> float:
    """What pandas' `groupby(...).sum()` gives for one group: Kahan's compensated sum, in order."""
    total = compensation = 0.0
    for value in values:
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if compensation != compensation:  # noqa: PLR0124 - NaN from an infinite value: pandas resets it
            compensation = 0.0
        total = t
    return total


def _fleet_at_end(plan: Plan, solution: Solution, books: Ledger) -> tuple[dict[str, float], dict[str, float]]:
    """Accelerators at the end by vendor, and the end's totals (accelerators, BF16 and FP8 PFLOPS),
    from the last quarter's rows of `allocation.csv` in their order: owned units, then leases."""
    end = len(plan.periods) - 1
    rows: list[tuple[str, float, float, float]] = []  # vendor, accelerators, bf16_pflops, fp8_pflops
    keys = sorted((k for k in set(books.units) | set(solution.new) if k[3] == end), key=lambda k: (k[0], k[1], k[2]))
    for key in keys:
        units, new = books.units.get(key, 0.0), solution.new.get(key, 0.0)
        if units <= ZERO and new <= ZERO:
            continue
        accelerator = plan.catalog[key[2]]
        chips = units * accelerator.accelerators_per_unit
        rows.append((accelerator.vendor, chips, chips * accelerator.bf16_pflops, chips * accelerator.fp8_pflops))
    for (k, t), leased in sorted(solution.lease.items(), key=lambda item: item[0][0]):
        if t != end or leased <= ZERO:
            continue
        accelerator = plan.catalog[plan.cloud_offers[k].accelerator]
        rows.append((accelerator.vendor, leased, leased * accelerator.bf16_pflops, leased * accelerator.fp8_pflops))
    vendors = {vendor: _group_sum(r[1] for r in rows if r[0] == vendor) for vendor in sorted({r[0] for r in rows})}
    totals = {"accelerators": _sum(r[1] for r in rows), "bf16_pflops": _sum(r[2] for r in rows),
              "fp8_pflops": _sum(r[3] for r in rows)}
    return vendors, totals


def _facility_mw_used(plan: Plan, books: Ledger) -> list[float]:
    """Facility MW used per quarter, summed over sites (`sites.csv` grouped by quarter)."""
    return [_group_sum(books.facility_mw(plan, s, t) for s in range(len(plan.sites))) for t in range(len(plan.periods))]


def _spend_usd(plan: Plan, spend: dict[tuple[int, str], float], kinds: tuple[str, ...]) -> float:
    """Capex (or opex) over the horizon, summed as `headline` sums `budget.csv`: each kind's years
    (a kind's quarters summed per year), kind after kind."""
    years = [[t for t, y in enumerate(plan.years) if y == year] for year in plan.horizon_years]
    by_kind = [[sum(spend.get((t, kind), 0.0) for t in quarters) for quarters in years] for kind in kinds]
    return float(np.array(by_kind, dtype=np.float64).sum())


def _bf16_in_service(plan: Plan, books: Ledger) -> tuple[float, ...]:
    """BF16 PFLOPS in service per quarter (availability-weighted, leases included), by vendor, then summed."""
    by_period: list[dict[str, float]] = [defaultdict(float) for _ in plan.periods]
    for (c, t), chips in books.fleet_accelerators.items():
        by_period[t][plan.catalog[c].vendor] += chips * plan.catalog[c].bf16_pflops
    return tuple(float(sum(by_vendor.values())) for by_vendor in by_period)
