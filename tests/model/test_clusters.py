"""Training clusters (limit 15), solved on paper with the site of tests/data/one-quarter.yaml
(one quarter, grid at $40/MWh raised to 100 MW, PUE 1.25) and the small catalog: alpha, a rack of 10
accelerators of 1 PFLOPS, $300k and $10,950 of energy a quarter; beta, a server of 8 of 0.5
PFLOPS, $200k and $1,095. Min-cost, no residual value, 1,000 PFLOPS of training wanted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planner.answers.run import objective_of
from planner.answers.verify import verify
from planner.model.build import build_model
from planner.model.highs_run import SolverOptions, Status
from planner.model.whole import linear_relaxation, run_with_highs
from tests.conftest import base_plan, needs_cbc
from tests.model.test_family_binding import solve_plan, units


def cluster_plan(min_accelerators: int | None) -> dict:
    demand: dict = {"training": [{"from": "2026Q1", "pflops": 1000}]}
    if min_accelerators is not None:
        demand["training_clusters"] = {"min_accelerators": min_accelerators}
    plan = base_plan(objective="min-cost", residual_value="none", demand=demand)
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 100
    return plan


def test_without_clusters_the_cheapest_compute_trains(write_plan):
    """Alpha costs $31,095 per PFLOPS-quarter with its energy, beta $50,274: 100 alpha,
    $31.095M; no yes-or-no decision, so the plan is an LP."""
    run = solve_plan(write_plan(cluster_plan(None)))
    assert units(run, "alpha") == pytest.approx(100)
    assert objective_of(run.plan, run.result).value == pytest.approx(31_095_000, rel=1e-6)
    assert not build_model(run.plan).linear_program.is_mip


def test_training_needs_a_cluster_of_at_least_n(write_plan):
    """Clusters of at least 1,200 accelerators of one family: 100 alpha (1,000) are too few, and
    so is any mix. 120 alpha (1,200 accelerators, 1,200 PFLOPS) cost 120 x $310,950 = $37.314M;
    250 beta (2,000 accelerators, 1,000 PFLOPS) cost 250 x $201,095 = $50.27M: 120 alpha, all
    of them training, in one cluster at the lab."""
    run = solve_plan(write_plan(cluster_plan(1_200)))
    assert units(run, "alpha") == pytest.approx(120)
    assert units(run, "beta") == pytest.approx(0, abs=1e-6)
    assert objective_of(run.plan, run.result).value == pytest.approx(37_314_000, rel=1e-6)
    assert run.result.solution.ctrain == {(0, "alpha", 0): pytest.approx(1_200)}
    assert float(run.tables.compute["training_pflops"].iloc[0]) == pytest.approx(1_200)


def test_a_cluster_too_big_for_the_cheap_part_goes_to_the_other(write_plan):
    """At least 2,000: alpha would need 200 racks ($62.19M), beta's 250 servers are 2,000
    accelerators ($50.27M): 250 beta."""
    run = solve_plan(write_plan(cluster_plan(2_000)))
    assert units(run, "beta") == pytest.approx(250)
    assert units(run, "alpha") == pytest.approx(0, abs=1e-6)
    assert objective_of(run.plan, run.result).value == pytest.approx(250 * 201_095, rel=1e-6)


def test_verify_flags_training_outside_a_cluster(write_plan):
    run = solve_plan(write_plan(cluster_plan(1_200)))
    solution = run.result.solution
    assert verify(run.plan, solution) == []
    small = replace(solution, ctrain={(0, "alpha", 0): 1_000.0}, train={("alpha", 0): 1_000.0})
    assert [v.family for v in verify(run.plan, small)] == ["cluster"]  # 1,000 train: demand met, cluster not
    elsewhere = replace(solution, ctrain={(0, "alpha", 0): 600.0})
    assert {v.family for v in verify(run.plan, elsewhere)} == {"cluster_split", "cluster"}


@needs_cbc
def test_cbc_finds_the_same_clusters(write_plan):
    """The MILP through PuLP's CBC: the same 120 alpha, $37.314M."""
    run = solve_plan(write_plan(cluster_plan(1_200)), solver="cbc")
    assert units(run, "alpha") == pytest.approx(120)
    assert objective_of(run.plan, run.result).value == pytest.approx(37_314_000, rel=1e-6)


def test_a_cluster_no_plan_can_fill_is_infeasible_in_whole_units_too(write_plan):
    """At least 1,200 accelerators of one family, beta excluded, 14 MW of grid: 1,000 PFLOPS of
    training need 100 alpha (12.5 MW with PUE 1.25), but a cluster of 1,200 needs 120 (15 MW).
    The LP with every column continuous has a plan (a cluster 100/120 open); with the choice made
    there is none, and the whole-unit search, whose first step is that LP, says so as the LP with
    the choice binary (`--continuous`) does: infeasible, not "no whole plan found"."""
    plan = cluster_plan(1_200)
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 14
    plan["policy"] = {"exclude": ["beta"]}
    path = write_plan(plan)
    continuous = solve_plan(path)
    whole = solve_plan(path, integer=True)
    relaxed = linear_relaxation(build_model(continuous.plan, integer=True).linear_program)
    assert run_with_highs(relaxed, SolverOptions()).status == Status.OPTIMAL
    assert continuous.result.status == Status.INFEASIBLE
    assert whole.result.status == Status.INFEASIBLE

