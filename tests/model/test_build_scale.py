"""The one linear program: its rows, its immutability, and the same answer through every solver path.

Correctness only: speed is measured by bench/bench_scale.py, never by a timed test. A generated
plan (every limit family but minimum units) and the Ohio plan (shares, installed units) are
built once; each test checks one promise of planner/lp.py, planner/build.py and planner/solve.py:
- rows are named family__key__period, and the number of rows of each family follows from the plan
  (formulas in `test_row_counts`);
- the LP is immutable: a changed LP is a new object;
- HiGHS through highspy and CBC through PuLP's public API answer the same LP with the same
  optimum, the same duals and the same slacks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from planner.answers.verify import verify
from planner.inputs.generate import generate
from planner.inputs.loading import Document
from planner.inputs.plan import Plan
from planner.inputs.resolve import plan_from_document, read_plan
from planner.model import solve as solve_module
from planner.model.build import build_model
from planner.model.rows import KEY_FIELDS, RowKey
from planner.model.solve import Status, pulp_problem, solve
from planner.model.variables import Model
from tests.conftest import REPO, as_lp, needs_cbc


def _generated(sites: int, accelerators: int, quarters: int, seed: int) -> Plan:
    data = generate(sites, accelerators, quarters, seed)
    data["maintenance_share_per_year"] = 0.04
    return plan_from_document(Document(data=data, files=[], positions={})).plan


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {"generated": _generated(6, 5, 8, seed=3), "ohio": read_plan(REPO / "sites" / "ohio.yaml").plan}


@pytest.fixture(scope="module", params=["generated", "ohio"])
def model(request: pytest.FixtureRequest, plans: dict[str, Plan]) -> Model:
    return build_model(plans[request.param])


def test_rows_are_named_for_their_family_key_and_period(model: Model) -> None:
    lp = model.linear_program
    assert len(lp.rows) == lp.shape[0]
    for row in lp.rows:
        assert row.name == f"{row.family}__{row.key}__{row.period}".replace("-", "_")
    assert len(set(lp.row_names())) == lp.shape[0]


KEY_FIELDS_BY_FAMILY = {
    "stock": {"site", "hall", "accelerator"}, "kept": {"site", "hall", "accelerator"},
    "hall": {"site", "hall"}, "modules": {"site", "hall"},
    "cooling_liquid": {"site", "hall"}, "cooling_air": {"site", "hall"},
    "load": {"site"}, "firm": {"site"}, "power": {"site", "source"}, "expansion": {"site", "source"},
    "generation_units": {"site", "source"}, "firm_charging": {"site"},
    "budget": {"year"}, "capex_budget": {"year"}, "opex_budget": {"year"},
    "supply": {"accelerator"}, "commitment_min": {"vendor"}, "commitment_max": {"vendor"},
    "min_units": {"accelerator"}, "assign": {"accelerator"}, "demand": {"workload"},
    "cluster_split": {"accelerator"}, "cluster_site": {"site", "accelerator"},
    "cluster": {"site", "part_family"}, "cluster_open": {"site", "part_family"},
}
"""The fields of a row's key, by family (a share row has a vendor or an ecosystem)."""


def test_row_keys_are_structured(model: Model) -> None:
    """Each row's key has the fields of its family and names things the plan has: code reads
    `key.site`, never a dotted string split back."""
    plan = model.plan
    sites = {site.id: site for site in plan.sites}
    for row in model.linear_program.rows:
        present = {name for name in KEY_FIELDS if getattr(row.key, name) is not None}
        if row.family.startswith("share_"):
            assert present in ({"vendor"}, {"ecosystem"}), row
        else:
            assert present == KEY_FIELDS_BY_FAMILY[row.family], row
        if row.key.hall is not None:
            assert row.key.hall in {hall.id for hall in sites[str(row.key.site)].halls}
        if row.key.source is not None:
            assert row.key.source in {source.id for source in sites[str(row.key.site)].sources}
        if row.key.accelerator is not None:
            assert row.key.accelerator in plan.catalog


def test_row_key_words() -> None:
    key = RowKey(site="prometheus", source="grid")
    assert (str(key), key.label, key.parts) == ("prometheus.grid", "prometheus / grid", ("prometheus", "grid"))
    assert RowKey.of_group("ecosystem", "rocm") == RowKey(ecosystem="rocm")
    with pytest.raises(ValueError, match="not 'stack'"):
        RowKey.of_group("stack", "rocm")


def test_row_counts(model: Model) -> None:
    """One stock row per unit column; one load row per site and quarter; one assignment row per
    accelerator that can be in service and quarter; one power row per dispatch column."""
    plan = model.plan
    T = len(plan.periods)
    count = {family: sum(1 for row in model.rows if row.family == family) for family in {r.family for r in model.rows}}
    assert count["stock"] == len(model.new) == len(model.inst)
    assert count["load"] == len(plan.sites) * T
    assert count["assign"] == len(model.pool) * T
    assert count["power"] == len(model.disp)
    assert count.get("budget", 0) == sum(1 for y in plan.horizon_years if y in plan.budget_usd)
    assert count.get("demand", 0) == sum(d > 0 for d in (*plan.training_pflops, *plan.inference_pflops))
    with_modules = {(s, h) for s, h, _ in model.mod}
    assert count.get("modules", 0) == len(with_modules)
    assert count["hall"] <= sum(len(site.halls) for site in plan.sites) * T


def test_columns_are_named_by_family_and_key(model: Model) -> None:
    names = model.linear_program.column_names()
    assert len(names) == model.shape[1] == len(set(names))
    key = model.new[0]
    assert names[model.first_id["new"]] == "new_" + "_".join(str(part) for part in key)


def test_the_lp_cannot_be_changed_in_place(model: Model) -> None:
    lp = model.linear_program
    with pytest.raises(ValueError, match="read-only"):
        lp.col_upper[0] = 1.0
    fixed = lp.with_columns_fixed(np.array([0]), np.array([2.0]))
    assert fixed.col_lower[0] == fixed.col_upper[0] == 2.0
    assert lp.col_lower[0] == 0.0  # the original is untouched


def test_the_pulp_problem_is_the_lp(plans: dict[str, Plan]) -> None:
    """PuLP's problem, built through its public API, has every row and term of the LP."""
    lp = build_model(plans["ohio"]).linear_program
    problem, variables = pulp_problem(lp)
    constraints = problem.constraints()
    assert [c.name for c in constraints] == lp.row_names()
    assert len(variables) == lp.shape[1]
    index = {variable.name: i for i, variable in enumerate(variables)}
    for i, constraint in enumerate(constraints):
        a, b = lp.row_starts[i], lp.row_starts[i + 1]
        expected = dict(zip(lp.row_columns[a:b].tolist(), lp.row_values[a:b].tolist(), strict=True))
        assert {index[v.name]: w for v, w in constraint.items()} == pytest.approx(expected)
        assert -constraint.constant == pytest.approx(lp.rows[i].rhs)


@needs_cbc
@pytest.mark.parametrize("name", ["generated", "ohio"])
def test_highs_and_cbc_give_the_same_answer(plans: dict[str, Plan], name: str) -> None:
    """Same LP, two solvers through two public APIs: the same optimum, the same slacks, and duals of
    the same sign convention (the objective's change per unit of a row's bound), wherever the
    dual is unique: a degenerate optimum may price a tie another way (or put it on an equality
    row), so what is asserted is that most binding limits agree and none has the opposite sign."""
    plan = as_lp(plans[name])
    highs_model, cbc_model = build_model(plan), build_model(plan)
    by_highs, by_cbc = solve(highs_model, "highs"), solve(cbc_model, "cbc")
    assert by_highs.status == by_cbc.status == Status.OPTIMAL
    assert by_cbc.objective_value == pytest.approx(by_highs.objective_value, rel=1e-7)
    assert verify(plan, by_highs.solution) == []
    assert verify(plan, by_cbc.solution) == []
    limits = {row.name for row in highs_model.rows if row.sense != "=="}
    binding = [n for n, slack in by_highs.slacks.items() if abs(slack) < 1e-6 and n in limits]
    agreeing = [n for n in binding if by_highs.duals[n] == pytest.approx(by_cbc.duals[n], rel=1e-6, abs=1e-9)]
    opposite = [n for n in binding if abs(by_highs.duals[n]) > 1e-6
                and by_highs.duals[n] == pytest.approx(-by_cbc.duals[n], rel=1e-6)]
    assert len(agreeing) > len(binding) / 2
    assert opposite == []


def test_solve_keeps_a_small_models_highs_for_re_solves(plans: dict[str, Plan]) -> None:
    model = build_model(plans["ohio"])
    assert solve(model).has_plan
    assert model.highs is not None  # small: kept for ranging's re-solves
    assert (model.highs.getNumRow(), model.highs.getNumCol()) == model.shape


def test_a_large_models_highs_is_released_before_its_answer_becomes_python_objects(
        plans: dict[str, Plan], monkeypatch) -> None:
    """The values by key and the duals by row name are made once HiGHS has let go of its model, so
    that they never add to HiGHS's working memory, a large plan's peak."""
    events: list[str] = []

    def recorded(name, function):
        def call(*args, **kwargs):
            events.append(name)
            return function(*args, **kwargs)
        return call

    monkeypatch.setattr(solve_module, "KEEP_HIGHS_UP_TO_COLUMNS", 10)
    monkeypatch.setattr(solve_module, "release_freed_memory", recorded("released", lambda: True))
    monkeypatch.setattr(solve_module, "read_solution", recorded("values", solve_module.read_solution))
    monkeypatch.setattr(solve_module, "_read_duals", recorded("duals", solve_module._read_duals))
    model = build_model(plans["generated"])
    result = solve(model)
    assert result.has_plan
    assert result.duals  # the answer's arrays outlive the model
    assert model.highs is None
    assert events == ["released", "values", "duals"]


def test_generated_plan_matches_the_linopy_peer(plans: dict[str, Plan]) -> None:
    """The benchmark's peer (bench/linopy_model.py) builds the same LP as the benchmark's plans
    (generated: no installed base to retire, no software stacks): same size, same optimum."""
    pytest.importorskip("linopy")
    sys.path.insert(0, str(Path(REPO / "bench")))
    from linopy_model import build_linopy  # noqa: PLC0415

    for plan in [plans["generated"]]:
        peer = build_linopy(plan)
        peer.solve("highs", output_flag=False)
        model = build_model(plan)
        result = solve(model)
        assert (peer.ncons, peer.nvars) == model.shape
        assert peer.objective.value == pytest.approx(result.objective_value, rel=1e-6)


def test_a_row_that_lists_a_column_twice_is_refused() -> None:
    """Solvers do not all sum two terms of one column in one row; the builder must merge them."""
    from planner.model.lp import Rows  # noqa: PLC0415

    rows = Rows()
    rows.add("budget", [RowKey(year="2026")], ["2026"], "<=", [1.0])
    rows.terms([0, 0], [0, 0], [1.0, 2.0])
    with pytest.raises(ValueError, match="budget 2026 2026 lists a column twice"):
        rows.finish("lp", False, (np.zeros(1), np.ones(1), np.zeros(1, bool)), np.zeros(1), [])
