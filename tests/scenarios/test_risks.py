"""Main risks (`planner.scenarios.risks`): the inputs marked as estimates, each moved alone, then drawn
together, on a plan small enough to work out by hand.

tests/data/one-quarter.yaml with the small catalog: 10 MW of grid at PUE 1.25 = 8 MW of IT, filled with
beta (10 kW and 4 PFLOPS a unit, so 400 PFLOPS per IT MW): 8 x 400 = 3,200 PFLOPS-quarters, power
binding ($1B of budget is far from binding: 800 units x $200k = $160M). Here the grid's phase is marked
as an estimate (its MW, and its online date, set to 2025Q3 here), the PUE is sourced, and the budget
is an estimate too:

- grid x0.8 = 8 MW: 8 / 1.25 = 6.4 MW IT x 400 = 2,560 PFLOPS-quarters (-640);
- grid x1.2 = 12 MW: 12 / 1.25 = 9.6 MW IT x 400 = 3,840 (+640; 960 units cost $192M, still within $1B);
- budget x0.8 or x1.2: $800M or $1.2B, neither binds: 3,200 both ways, so it does not matter;
- the online date two quarters earlier or later (2025Q1, 2026Q1): the grid is there in 2026Q1 either
  way, 3,200 both ways, so it does not matter;
- the joint draws move only the grid (the one estimate that matters), by factors f uniform in
  [0.8, 1.2]: the headline is 3,200 f, its P10/P50/P90 those of 3,200 x the drawn factors.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from planner.answers.run import Options, optimize
from planner.cli import app
from planner.inputs.loading import load_file
from planner.inputs.resolve import plan_from_document
from planner.reports.html_report import html_report
from planner.reports.pdf_report import summary_page
from planner.reports.report import summary
from planner.scenarios import risks
from planner.scenarios.estimates import list_estimates
from planner.scenarios.plan_tree import CatalogSource
from tests.conftest import SMALL_CATALOG, base_plan

GRID_MW = "sites.lab.power_sources.grid.phases.2025Q3.available_mw"
GRID_ONLINE = "sites.lab.power_sources.grid.phases.2025Q3.online"


def estimated_plan(online: str = "2025Q3") -> dict:
    plan = base_plan()
    site = plan["sites"][0]
    site["sources"] = {"pue": "[1] measured at the meter, 2025"}
    site["power_sources"][0]["phases"][0]["online"] = online
    site["power_sources"][0]["sources"] = {"phases": "estimate: the utility's letter says 8-12 MW"}
    plan["budget"][0]["sources"] = {"limit_usd": "Estimate from the board's minutes"}
    return plan


@pytest.fixture
def plan_path(write_plan) -> Path:
    return write_plan(estimated_plan())


def weigh(path: Path) -> risks.Risks:
    document = load_file(path)
    run = optimize(plan_from_document(document, SMALL_CATALOG), Options())
    weighed = risks.weigh_estimates(run, document, SMALL_CATALOG)
    assert weighed is not None
    return weighed


def test_estimates_are_the_numbers_whose_source_says_estimate(plan_path):
    """The grid's MW and the budget are marked; the PUE's source is a measurement, so it is not varied."""
    listed = list_estimates(load_file(plan_path).data, CatalogSource(SMALL_CATALOG), frozenset({"alpha", "beta"}))
    assert [e.path for e in listed] == [GRID_ONLINE, GRID_MW, "budget.2026.limit_usd"]
    assert [e.values for e in listed] == [("2025Q3",), (10.0,), (1e9,)]
    assert [e.kind for e in listed] == ["date", "scale", "scale"]
    assert all("pue" not in path for e in listed for path in e.paths)
    assert listed[0].source == "estimate: the utility's letter says 8-12 MW"


def test_a_date_moves_by_whole_quarters_and_a_lead_time_by_whole_quarters():
    """x0.8 and x1.2 move a date two quarters earlier and later (`QUARTERS_PER_FACTOR` 10), a lead time
    of 5 quarters to 4 and 6 (5 x 0.8 = 4, 5 x 1.2 = 6); one of 1 quarter does not move (0.8 and 1.2
    round to 1), so the sweep does not run it."""
    data = estimated_plan(online="2026Q1")
    data["sites"][0]["power_sources"].append({
        "id": "gas", "kind": "gas", "energy_usd_per_mwh": "$35/MWh",
        "expansion": {"max_mw": "50 MW", "capex_usd_per_kw": "$1000/kW", "lead_quarters": 5},
        "sources": {"expansion": "estimate: a turbine in 5 quarters"}})
    listed = list_estimates(data, CatalogSource(SMALL_CATALOG), frozenset())
    by_key = {e.key: e for e in listed}
    online, lead = by_key["online"], by_key["lead_quarters"]
    assert online.moved(0.8) == ("2025Q3",)
    assert online.moved(1.2) == ("2026Q3",)
    assert online.move_words(0.8) == "2 quarters earlier"
    assert online.move_words(1.2) == "2 quarters later"
    assert [(o.op, o.value) for o in online.overrides(1.12)] == [("shift", 1)]  # 1.2 quarters: one
    assert online.overrides(1.04) == []  # 0.4 quarters: none
    assert lead.kind == "quarters"
    assert lead.moved(0.8) == (4,)
    assert lead.moved(1.2) == (6,)
    assert risks._moves(online)
    assert risks._moves(lead)
    assert not risks._moves(replace(lead, values=(1,)))


def test_dates_of_a_list_shifted_onto_each_other_still_apply():
    """Two training steps from 2026Q1 and 2026Q3, their dates an estimate. Two quarters later, the
    first lands on the second's quarter before the second moves: paths that named the steps by
    their quarter then named two entries (in Ohio, 2 of 16 joint draws had "no answer"). The
    overrides address the steps by index: both move, to 2026Q3 and 2027Q1."""
    from planner.inputs.loading import Document  # noqa: PLC0415
    from planner.scenarios.scenarios import Scenario, apply_scenario  # noqa: PLC0415

    data = base_plan()
    data["demand"] = {"training": [{"from": "2026Q1", "pflops": 100}, {"from": "2026Q3", "pflops": 200}],
                      "sources": {"training": "estimate: a ramp"}}
    catalog = CatalogSource(SMALL_CATALOG)
    dates = next(e for e in list_estimates(data, catalog, frozenset()) if e.kind == "date")
    assert dates.paths == ("demand.training.2026Q1.from", "demand.training.2026Q3.from")
    assert dates.path == "demand.training.*.from"
    moved = apply_scenario(Document(data, {}, []), Scenario("late", "late", (), tuple(dates.overrides(1.2))), catalog)
    assert [step["from"] for step in moved.data["demand"]["training"]] == ["2026Q3", "2027Q1"]


def test_a_date_estimate_that_slips_past_the_horizon_takes_its_power_away(write_plan):
    """The grid online in 2026Q1, the horizon's one quarter: two quarters earlier (2025Q3) it is there
    all the same, 3,200 PFLOPS-quarters; two quarters later (2026Q3) there is no power in the horizon,
    nothing can run: 0 (-3,200), the estimate that matters most."""
    weighed = weigh(write_plan(estimated_plan(online="2026Q1")))
    online = {effect.path: effect for effect in weighed.screened}["sites.lab.power_sources.grid.phases.2026Q1.online"]
    assert online.low == pytest.approx(3200, rel=1e-9)
    assert online.high == pytest.approx(0, abs=1e-6)
    assert (online.low_words, online.high_words) == ("2 quarters earlier", "2 quarters later")
    assert weighed.ranked()[0] is online
    assert ("lab/grid online date (estimate, 2026Q1): 2 quarters earlier -> no change, 2 quarters later -> "
            "-3.20 EFLOPS-quarters") in weighed.summary_line()


def test_each_estimate_alone_moves_the_headline_as_worked_out(plan_path):
    weighed = weigh(plan_path)
    assert weighed.base == pytest.approx(3200, rel=1e-9)
    by_path = {effect.path: effect for effect in weighed.screened}
    grid, budget = by_path[GRID_MW], by_path["budget.2026.limit_usd"]
    assert grid.low == pytest.approx(2560, rel=1e-9)
    assert grid.high == pytest.approx(3840, rel=1e-9)
    assert budget.low == pytest.approx(3200, rel=1e-9)
    assert budget.high == pytest.approx(3200, rel=1e-9)
    assert [effect.path for effect in weighed.ranked()] == [GRID_MW]
    assert weighed.varied == (GRID_MW,)
    assert weighed.runs == 1 + 2 * 3 + risks.DRAWS
    assert "x0.8 -> -0.64 EFLOPS-quarters, x1.2 -> +0.64" in weighed.summary_line()


def test_joint_draws_give_the_percentiles_of_the_drawn_factors(plan_path):
    """Only the grid matters, so each draw is 3,200 x its factor: P10 <= P50 <= P90 from the seed's draws."""
    weighed = weigh(plan_path)
    factors = np.random.default_rng(risks.SEED).uniform(risks.LOW_FACTOR, risks.HIGH_FACTOR, size=risks.DRAWS)
    expected = np.percentile(3200 * factors, [10, 50, 90])
    p10, p50, p90 = weighed.percentiles()
    assert (p10, p50, p90) == pytest.approx(tuple(expected), rel=1e-9)
    assert p10 <= p50 <= p90
    assert all(2560 - 1e-6 <= draw <= 3840 + 1e-6 for draw in weighed.draws)


def test_a_factor_is_kept_within_the_keys_range():
    """A share moves up to 1 at most; a PUE moves by its overhead above 1 (1.2 x 1.2 is 1.24)."""
    data = estimated_plan()
    hall = data["sites"][0]["halls"][0]
    hall.update(availability=0.95, design_pue=1.2,
                sources={"availability": "estimate", "design_pue": "estimate: 1.2"})
    listed = list_estimates(data, CatalogSource(SMALL_CATALOG), frozenset())
    by_key = {e.key: e for e in listed}
    assert by_key["availability"].moved(1.2) == (1.0,)
    assert by_key["availability"].moved(0.8) == pytest.approx((0.76,))
    assert by_key["design_pue"].moved(1.2) == pytest.approx((1.24,))
    assert by_key["design_pue"].moved(0.8) == pytest.approx((1.16,))


@pytest.mark.risks
def test_reruns_write_the_same_risks_and_no_risks_skips_them(plan_path, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # summary.json without timings: byte-identical runs
    runner = CliRunner()
    outputs = []
    for name in ("first", "second"):
        result = runner.invoke(app, ["optimize", str(plan_path), "--catalog", str(SMALL_CATALOG), "--no-report",
                                     "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert "Risk (LP relaxation, 23 runs over 1 estimate of 3): P10 2.68, P50 3.37, P90 3.73" in " ".join(
            result.output.split())
        outputs.append((tmp_path / name / "summary.json").read_bytes())
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0])
    assert data["risks"]["seed"] == risks.SEED
    assert data["risks"]["estimates"][0]["path"] == GRID_MW
    assert data["risks"]["estimates"][0]["low_headline"] == pytest.approx(2560)
    assert data["risks"]["p10"] <= data["risks"]["p50"] <= data["risks"]["p90"]
    assert data["provenance"]["options"]["risks"] is True
    result = runner.invoke(app, ["optimize", str(plan_path), "--catalog", str(SMALL_CATALOG), "--no-report",
                                 "--no-risks", "--out", str(tmp_path / "without")])
    assert result.exit_code == 0, result.output
    assert "risks" not in json.loads((tmp_path / "without" / "summary.json").read_text())
    assert "Risk (" not in result.output


def test_first_page_shows_the_risks(plan_path):
    document = load_file(plan_path)
    run = optimize(plan_from_document(document, SMALL_CATALOG), Options())
    run.risks = risks.weigh_estimates(run, document, SMALL_CATALOG)
    text = " ".join(" ".join(t.get_text() for t in summary_page(run, summary(run)).texts).split())
    assert "Main risks" in text
    assert "P10 / P50 / P90: 2.68 / 3.37 / 3.73 EFLOPS-quarters" in text
    assert "From the LP relaxation" in text
    assert "lab/grid MW available (10.0 MW): x0.8 -> -0.64, x1.2 -> +0.64" in text


def test_report_html_shows_the_same_risks_and_date(plan_path):
    """report.html words the risks as page 1 does (one list of lines, `first_page.risk_lines`)."""
    document = load_file(plan_path)
    run = optimize(plan_from_document(document, SMALL_CATALOG), Options())
    run.risks = risks.weigh_estimates(run, document, SMALL_CATALOG)
    page = " ".join(html_report(run, summary(run), {}).split())
    assert "Main risks: what the estimates could do" in page
    assert "P10 / P50 / P90: 2.68 / 3.37 / 3.73 EFLOPS-quarters" in page
    assert "<li>lab/grid MW available (10.0 MW): x0.8 -&gt; -0.64, x1.2 -&gt; +0.64</li>" in page
    assert "Figures undated (neither the plan nor the catalog gives as_of)." in page  # the small catalog has none


def test_the_api_weighs_the_estimates_when_asked(plan_path, tmp_path):
    import planner  # noqa: PLC0415

    result = planner.solve(planner.load_plan(plan_path, catalog=SMALL_CATALOG))
    assert result.risks["estimates"][0]["high_headline"] == pytest.approx(3840)
    with_risks = json.loads(result.write_report(tmp_path / "with", charts=False).read_text())
    without = json.loads(result.write_report(tmp_path / "without", charts=False, risks=False).read_text())
    assert with_risks["risks"] == dict(result.risks)
    assert "risks" not in without
