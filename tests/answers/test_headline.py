"""The headline (summary.json's totals, the terminal, the PDF's first page, what-if and sweep rows)
is the CSV files summed: every figure a person reads first can be traced to a row of the report.

The fleet plan has two campuses, a cloud lease, several vendors and yearly budgets, so every part of
the headline (owned and leased accelerators, several sites, years with and without a limit) counts.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from planner.answers.headline import headline
from planner.answers.run import Options, RunResult, load, optimize
from tests.conftest import REPO


@pytest.fixture(scope="module")
def run() -> RunResult:
    options = Options(charts=False)
    return optimize(load(REPO / "sites" / "meta-fleet.yaml", None, options), options)


def test_headline_is_the_csv_tables_summed(run: RunResult) -> None:
    assert run.tables is not None
    assert run.result.solution is not None
    assert run.ledger is not None
    numbers = headline(run.plan, run.result.solution, run.ledger)
    end = run.plan.periods[-1]
    allocation, sites = run.tables.allocation, run.tables.sites
    at_end, sites_end = allocation[allocation["period"] == end], sites[sites["period"] == end]
    budget, compute = run.tables.budget, run.tables.compute
    assert numbers.end_period == end
    assert numbers.accelerators_end == pytest.approx(at_end["accelerators"].sum(), rel=1e-12)
    assert numbers.bf16_eflops_end == pytest.approx(at_end["bf16_pflops"].sum() / 1000, rel=1e-12)
    assert numbers.fp8_eflops_end == pytest.approx(at_end["fp8_pflops"].sum() / 1000, rel=1e-12)
    by_vendor = at_end.groupby("vendor")["accelerators"].sum()
    assert numbers.accelerators_end_by_vendor == pytest.approx(by_vendor[by_vendor > 0].to_dict(), rel=1e-12)
    assert list(numbers.accelerators_end_by_vendor.values()) == sorted(numbers.accelerators_end_by_vendor.values(),
                                                                      reverse=True)
    assert numbers.delivered_training_pflops_quarters == pytest.approx(compute["training_pflops"].sum(), rel=1e-12)
    assert numbers.delivered_inference_pflops_quarters == pytest.approx(compute["inference_pflops"].sum(), rel=1e-12)
    used = sites.groupby("period", sort=False)["power_peak_mw"].sum()
    assert numbers.facility_mw_used == pytest.approx(tuple(used), rel=1e-12)
    assert numbers.facility_mw_used_end == pytest.approx(sites_end["power_peak_mw"].sum(), rel=1e-12)
    assert numbers.facility_mw_used_peak == pytest.approx(used.max(), rel=1e-12)
    assert numbers.facility_mw_available_end == pytest.approx(sites_end["power_firm_mw"].sum(), rel=1e-12)
    assert numbers.facility_mw_average_end == pytest.approx(sites_end["power_used_mw"].sum(), rel=1e-12)
    kinds = [c for c in budget.columns if c.endswith("_usd") and "limit" not in c]
    capex = budget[[c for c in kinds if c.startswith("capex_") and c != "capex_usd"]].to_numpy().sum()
    opex = budget[[c for c in kinds if c.startswith("opex_") and c != "opex_usd"]].to_numpy().sum()
    assert budget["capex_usd"].sum() == pytest.approx(capex, rel=1e-12)
    assert budget["opex_usd"].sum() == pytest.approx(opex, rel=1e-12)
    assert numbers.capex_usd == pytest.approx(capex, rel=1e-12)
    assert numbers.opex_usd == pytest.approx(opex, rel=1e-12)
    limits = [v for v in budget["limit_usd"] if not math.isnan(v)]
    assert numbers.budget_limit_usd == (pytest.approx(sum(limits), rel=1e-12) if limits else None)
    capped = budget[~budget["capex_limit_usd"].isna()]
    assert numbers.capex_limit_usd == (pytest.approx(capped["capex_limit_usd"].sum(), rel=1e-12)
                                       if len(capped) else None)
    assert numbers.capex_in_capped_years_usd == pytest.approx(capped["capex_usd"].sum(), rel=1e-12)
    assert numbers.bf16_pflops_in_service == pytest.approx(tuple(compute["bf16_pflops_in_service"]), rel=1e-12)
    delivered = compute["training_pflops"] + compute["inference_pflops"]
    assert numbers.delivered_pflops == pytest.approx(tuple(delivered), rel=1e-12)


def test_the_fleet_plan_exercises_every_part(run: RunResult) -> None:
    """Guards the test above: a lease in service at the end, more than one site and vendor."""
    assert run.tables is not None
    at_end = run.tables.allocation[run.tables.allocation["period"] == run.plan.periods[-1]]
    assert (at_end["site"] == "cloud").any()
    assert at_end["site"].nunique() >= 3
    assert at_end["vendor"].nunique() >= 2
    assert isinstance(run.tables.budget, pd.DataFrame)
