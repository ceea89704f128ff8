"""Prices kept as columns (`planner.answers.explain.Prices`) say what one object per limit said: one line
per LP row and per site and quarter, words only where a limit of a known family binds, the
constraints table binding first and most valuable first, and the ranking of `plan explain`.

The plan is tests/data/one-quarter.yaml (see tests/test_optimize.py): power binds, the budget
has room, and stock, load and assign rows tie the model together.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from planner.answers.explain import price_limits, ranked, step_of
from planner.answers.run import Options, RunResult, load, optimize
from planner.model.families import INTERNAL, PRICED
from planner.tolerances import STEP_VALUE_NOISE as NOISE
from tests.conftest import DATA, SMALL_CATALOG, needs_cbc


def solve(**options: object) -> RunResult:
    chosen = Options(charts=False, **options)  # type: ignore[arg-type]
    return optimize(load(DATA / "one-quarter.yaml", SMALL_CATALOG, chosen), chosen)


@pytest.fixture(scope="module")
def run() -> RunResult:
    return solve()


def prices_of(run: RunResult):
    assert run.ledger is not None
    return price_limits(run.plan, run.ledger, run.model.rows, run.result.duals, run.result.slacks)


def test_one_line_per_row_then_per_site_and_quarter(run):
    prices = prices_of(run)
    site_lines = [f"site_power__{s.id}__{p}" for s in run.plan.sites for p in run.plan.periods]
    assert list(prices.name) == [row.name for row in run.model.rows] + site_lines
    assert sorted(run.tables.constraints["name"]) == sorted(prices.name)


def test_words_only_where_a_known_limit_binds(run):
    table = run.tables.constraints
    internal = table[table["family"].isin(INTERNAL)]
    assert len(internal) > 0
    assert (internal[["step", "value_unit", "sentence"]] == "").all().all()
    assert (internal["step_value"] == 0).all()
    known = table[table["family"].isin(PRICED)]
    assert (known["step"] == [step_of(f).label for f in known["family"]]).all()
    assert (known["value_unit"] == "PFLOPS-quarters").all()
    assert ((known["sentence"] != "") == known["binding"]).all()
    assert table.set_index("name").loc["budget__2026__2026", "sentence"] == ""


def test_table_binding_first_then_worth_then_lp_order(run):
    table = run.tables.constraints
    position = {name: i for i, name in enumerate(prices_of(run).name)}
    worth = table["solved_step_value"].fillna(table["step_value"])
    keys = [(not b, math.inf if math.isnan(w) else -w, position[n])
            for b, w, n in zip(table["binding"], worth, table["name"], strict=True)]
    assert keys == sorted(keys)
    assert table["binding"].iloc[0]


def test_each_limit_as_one_object(run):
    """`Prices.limit(i)` is the table's row for that limit, with None where nothing was re-solved."""
    prices = prices_of(run)
    rows = run.tables.constraints.set_index("name")
    for i in range(len(prices)):
        limit = prices.limit(i)
        row = rows.loc[limit.name]
        assert (limit.family, limit.key, limit.period, limit.sense) == (row["family"], row["key"], row["period"],
                                                                         row["sense"])
        assert limit.binding == row["binding"]
        assert limit.shadow_price == row["shadow_price"]
        assert limit.step_value == row["step_value"]
        assert limit.solved_step_value is None  # price_limits re-solves nothing; ranging does


def test_ranked_as_one_object_per_limit_ranked_them(run):
    prices = prices_of(run)
    limits = [prices.limit(i) for i in range(len(prices))]
    expected = sorted(
        (p for p in limits if p.binding and p.step_value > NOISE and p.family != "power"),
        key=lambda p: (-p.best_step_value, p.family, p.key, p.period),
    )
    assert ranked(prices) == expected
    assert [p.family for p in expected] == ["site_power"]


def test_a_solved_step_changes_the_copy_only(run):
    prices = prices_of(run)
    solved = prices.with_solved("site_power__lab__2026Q1", 0.5, "re-solved")
    i = list(prices.name).index("site_power__lab__2026Q1")
    assert solved.limit(i).solved_step_value == 0.5
    assert solved.limit(i).sentence == "re-solved"
    assert prices.limit(i).solved_step_value is None
    # Worth 0.5 < NOISE once re-solved: no longer ranked.
    assert all(p.name != "site_power__lab__2026Q1" for p in ranked(solved))


def test_rows_missing_from_the_solver(run):
    """A row with no dual or slack (not in the solver's answer) has NaN there and does not bind."""
    assert run.ledger is not None
    duals = dict(reversed(run.result.duals.items()))  # another order: looked up by name
    slacks = dict(run.result.slacks)
    del slacks["hall__lab.hall__2026Q1"]
    del duals["power__lab.grid__2026Q1"]
    prices = price_limits(run.plan, run.ledger, run.model.rows, duals, slacks)
    by_name = {prices.name[i]: prices.limit(i) for i in range(len(prices))}
    hall = by_name["hall__lab.hall__2026Q1"]
    assert math.isnan(hall.slack)
    assert math.isnan(hall.lhs)
    assert not hall.binding
    power = by_name["power__lab.grid__2026Q1"]
    assert math.isnan(power.shadow_price)
    assert power.binding
    assert power.step_value == 0
    assert power.sentence.startswith("100 MW more from lab / grid in 2026Q1")
    assert by_name["budget__2026__2026"] == prices_of(run).limit(list(prices.name).index("budget__2026__2026"))


@needs_cbc
def test_limit_pages_without_any_re_solve():
    """CBC re-solves nothing: every solved_step_value is missing (NaN, a float column), and the
    PDF's limit pages read it as such."""
    from planner.reports.pdf_report import limit_pages

    run = solve(solver="cbc")
    table = run.tables.constraints
    assert table["solved_step_value"].dtype == np.float64
    assert table["solved_step_value"].isna().all()
    try:
        assert len(limit_pages(run)) >= 1
    finally:
        plt.close("all")
