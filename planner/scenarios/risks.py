"""Main risks: a small sweep over the inputs marked as estimates, for the report's first page.

1. List the estimate-marked numbers of the plan and of its parts' catalog entries, as `--set`
   paths (`planner.scenarios.estimates`), and rank them by first-order exposure (the base plan's
   prices: what the limits each one feeds are worth).
2. Run the first `MAX_SCREENED` numbers, and the first `MAX_SCHEDULE_SCREENED` dates and lead times,
   alone at `LOW_FACTOR` and at `HIGH_FACTOR` (a date: two quarters earlier and later): the
   sensitivity. An estimate matters when either end moves the headline by more than
   `MATTERS_SHARE` of it.
3. Draw `DRAWS` joint samples, every estimate that matters at a factor uniform in the same range
   (a generator seeded with `SEED`, so reruns are byte-identical), and report P10/P50/P90 of the
   headline.

Each run is the sweep's (`planner.scenarios.sweep_runs.Base`: the base tree plus overrides,
validated and resolved against a catalog read once; `planner.scenarios.sweep_worker.solve_task`:
built, solved, verified), on the LP relaxation with HiGHS, in this process: 45 solves at most,
1-2 s for `sites/ohio.yaml` on one core.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from planner.answers.outcome import RunResult, objective_of
from planner.answers.risks import EstimateEffect, Risks
from planner.errors import InputError
from planner.inputs.loading import Document
from planner.options import Options
from planner.scenarios.estimates import Estimate, Exposure, Flow, binding_limits, list_estimates
from planner.scenarios.overrides import Override
from planner.scenarios.sweep_runs import Base
from planner.scenarios.sweep_worker import Task, solve_task

LOW_FACTOR = 0.8
HIGH_FACTOR = 1.2
"""Each estimate is moved to x0.8 and x1.2 of its value: the catalog's and the plans' estimates
sit within about +-20% of the public figures they are built from where a range is published
(a GB200 NVL72 rack at $2-3M, Rubin racks at 190-230 kW, halls at $10-12M per MW), and the same
range is used for every estimate so that their effects compare."""
MATTERS_SHARE = 0.005
"""An estimate matters when moving it alone changes the headline by more than 0.5%: the first page
shows figures to three digits, so a smaller change would not show in them."""
MAX_SCREENED = 10
"""Numbers run alone at most: the first by exposure. Ohio lists 113 (its plan's, and its parts'
catalog entries'); two runs each for all of them would add some 7 s to a 13 s `plan optimize`."""
MAX_SCHEDULE_SCREENED = 4
"""Dates and lead times run alone at most, the first by exposure, beside `MAX_SCREENED` numbers: a
schedule's exposure (what flows through the site or part it dates) does not compare with a number's
(a price times a limit), so each kind has its own places rather than one ranking."""
DRAWS = 16
"""Joint draws: P10 and P90 of 16 draws are each an interpolation between two draws, which is as
far as a sample added to every `plan optimize` can go in about a second."""
SEED = 15
"""The draws' seed (issue 15), fixed so that a rerun draws the same values."""
METHOD = ("LP relaxation (units, modules and training clusters continuous), HiGHS; each estimate alone at "
          "x{low:g} and x{high:g} (a date {quarters} quarters earlier and later, a lead time in whole quarters), "
          "then {draws} joint draws uniform in that range over those that matter (seed {seed})")


def weigh_estimates(run: RunResult, document: Document, catalog_path: Path | None) -> Risks | None:
    """The main risks of a solved plan: sensitivity to each estimate screened, and the spread of the
    headline over joint draws. None when the run has no plan, or the base LP relaxation has none.

    Args:
        run: The plan as solved (its prices rank the estimates).
        document: The plan's tree as read (the runs' overrides apply to it).
        catalog_path: The `--catalog` file, if any.
    """
    if run.tables is None:
        return None
    options = Options(objective=run.plan.objective, solver="highs", time_limit_s=run.options.time_limit_s,
                      threads=run.options.threads, integer=False, resolve_steps=False, charts=False)
    base = Base(document, catalog_path, options)
    exposure = exposure_of(run)
    estimates = list_estimates(base.document.data, base.source, _parts(run))
    ranked = sorted(estimates, key=lambda e: -exposure.of(e))  # stable: ties keep the files' order
    screened = ([e for e in ranked if e.kind == "scale"][:MAX_SCREENED]
                + [e for e in ranked if e.kind != "scale" and _moves(e)][:MAX_SCHEDULE_SCREENED])
    solver = _Solver(base, options)
    centre, _ = solver.headline([])
    if centre is None:
        return None
    effects = []
    for estimate in screened:
        (low, low_status), (high, high_status) = (solver.headline(estimate.overrides(f))
                                                  for f in (LOW_FACTOR, HIGH_FACTOR))
        effects.append(EstimateEffect(estimate.path, estimate.paths, estimate.words, estimate.value_text,
                                      estimate.values, estimate.source, low, high, low_status, high_status,
                                      estimate.move_words(LOW_FACTOR), estimate.move_words(HIGH_FACTOR)))
    method = METHOD.format(low=LOW_FACTOR, high=HIGH_FACTOR, quarters=Estimate.shift_at(HIGH_FACTOR), draws=DRAWS,
                           seed=SEED)
    risks = Risks(run.plan.objective, objective_of(run.plan, run.result).unit, method, LOW_FACTOR, HIGH_FACTOR,
                  MATTERS_SHARE, SEED, centre, len(estimates), tuple(effects), varied=(), draws=(), runs=0)
    matter = [estimate for estimate, effect in zip(screened, effects, strict=True) if risks.matters(effect)]
    draws = [solver.headline([o for estimate, factor in zip(matter, row, strict=True)
                              for o in estimate.overrides(float(factor))])
             for row in _factors(len(matter))]
    return replace(risks, varied=tuple(e.path for e in matter), draws=tuple(value for value, _ in draws),
                   draw_statuses=tuple(status for _, status in draws), runs=solver.runs,
                   solved_again=solver.solved_again)


def _moves(estimate: Estimate) -> bool:
    """Whether either end of the range moves it (a lead time of 1 quarter x0.8 and x1.2 is still 1)."""
    return any(estimate.moved(factor) != estimate.values for factor in (LOW_FACTOR, HIGH_FACTOR))


def _factors(count: int) -> np.ndarray:
    """DRAWS rows of `count` factors, uniform in [LOW_FACTOR, HIGH_FACTOR], from the fixed seed."""
    if count == 0:
        return np.zeros((0, 0))
    return np.random.default_rng(SEED).uniform(LOW_FACTOR, HIGH_FACTOR, size=(DRAWS, count))


class _Solver:
    """Solves the base plan with overrides, as a sweep run, on the LP relaxation; counts the runs."""

    def __init__(self, base: Base, options: Options) -> None:
        self.base, self.options, self.runs, self.solved_again = base, options, 0, 0

    def headline(self, overrides: list[Override]) -> tuple[float | None, str]:
        """The headline and the run's status (`invalid`: a moved value the plan's checks refuse)."""
        try:
            loaded = self.base.loaded(overrides)
        except InputError:
            return None, "invalid"
        # The LP relaxation of a training-cluster row `N b <= x <= M b` with b in [0, 1] holds for
        # any x <= M (b = x / M): relaxing its binaries is dropping the rule, so no binary is left.
        relaxed = replace(loaded, plan=replace(loaded.plan, cluster_min_accelerators=0))
        self.runs += 1
        outcome = solve_task(Task(self.runs, relaxed, self.options))
        if outcome.status == "no_solution" and loaded.plan.cluster_min_accelerators:
            # HiGHS's dual simplex can give up on a badly scaled relaxation ("excessive dual values":
            # Ohio under min-cost, at some energy prices) that it solves with the cluster binaries kept.
            self.runs += 1
            self.solved_again += 1
            outcome = solve_task(Task(self.runs, loaded, self.options))
        if outcome.status != "optimal":
            return None, outcome.status
        return outcome.results["objective"], outcome.status


def _parts(run: RunResult) -> frozenset[str]:
    """The parts the plan may buy and those it holds: whose catalog estimates can move it."""
    held = {lot.accelerator for site in run.plan.sites for hall in site.halls for lot in hall.installed}
    return frozenset({a.id for a in run.plan.accelerators} | held)


def exposure_of(run: RunResult) -> Exposure:
    """What ranks the estimates: the base plan's binding limits, and its headline by site, hall and
    part (effective compute delivered under max-compute, capex under min-cost, over the horizon)."""
    assert run.tables is not None
    allocation = run.tables.allocation
    maximises = run.plan.objective.maximises
    measure = "effective_bf16_pflops" if maximises else "capex_usd"
    table = allocation.groupby(["site", "hall", "accelerator", "period"], as_index=False)[measure].sum()
    total = float(table[measure].sum())
    flows = tuple(Flow({"site": str(r["site"]), "hall": str(r["hall"]), "accelerator": str(r["accelerator"]),
                        "ecosystem": run.plan.catalog[str(r["accelerator"])].ecosystem},
                       float(r[measure]) / total if total > 0 else 0.0, str(r["period"]))
                  for r in table.to_dict("records"))
    headline = run.compute_pflops_quarters if maximises else float(run.result.objective_value or 0.0)
    return Exposure(maximises, headline, binding_limits(run.tables.constraints), flows,
                    date_window_quarters=Estimate.shift_at(HIGH_FACTOR))
