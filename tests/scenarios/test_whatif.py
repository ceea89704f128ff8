"""What-if runs: a base plan and scenarios of it solved side by side.

The small catalog and tests/data/one-quarter.yaml (see tests/test_optimize.py): 10 MW of
facility power at PUE 1.25 is 8 MW IT. The base picks beta, 400 PFLOPS per IT MW: 800 units
(6,400 AMD accelerators), 3,200 PFLOPS, $160M. Excluding beta leaves alpha, 100 PFLOPS per IT
MW: 80 units (800 NVIDIA accelerators), 800 PFLOPS, $24M. So compute moves by -2,400 PFLOPS
(-75%), capex by -$136M (-85%), and AMD accelerators by -6,400 while NVIDIA's gain 800.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from planner.cli import app
from tests.conftest import DATA, REPO, SMALL_CATALOG

runner = CliRunner()
BASE = DATA / "one-quarter.yaml"


def whatif(out: Path, *arguments: str) -> pd.DataFrame:
    # The LP (--continuous): the expected figures are worked out on paper in fractions.
    result = runner.invoke(app, ["whatif", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 "--continuous", *arguments])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out / "comparison.csv")


def values(table: pd.DataFrame, scenario: str | None = None) -> pd.DataFrame:
    rows = table if scenario is None else table[table["scenario_name"] == scenario]
    return rows.set_index("metric")


def test_excluding_the_chosen_accelerator_moves_compute_to_the_next_best(tmp_path):
    table = values(whatif(tmp_path / "w", "--set", "policy.exclude=[beta]", "--no-charts"))
    assert list(table.columns) == ["scenario_name", "unit", "base", "scenario", "delta", "delta_pct"]
    objective = table.loc["objective"]
    assert (objective["base"], objective["scenario"]) == (pytest.approx(3200), pytest.approx(800))
    assert objective["delta"] == pytest.approx(-2400)
    assert objective["delta_pct"] == pytest.approx(-75)
    assert table.loc["bf16_eflops_end", "delta"] == pytest.approx(-2.4)
    assert table.loc["capex_usd", "delta"] == pytest.approx(-136e6)
    assert table.loc["accelerators_end_amd", "delta"] == pytest.approx(-6400)
    assert table.loc["accelerators_end_nvidia", "delta"] == pytest.approx(800)
    assert table.loc["facility_mw_used_peak", "delta"] == 0


def test_outputs_are_complete_and_deterministic(tmp_path):
    scenario = tmp_path / "no-beta.yaml"
    scenario.write_text("scenario: {name: no-beta, title: Without beta}\n"
                        "policy:\n  exclude: [beta]  # reason: a test\n", encoding="utf-8")
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        whatif(out, "--scenario", str(scenario))
    summary = json.loads((first / "summary.json").read_text())
    outputs = summary["outputs"]
    assert set(outputs) == {"comparison.csv", "limit_changes.csv", "input_changes.csv", "chip_mix.png", "power.png",
                            "budget.png", "compute.png", "comparison.pdf", "comparison.html"}
    assert summary["scenarios"][0]["inputs_changed"] == [{"path": "policy.exclude", "base": "not set",
                                                          "scenario": '["beta"]'}]
    assert summary["scenarios"][0]["name"] == "no-beta"
    assert summary["scenarios"][0]["objective"]["value"] == pytest.approx(800)
    assert any(i["path"].endswith("no-beta.yaml") for i in summary["scenarios"][0]["inputs"])
    for name in outputs:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert b"CreationDate" not in (first / "comparison.pdf").read_bytes()


def test_limits_that_became_binding_or_stopped(tmp_path):
    """$100M and 100 MW: money binds, power no longer does (tests/test_optimize.py::test_budget_bound)."""
    out = tmp_path / "w"
    whatif(out, "--set", "budget.2026.limit_usd=$100M", "--set",
           "sites.lab.power_sources.grid.phases.0.available_mw=100 MW", "--no-charts")
    changes = pd.read_csv(out / "limit_changes.csv")
    assert set(zip(changes["change"], changes["family"], changes["key"], strict=True)) == {
        ("became binding", "budget", "2026"), ("stopped binding", "site_power", "lab")}


def test_several_scenarios_and_an_infeasible_one(tmp_path):
    scenarios = []
    for name, body in (("cheap", "budget:\n  - {year: 2026, limit_usd: $50M}\n"),
                       ("greedy", "demand:\n  training: [{from: 2026Q1, pflops: 100 EFLOPS}]\n")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(body, encoding="utf-8")
        scenarios += ["--scenario", str(path)]
    out = tmp_path / "w"
    result = runner.invoke(app, ["whatif", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 "--no-charts", *scenarios])
    assert result.exit_code == 3, result.output
    assert "greedy" in result.output
    assert "no plan" in result.output
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["scenario_name"]) == {"cheap", "greedy"}
    assert table[table["scenario_name"] == "greedy"]["scenario"].isna().all()
    assert values(table, "cheap").loc["capex_usd", "scenario"] < 50e6
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenarios"][1]["status"] == "infeasible"
    assert "training" in summary["scenarios"][1]["diagnosis"]


def test_nothing_to_compare_is_bad_input(tmp_path):
    result = runner.invoke(app, ["whatif", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "nothing to compare" in result.output


def test_combine_applies_every_file_as_one_scenario(tmp_path):
    first, second = tmp_path / "no-beta.yaml", tmp_path / "cheap.yaml"
    first.write_text("policy: {exclude: [beta]}\n", encoding="utf-8")
    second.write_text("budget: [{year: 2026, limit_usd: $10M}]\n", encoding="utf-8")
    table = whatif(tmp_path / "w", "--scenario", str(first), "--scenario", str(second), "--combine", "--no-charts")
    assert set(table["scenario_name"]) == {"no-beta+cheap"}
    rows = values(table)
    assert rows.loc["accelerators_end_amd", "scenario"] == 0
    assert rows.loc["capex_usd", "scenario"] < 10e6


SHIPPED = [(REPO / "sites" / f"{name}.yaml", name) for name in ("ohio", "meta-fleet", "louisiana")]


@pytest.mark.parametrize(("plan", "name"), SHIPPED, ids=[name for _, name in SHIPPED])
def test_shipped_scenarios_apply_and_solve(tmp_path, plan, name):
    """Every shipped scenario of a shipped plan validates and solves side by side with it."""
    if not plan.exists():
        pytest.skip(f"{plan.name} not written yet")
    files = sorted((REPO / "sites" / "scenarios").glob(f"{name}-*.yaml"))
    assert len(files) >= {"ohio": 3, "meta-fleet": 2}.get(name, 1)
    out = tmp_path / "w"
    arguments = [a for f in files for a in ("--scenario", str(f))]
    # --time-limit 2: the meta fleet's budget cut ends its search there rather than at 10 s.
    result = runner.invoke(app, ["whatif", str(plan), "--out", str(out), "--no-charts", "--time-limit", "2",
                                 *arguments])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    # Whole units: a scenario whose whole optimum lies further below the LP's bound than 0.1% (the
    # meta fleet's budget cut, whose gas units of 35 MW are bought whole) may end its search at the
    # time limit with a stated gap: feasible.
    assert all(s["status"] in ("optimal", "feasible") for s in summary["scenarios"])
    if name == "ohio":
        assert {"amd-heavy", "rubin-slip", "no-tents"} <= {s["name"] for s in summary["scenarios"]}
        heavy = next(s for s in summary["scenarios"] if s["name"] == "amd-heavy")["totals"]
        base = summary["base"]["totals"]
        assert heavy["accelerators_end_by_vendor"]["amd"] > base["accelerators_end_by_vendor"]["amd"]
    if name == "louisiana":
        # Leased halls: their capex goes to racks (more compute), their rent to opex.
        leased = next(s for s in summary["scenarios"] if s["name"] == "leased-halls")
        base = summary["base"]
        assert leased["objective"]["value"] > base["objective"]["value"]
        assert leased["totals"]["opex_usd"] > base["totals"]["opex_usd"]


def test_a_what_if_says_which_inputs_it_changed():
    """ohio-amd-heavy raises MI455X supply, adds an AMD commitment and a 50% share: all three are
    listed (as written, with both sides), and nothing else, so no gain is credited to the policy
    alone; a catalog entry added by --set is compared with the catalog's own."""
    from planner.inputs.loading import load_file  # noqa: PLC0415
    from planner.scenarios.changes import input_changes  # noqa: PLC0415
    from planner.scenarios.overrides import parse_override  # noqa: PLC0415
    from planner.scenarios.plan_tree import CatalogSource  # noqa: PLC0415
    from planner.scenarios.scenarios import Scenario, apply_scenario, read_scenario  # noqa: PLC0415

    base = load_file(REPO / "sites" / "ohio.yaml")
    catalog = CatalogSource(None)
    scenario = read_scenario(REPO / "sites" / "scenarios" / "ohio-amd-heavy.yaml")
    changed = input_changes(base.data, apply_scenario(base, scenario, catalog).data, catalog)
    assert [c.words for c in changed] == [
        "policy.shares.amd from 2027Q1.min_share: 0.2 -> 0.5",
        "policy.commitments.amd.min_usd: not set -> $6B",
        "supply.mi455x from 2027Q1.units_per_quarter: 336 -> 700",
    ]
    priced = Scenario("dearer", "dearer", (), (parse_override("catalog.mi455x.unit_price_usd=x1.1", 1),))
    changed = input_changes(base.data, apply_scenario(base, priced, catalog).data, catalog)
    assert [c.path for c in changed] == ["catalog.mi455x.unit_price_usd"]
