"""The Python API (issue 16): `planner.load_plan`, `Plan.with_overrides`, `planner.solve`, `compare`.

Numbers are the hand-solved ones of tests/model/test_optimize.py (tests/data/one-quarter.yaml with
the small catalog): 10 MW facility / PUE 1.25 = 8 MW IT of beta (400 PFLOPS per IT MW) = 3,200
PFLOPS-quarters. With $100M and 100 MW, money binds: all alpha, 1e8 / $310,950 x 10 PFLOPS.
"""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import planner
from planner.api.results import run_of
from planner.cli import app
from tests.conftest import DATA, REPO, SMALL_CATALOG, base_plan

ONE_QUARTER = DATA / "one-quarter.yaml"
ALPHA_QUARTER_USD = 300_000 + 0.1 * 1.25 * 2190 * 40
POWER_100_MW = "sites.lab.power_sources.grid.phases.2026Q1.available_mw"


@pytest.fixture(scope="module")
def plan() -> planner.Plan:
    return planner.load_plan(ONE_QUARTER, catalog=SMALL_CATALOG)


@pytest.fixture(scope="module")
def result(plan: planner.Plan) -> planner.Result:
    return planner.solve(plan)


def test_load_plan_takes_a_str_a_path_or_a_mapping(plan):
    """The issue: `run.load` raised AttributeError on a str. All three read the same plan."""
    from_str = planner.load_plan(str(ONE_QUARTER), catalog=str(SMALL_CATALOG))
    from_mapping = planner.load_plan(base_plan(), catalog=SMALL_CATALOG)
    for other in (from_str, from_mapping):
        assert other.name == plan.name == "one-quarter"
        assert other.periods == ("2026Q1",)
        assert other.sites == plan.sites
        assert dict(other.budget_usd) == {2026: 1e9}
    assert from_mapping.files == ()


def test_objective_value_is_the_clis_summary_objective(result, tmp_path):
    """summary.json of `plan optimize` and `Result.objective_value` agree: 3,200 PFLOPS-quarters,
    without the LP's tie-break (the LP's own value differs: it nets 1e-9 per dollar spent)."""
    outcome = CliRunner().invoke(app, ["optimize", str(ONE_QUARTER), "--catalog", str(SMALL_CATALOG),
                                       "--no-report", "--out", str(tmp_path), "-q"])
    assert outcome.exit_code == 0, outcome.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert result.status == "optimal"
    assert result.objective_value == pytest.approx(3200, rel=1e-9)
    assert result.objective_value == pytest.approx(summary["objective"]["value"], rel=1e-12)
    assert result.objective_unit == summary["objective"]["unit"]
    assert abs(run_of(result).result.objective_value - 3200) > 1e-3


def test_with_overrides_changes_exactly_that_value(plan):
    cut = plan.with_overrides({"budget.2026.limit_usd": "$100M"})
    assert dict(cut.budget_usd) == {2026: 1e8}
    assert dict(plan.budget_usd) == {2026: 1e9}  # the base is unchanged
    assert cut.sites == plan.sites
    assert cut.catalog == plan.catalog
    assert cut.periods == plan.periods
    assert cut.overrides == ("budget.2026.limit_usd=$100M",)
    same = plan.with_overrides(["budget.2026.limit_usd=$100M"])
    assert dict(same.budget_usd) == dict(cut.budget_usd)
    assert plan.with_overrides({}) is plan


def test_with_overrides_then_solve_gives_the_hand_solved_optimum(plan, result):
    """$100M and 100 MW: money binds, all alpha: 1e8 / 310,950 units x 10 PFLOPS."""
    richer = plan.with_overrides({"budget.2026.limit_usd": "$100M", POWER_100_MW: 100})
    answer = planner.solve(richer, integer=False)  # the LP: the docstring's arithmetic is in fractions
    assert answer.objective_value == pytest.approx(10 * 1e8 / ALPHA_QUARTER_USD, rel=1e-6)
    table = planner.compare(result, answer)
    objective = table.set_index("metric").loc["objective"]
    assert objective["base"] == pytest.approx(3200)
    assert objective["delta"] == pytest.approx(10 * 1e8 / ALPHA_QUARTER_USD - 3200, rel=1e-6)
    assert objective["scenario_name"] == f"budget.2026.limit_usd=$100M; {POWER_100_MW}=100"
    assert list(planner.compare(result, answer, names=["rich"])["scenario_name"].unique()) == ["rich"]


def test_a_bad_override_path_names_it_and_the_nearest(plan):
    with pytest.raises(planner.InputError) as error:
        plan.with_overrides({"budget.2026.limit_usdd": "$1B"})
    message = str(error.value)
    assert message.startswith("with_overrides:1:1: budget.2026.limit_usdd: no such path")
    assert "budget.2026.limit_usd" in message.split("nearest valid paths:")[1]


@pytest.mark.parametrize(("options", "named", "listed"), [
    ({"objective": "min-costt"}, "objective", "expected max-compute or min-cost, found 'min-costt'"),
    ({"solver": "glpkk"}, "solver", "found 'glpkk'"),
    ({"threads": 0}, "threads", "expected a whole number from 1 to 256, found 0"),
    ({"time_limit_s": -1}, "time_limit_s", "expected seconds above 0, found -1"),
])
def test_a_bad_option_names_the_option_and_the_choices(plan, options, named, listed):
    with pytest.raises(planner.InputError) as error:
        planner.solve(plan, **options)
    assert str(error.value).startswith(f"{named}: ")
    assert listed in str(error.value)


@pytest.mark.parametrize(("call", "named", "expected"), [
    (lambda p, r: planner.load_plan(ONE_QUARTER, catalog=5), "catalog", "a catalog file's path"),
    (lambda p, r: planner.load_plan(""), "source", "a plan file's path (a non-empty str or Path), found ''"),
    (lambda p, r: p.with_overrides(None), "overrides", "a mapping of path to value, or 'PATH=VALUE' strings"),
    (lambda p, r: r.write_report(None), "path", "a report folder's path"),
    (lambda p, r: r.write_report(""), "path", "a report folder's path (a non-empty str or Path), found ''"),
    (lambda p, r: r.write_report("unused", charts="no"), "charts", "True or False, found 'no'"),
    (lambda p, r: planner.compare(r, 5), "others[1]", "a planner.Result (from planner.solve), found 5"),
    (lambda p, r: planner.compare(5, r), "base", "a planner.Result (from planner.solve), found 5"),
    (lambda p, r: planner.compare(r, r, names="a"), "names", "a list of names (str), one per result"),
    (lambda p, r: planner.sweep(None, {POWER_100_MW: [1]}), "plan", "a planner.Plan (from planner.load_plan)"),
    (lambda p, r: planner.sweep(p, "abc"), "grid", "a mapping of dotted path to a list of values"),
    (lambda p, r: planner.sweep(p, {POWER_100_MW: [1]}, client=object()), "client", "a dask.distributed.Client"),
    (lambda p, r: planner.sweep(p, {POWER_100_MW: [1]}, tornado="yes"), "tornado", "True or False, found 'yes'"),
], ids=["catalog", "empty-source", "overrides", "no-folder", "empty-folder", "charts", "other", "base", "names",
        "plan", "grid", "client", "tornado"])
def test_a_bad_argument_is_an_input_error_that_names_it(plan, result, call, named, expected):
    """A wrong type is refused at the door with planner's own error (not a TypeError or an
    AttributeError from inside): the string 'yes' is not taken for True, '' is not the current folder."""
    with pytest.raises(planner.InputError) as error:
        call(plan, result)
    assert str(error.value).startswith(f"{named}: expected {expected}")


def test_a_mapping_or_an_override_past_the_values_a_file_may_hold_is_refused_before_it_is_read(plan):
    """100,001 values, one past `loading.MAX_VALUES`: refused by a count that stops there, before the
    mapping is dumped and parsed (300,000 sites took 16 s and 415 MB to be refused after)."""
    from planner.inputs.loading import MAX_VALUES  # noqa: PLC0415

    too_many = list(range(MAX_VALUES))  # with the list itself, one value past the limit
    with pytest.raises(planner.InputError, match=r"^sites: expected at most 100,000 values|^source: expected at most"):
        planner.load_plan({**base_plan(), "sites": too_many})
    with pytest.raises(planner.InputError, match=r"^policy\.exclude: expected at most 100,000 values"):
        plan.with_overrides({"policy.exclude": too_many})


def test_a_report_is_not_written_into_the_folder_of_the_plan_it_reports(tmp_path):
    """As `plan optimize --out` does: a folder holding a file the plan was read from is refused (the
    plan file is named summary.json here: the report's manifest would have replaced it)."""
    path = tmp_path / "summary.json"
    path.write_text(ONE_QUARTER.read_text(encoding="utf-8"), encoding="utf-8")
    solved = planner.solve(planner.load_plan(path, catalog=SMALL_CATALOG))
    with pytest.raises(planner.InputError, match="expected a folder that holds no input of this run"):
        solved.write_report(tmp_path)
    assert path.read_text(encoding="utf-8") == ONE_QUARTER.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_options_refuse_an_objective_out_of_the_enum():
    """The issue: `Options(objective="min-costt")` was accepted and reported."""
    with pytest.raises(planner.InputError, match="objective: expected max-compute or min-cost, found 'min-costt'"):
        planner.Options(objective="min-costt")
    assert planner.Options(objective="min-cost").objective is planner.Objective.MIN_COST


def test_a_plan_cannot_be_changed(plan):
    with pytest.raises(AttributeError, match="with_overrides"):
        plan.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.budget_usd[2026] = 1.0  # type: ignore[index]
    with pytest.raises(TypeError):
        plan.catalog["alpha"] = plan.catalog["beta"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        plan.sites[0].halls[0].max_modules = 9  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(plan))
    assert copy.sites == plan.sites
    assert copy.overrides == plan.overrides


def test_results_cannot_be_changed(result):
    with pytest.raises(AttributeError):
        result.status = "infeasible"  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.tables["allocation"] = None  # type: ignore[index]


def test_tidy_tables_one_row_per_observation(result):
    """One site, one source, one hall, one quarter: 800 beta units on 10 MW of grid."""
    tables = result.tables
    assert list(tables) == ["allocation", "sites", "sources", "halls", "budget", "spending", "compute",
                            "compute_by_vendor", "constraints"]
    sources = tables["sources"]
    assert sources[["period", "site", "source"]].values.tolist() == [["2026Q1", "lab", "grid"]]
    assert float(sources["used_mw"].iloc[0]) == pytest.approx(10)
    halls = tables["halls"]
    assert float(halls["used_mw"].iloc[0]) == pytest.approx(8)
    spending = tables["spending"]
    assert set(spending["category"]) == {"capex", "opex"}
    assert spending["usd"].sum() == pytest.approx(float(tables["budget"]["total_usd"].iloc[0]))
    by_vendor = tables["compute_by_vendor"].set_index("vendor")["bf16_pflops_in_service"]
    assert by_vendor["amd"] == pytest.approx(3200)  # beta is AMD's
    assert by_vendor.sum() == pytest.approx(float(tables["compute"]["bf16_pflops_in_service"].iloc[0]))
    assert not any("_grid_" in column or "_hall_" in column for t in tables.values() for column in t.columns)


def test_reprs_are_short_and_html_shows_the_status(plan, result):
    """The issue: `repr(run)` was 213,135 characters."""
    for shown in (repr(plan), repr(result), repr(run_of(result))):
        assert len(shown) < 200, shown
    assert repr(result) == ("<planner.Result 'one-quarter': optimal, max-compute = 3,200 "
                            "effective PFLOPS-quarters (weighted)>")
    html = result._repr_html_()
    assert "optimal" in html
    assert "3,200" in html
    assert len(html) < 5_000
    assert "one-quarter" in plan._repr_html_()


def test_write_report_writes_the_clis_folder(result, tmp_path):
    summary_path = result.write_report(tmp_path / "report", charts=False)
    summary = json.loads(summary_path.read_text())
    assert summary["objective"]["value"] == pytest.approx(result.objective_value)
    assert {"allocation.csv", "budget.csv", "compute.csv", "constraints.csv", "sites.csv"} <= set(summary["outputs"])
    assert not (tmp_path / "report" / "report.pdf").exists()


def test_no_plan_is_a_result_with_a_diagnosis(tmp_path):
    """8 MW of IT holds at most 3,200 PFLOPS of beta: 100 EFLOPS of training cannot be met."""
    data = base_plan()
    data["demand"]["training"] = [{"from": "2026Q1", "pflops": "100 EFLOPS"}]
    answer = planner.solve(planner.load_plan(data, catalog=SMALL_CATALOG))
    assert answer.status == "infeasible"
    assert not answer.has_plan
    assert math.isnan(answer.objective_value)
    assert dict(answer.tables) == {}
    assert "short" in (answer.diagnosis or "")
    assert answer.write_report(tmp_path / "out", charts=False).name == "diagnosis.json"


def test_public_names_and_a_cheap_import():
    assert set(planner.__all__) <= set(dir(planner))
    for name in planner.__all__:
        assert getattr(planner, name) is not None
    code = "import sys, planner; print(sorted(m for m in ('pandas', 'numpy', 'pydantic') if m in sys.modules))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert shown.stdout.strip() == "[]"
    assert (REPO / "planner" / "py.typed").exists()


def test_solve_with_another_objective_leaves_the_plan_as_it_was(plan):
    """min-cost of the one-quarter plan, which has no demand: nothing to buy, a cost of 0."""
    cheapest = planner.solve(plan, objective="min-cost")
    assert cheapest.objective == "min-cost"
    assert cheapest.plan.objective == "min-cost"
    assert plan.objective == "max-compute"
    assert cheapest.objective_value == pytest.approx(0, abs=1e-6)
