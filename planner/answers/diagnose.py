"""When no plan meets every limit: which limits have to give, where, when and by how much.

Two elastic re-solves of the same model, each minimising penalised slack on user-facing rows:
1. "What is short": targets (demand, minimum units and shares, committed spend) give first;
   limits (power, space, budget, supply) only where no target can absorb it. The answer is
   the shortfall, in the target's own unit ("training demand in 2026Q2 short by 1.8 EFLOPS").
2. "What would close it": targets are held; limits give, cheapest kind first (money, then
   space, then power, then supply), so the blame is not arbitrary ("+340 MW at prometheus").
HiGHS's irreducible infeasible subsystem (`getIis`) on the original model names the rows that
conflict, as a second opinion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.answers.diagnosis import Conflict, DemandGap, Diagnosis, Shortfall, shortfall_words
from planner.answers.fix_costs import price_fixes
from planner.inputs.plan import Plan
from planner.model.build import build_model
from planner.model.families import BUDGET, DEMAND, ELASTIC, FAMILIES, INTERNAL, TARGETS
from planner.model.highs_run import SolverOptions, Status, highs_model, run_highs
from planner.model.native_output import diverted_stdout
from planner.model.rows import RowInfo
from planner.model.variables import Model
from planner.tolerances import BINDING_SLACK

log = logging.getLogger(__name__)

RANK_FACTOR = 10.0
"""Each rank's penalty is 10x the one below (at most 1e5 per normal step: HiGHS stays accurate)."""
LIMIT_PENALTY = 1e4
"""In the first solve, a normal step of any limit costs this many normal steps of a target."""


@dataclass(frozen=True)
class ElasticAnswer:
    """An elastic re-solve: each elastic row's slack (by row name) and every row's dual."""

    model: Model
    slacks: dict[str, float]
    duals: np.ndarray


def _elastic_solve(plan: Plan, elastic_families: dict[str, float]) -> ElasticAnswer | None:
    """Build the model, give each row of `elastic_families` a penalised slack (penalty per normal
    step) and minimise the total penalty."""
    model = build_model(plan)
    lp = model.linear_program
    rows = [i for i, row in enumerate(lp.rows) if row.family in elastic_families]
    penalty = np.array([elastic_families[lp.rows[i].family] / ELASTIC[lp.rows[i].family].normal for i in rows])
    elastic = lp.elastic(np.array(rows, dtype=np.int64), penalty)
    answer = run_highs(highs_model(elastic, SolverOptions()), elastic)
    if answer.status != Status.OPTIMAL or answer.values is None or answer.duals is None:
        return None
    slack = answer.values[lp.shape[1]:]
    return ElasticAnswer(model, {lp.rows[i].name: float(slack[j]) for j, i in enumerate(rows)}, answer.duals)


def _short_by(solved: ElasticAnswer, row: RowInfo) -> float:
    """How far `row` had to give in `solved` (0 within the solver's tolerance, or if it could not give)."""
    amount = solved.slacks.get(row.name, 0.0)
    return amount if amount > BINDING_SLACK * max(1.0, abs(row.rhs)) else 0.0


def _shortfalls(solved: ElasticAnswer) -> list[Shortfall]:
    model = solved.model
    found: list[tuple[int, RowInfo, float]] = []
    for row in model.rows:
        amount = _short_by(solved, row)
        if amount > 0:
            t = model.plan.periods.index(row.period) if row.period in model.plan.periods else -1
            found.append((t, row, amount))
    return _merge_runs(model.plan, found)


def _precision(plan: Plan, row: RowInfo) -> str:
    """The precision a demand row counts compute in (empty for other rows)."""
    if row.family != DEMAND.name:
        return ""
    return plan.training_precision if row.key.workload == "training" else plan.inference_precision


def _merge_runs(plan: Plan, found: list[tuple[int, RowInfo, float]]) -> list[Shortfall]:
    """One Shortfall per limit and run of consecutive quarters short by the same amount."""
    periods = plan.periods
    found.sort(key=lambda item: (item[1].family, str(item[1].key), item[0]))
    merged: list[tuple[int, int, RowInfo, float]] = []
    for t, row, amount in found:
        run = merged[-1] if merged else None
        if (run and t >= 0 and run[2].family == row.family and run[2].key == row.key and run[1] == t - 1
                and abs(run[3] - amount) <= 1e-6 * max(1.0, abs(amount))):
            merged[-1] = (run[0], t, run[2], run[3])
        else:
            merged.append((t, t, row, amount))
    out = []
    for first, last, row, amount in merged:
        period = row.period if first == last or first < 0 else f"{periods[first]}-{periods[last]}"
        unit = FAMILIES[row.family].unit
        words = shortfall_words(row.family, row.key, periods[first] if first >= 0 else row.period, amount, unit,
                                _precision(plan, row))
        if first != last:
            words = words.replace(f"in {periods[first]}", f"from {periods[first]} to {periods[last]}")
        out.append(Shortfall(row.family, row.key, period, amount, unit, words,
                             periods[first] if first >= 0 else row.period, periods[last] if last >= 0 else row.period))
    return sorted(out, key=lambda s: (s.first_period, s.family, str(s.key), s.last_period))


def _demand_gaps(solved: ElasticAnswer) -> list[DemandGap]:
    """Per workload short in some quarter: its demand and what the plan delivers toward it, with
    every limit held (demand less the shortfall), per quarter of the horizon."""
    plan = solved.model.plan
    short: dict[str, dict[str, float]] = {}
    for row in solved.model.rows:
        if row.family == DEMAND.name and row.key.workload is not None:
            short.setdefault(row.key.workload, {})[row.period] = _short_by(solved, row)
    gaps = []
    for workload, demand in (("training", plan.training_pflops), ("inference", plan.inference_pflops)):
        by_period = short.get(workload, {})
        if not any(amount > 0 for amount in by_period.values()):
            continue
        met = tuple(max(0.0, target - by_period.get(p, 0.0)) for p, target in zip(plan.periods, demand, strict=True))
        precision = plan.training_precision if workload == "training" else plan.inference_precision
        gaps.append(DemandGap(workload, precision, plan.periods, tuple(demand), met))
    return gaps


def _binding_limits(solved: ElasticAnswer, short: list[Shortfall]) -> list[str]:
    """Limits full in the quarters where something is short, from the first elastic solve."""
    periods = {p for s in short for p in _quarters(solved.model.plan, s)}
    quarters = solved.model.plan.periods
    found: list[tuple[tuple[int, str], str]] = []
    for row, dual in zip(solved.model.rows, solved.duals.tolist(), strict=True):
        full = FAMILIES[row.family].full
        if full is None or row.family in TARGETS:
            continue
        if row.period not in periods and row.period != "all" and row.family != BUDGET.name:
            continue
        if abs(dual) < 1e-9:
            continue
        when = (quarters.index(row.period), "") if row.period in quarters else (len(quarters), row.period)
        found.append((when, FAMILIES[row.family].words(full, row.key, row.period)))
    found.sort(key=lambda item: item[0])  # earliest first: the headline names the first quarter's cause
    return list(dict.fromkeys(words for _, words in found))


def _quarters(plan: Plan, short: Shortfall) -> list[str]:
    """The quarters a shortfall spans (its period alone where it is not a run of quarters)."""
    periods = plan.periods
    if short.first_period in periods and short.last_period in periods:
        return list(periods[periods.index(short.first_period):periods.index(short.last_period) + 1])
    return [short.period]


def iis_rows(model: Model) -> list[RowInfo]:
    """The rows of HiGHS's irreducible infeasible subsystem of an infeasible model (limits only)."""
    highs: Any = model.highs
    if highs is None:
        highs = highs_model(model.linear_program, SolverOptions())
        highs.run()
    try:
        highs.setOptionValue("iis_strategy", 4)
        _, iis = highs.getIis()
    except Exception as error:  # noqa: BLE001 - a second opinion must never hide the first
        log.warning("HiGHS could not compute an infeasible subsystem: %s", error)
        return []
    rows = [model.rows[i] for i in iis.row_index_ if 0 <= i < len(model.rows)]
    # Rows that tie the model together (dispatch, assignment, stock) are not limits a user sets.
    return [row for row in rows if row.family not in INTERNAL]


def limit_words(row: RowInfo) -> str:
    """A row as a person names the limit: `firm power (prometheus, 2026Q1)`."""
    where = ", ".join(part for part in (row.key.label, row.period) if part and part != "all")
    return f"{FAMILIES[row.family].title} ({where})" if where else FAMILIES[row.family].title


def diagnose(plan: Plan, infeasible_model: Model | None = None) -> Diagnosis:
    """Explain why `plan` has no feasible plan (call only when it has none)."""
    with diverted_stdout():  # HiGHS prints its banner on descriptor 1 (planner.model.native_output)
        return _diagnose(plan, infeasible_model)


def _diagnose(plan: Plan, infeasible_model: Model | None) -> Diagnosis:
    diagnosis = Diagnosis(plan=plan.name)
    first = {f: (1.0 if f in TARGETS else LIMIT_PENALTY) for f in ELASTIC}
    solved = _elastic_solve(plan, first)
    if solved is not None:
        diagnosis.short = _shortfalls(solved)
        diagnosis.binding_while_short = _binding_limits(solved, diagnosis.short)
        diagnosis.demand = _demand_gaps(solved)
    second = {f: RANK_FACTOR ** e.rank for f, e in ELASTIC.items() if f not in TARGETS}
    solved = _elastic_solve(plan, second)
    if solved is None:
        diagnosis.closable = False
    else:
        diagnosis.would_close = _shortfalls(solved)
    diagnosis.fixes = price_fixes(plan, diagnosis.would_close, diagnosis.short)
    if infeasible_model is not None:
        diagnosis.iis = [Conflict(row.family, row.key, row.period, limit_words(row))
                         for row in iis_rows(infeasible_model)]
    return diagnosis
