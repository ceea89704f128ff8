"""What each change that would close a gap costs (planner.answers.fix_costs), worked out by hand, and a
diagnosis that names limits in words, never by a row's name or a dotted key."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from planner.answers.diagnose import diagnose
from planner.answers.run import Options, load, optimize
from planner.cli import app
from planner.model.rows import RowKey
from tests.conftest import REPO, SMALL_CATALOG, base_plan
from tests.pdf import page_sizes_inches, page_texts

EXAMPLE = REPO / "sites" / "examples" / "prometheus-2026-infeasible.yaml"
ROW_IDS = ("prometheus.buildings", "prometheus.grid", "__", "hall_space[", "demand[")


def diagnosed(path, catalog=SMALL_CATALOG):
    options = Options()
    run = optimize(load(path, catalog, options), options)
    assert run.result.status == "infeasible"
    return diagnose(run.plan, run.model)


@pytest.fixture(scope="module")
def example():
    return diagnosed(EXAMPLE, None)


def test_the_shipped_example_prices_each_fix(example):
    """sites/examples/prometheus-2026-infeasible.yaml, by hand (see tests/inputs/test_data.py for why
    2026Q2 is short): 180 EFLOPS of training demand, effective at 0.36, is 500 EFLOPS peak BF16. In
    service: 700 GB200 racks x 72 x 2.5 PFLOPS = 126 EFLOPS on 700 x 132 kW x 1.07 (fabric) = 98.87 MW
    of IT. Bought: 860 GB200 racks (a quarter's supply), 154.8 EFLOPS on 860 x 141.24 kW = 121.47 MW;
    the other 500 - 126 - 154.8 = 219.2 EFLOPS from GB300 racks at 180 PFLOPS per 140 x 1.07 = 149.8 kW:
    1,217.8 racks, 182.42 MW. IT: 98.87 + 121.47 + 182.42 = 402.76 MW against 300 MW of buildings:

    - +102.76 MW of hall space from 2026Q1 (racks take space from delivery) to 2026Q2, at the buildings'
      module price $1.2B / 100 MW = $12M per MW: 102.76 x $12M = $1,233.1M;
    - +185 MW at the grid in 2026Q2: 402.76 MW x PUE 1.08 = 434.98 MW against 250 MW; the grid has no
      expansion in the plan, so no price;
    - +141.29 MW of hall space in 2026Q3 (the elastic solve's figure): space is built once, so only the
      141.29 - 102.76 = 38.53 MW beyond the line above is paid: 38.53 x $12M = $462.3M;
    - +42.42 MW in 2026Q4: within the 141.29 MW already paid for: $0.

    Together 141.29 MW x $12M = $1,695.4M, and one change (the grid) without a price. A module started
    in 2026Q1 is ready 6 quarters later, 2027Q3: each hall line says it is too late. Lowering the
    targets instead (74.1 and 69.9 EFLOPS of training demand) has no dollar cost.
    """
    fixes = example.limit_fixes
    assert [f.words for f in fixes] == [
        "+103 MW of hall space at prometheus / buildings from 2026Q1 to 2026Q2",
        "+185 MW at prometheus / grid in 2026Q2",
        "+141 MW of hall space at prometheus / buildings in 2026Q3",
        "+42.4 MW of hall space at prometheus / buildings in 2026Q4",
    ]
    first, grid, third, fourth = fixes
    assert first.amount == pytest.approx(102.76, abs=0.01)
    assert first.cost_usd == pytest.approx(first.amount * 12e6)
    assert first.cost_usd == pytest.approx(1_233.1e6, rel=1e-4)
    assert "$12.0M per MW" in first.cost_basis
    assert "the earliest it can be ready is 2027Q3, too late for 2026Q1" in first.cost_basis
    assert first.source_note.startswith("estimate [33]: $12M/MW")
    assert grid.amount == pytest.approx(402.7575 * 1.08 - 250, abs=0.01)
    assert grid.cost_usd is None
    assert grid.cost_words() == "no price in the plan"
    assert third.cost_usd == pytest.approx((third.amount - first.amount) * 12e6)
    assert third.cost_basis.startswith("38.5 MW beyond the 103 MW priced above")
    assert fourth.cost_usd == 0.0
    assert example.fixes_cost_usd == pytest.approx(third.amount * 12e6)
    assert example.fixes_cost_usd == pytest.approx(1_695.4e6, rel=1e-4)
    assert example.cost_words() == ("Together, at the plan's own prices: $1.70B, not counting the 1 change the plan "
                                    "gives no price for.")
    instead = example.target_fixes
    assert [f.words for f in instead] == ["74.1 EFLOPS less training demand in 2026Q2",
                                          "69.9 EFLOPS less training demand in 2026Q3"]
    assert all(f.cost_usd is None and f.cost_words() == "no dollar cost" for f in instead)


def test_the_example_charts_demand_against_what_can_be_delivered(example):
    """Demand 180 EFLOPS (effective BF16) from 2026Q2; delivered with every limit held: demand less
    what is short (180 - 74.09 = 105.91 in 2026Q2, 180 - 69.89 = 110.11 in 2026Q3, all of it in 2026Q4)."""
    (gap,) = example.demand
    assert (gap.workload, gap.precision) == ("training", "bf16")
    assert gap.periods == ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
    assert gap.target_pflops == pytest.approx((0.0, 180_000.0, 180_000.0, 180_000.0))
    assert gap.met_pflops == pytest.approx((0.0, 105_909.97, 110_109.55, 180_000.0), abs=0.01)
    assert gap.short_pflops == pytest.approx((0.0, 74_090.03, 69_890.45, 0.0), abs=0.01)


def test_a_diagnosis_names_limits_never_row_ids(tmp_path):
    """Terminal, diagnosis.json and report.pdf (whose text is in the PDF's own Helvetica, so
    readable in its content streams) say `prometheus / buildings`, not a row's name or key."""
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["optimize", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 3, result.output
    written = json.loads((out / "diagnosis.json").read_text())
    pages = page_texts((out / "report.pdf").read_bytes())
    assert len(pages) == 2  # the diagnosis, then demand against what can be delivered
    page_text = pages[0]
    for text in (result.output, json.dumps(written), page_text):
        for row_id in ROW_IDS:
            assert row_id not in text, row_id
    assert "+103 MW of hall space at prometheus / buildings from 2026Q1 to 2026Q2: $1.23B" in page_text
    assert "Together, at the plan's own prices: $1.70B" in page_text
    assert "No plan meets every limit" in page_text
    assert page_sizes_inches((out / "report.pdf").read_bytes()) == [(11.0, 8.5), (11.0, 8.5)]
    assert written["would_close"][0]["key"] == {"site": "prometheus", "hall": "buildings"}
    assert written["iis"][0]["key"] == {"site": "prometheus", "source": "grid"}
    assert [f["cost_usd"] for f in written["fixes"]][:2] == [pytest.approx(1_233.1e6, rel=1e-4), None]
    assert written["fixes_cost_usd"] == pytest.approx(1_695.4e6, rel=1e-4)
    assert "+103 MW of hall space at prometheus / buildings from 2026Q1 to 2026Q2: $1.23B" in result.output


def test_power_is_priced_at_its_expansion_even_when_too_late(write_plan):
    """Beta only, 320 PFLOPS per facility MW; demand for what 310 MW could power, with 10 MW: 300 MW
    short (tests/answers/test_explain.py). The grid can be expanded at $2,000/kW, but only a quarter
    after it is started: 300 MW x $2M = $600M, too late for the plan's one quarter."""
    plan = base_plan(policy={"exclude": ["alpha"]}, budget=[{"year": 2026, "limit_usd": "$100B"}],
                     demand={"training": [{"from": "2026Q1", "pflops": 320 * 310}], "inference_precision": "bf16"})
    plan["sites"][0]["halls"][0]["existing_it_mw"] = 1000
    plan["sites"][0]["power_sources"][0]["expansion"] = {"max_mw": "1 GW", "capex_usd_per_kw": "$2000/kW",
                                                         "lead_quarters": 1}
    diagnosis = diagnosed(write_plan(plan))
    (fix,) = diagnosis.limit_fixes
    assert (fix.amount, fix.cost_usd) == (pytest.approx(300, rel=1e-6), pytest.approx(600e6, rel=1e-6))
    assert fix.cost_basis == ("at grid's build price, $2.00M per MW; but the earliest it can be ready is 2026Q2, "
                              "too late for 2026Q1")


def test_leased_hall_space_costs_its_rent_to_the_horizons_end(write_plan):
    """Beta only (0.01 MW, 4 PFLOPS a server): 3,000 PFLOPS need 750 servers, 7.5 MW of IT, which
    10 MW at PUE 1.25 powers; the hall has 5 MW and no modules allowed, so 2.5 MW short. Leased at
    $1.2M per MW a year, for the one quarter: 2.5 x $1.2M / 4 = $750k."""
    plan = base_plan(policy={"exclude": ["alpha"]},
                     demand={"training": [{"from": "2026Q1", "pflops": 3000}], "inference_precision": "bf16"})
    plan["sites"][0]["halls"][0].update(existing_it_mw=5, lease_usd_per_mw_year="$1.2M", module_it_mw=10)
    plan["sites"][0]["halls"][0]["sources"] = {"lease_usd_per_mw_year": "estimate: a partner's rent"}
    diagnosis = diagnosed(write_plan(plan))
    (fix,) = diagnosis.limit_fixes
    assert fix.amount == pytest.approx(2.5, rel=1e-6)
    assert fix.cost_usd == pytest.approx(750e3, rel=1e-6)
    assert fix.cost_basis.startswith("leased at $1.20M per MW a year from 2026Q1 to the horizon's end (1 quarter)")
    assert fix.source_note == "estimate: a partner's rent"


def test_a_budget_line_costs_its_own_amount(write_plan):
    """Min-cost, beta only, ample power: demand costing $3B against a $1B budget (test_explain's):
    +$2B of budget, which costs $2B."""
    demand_pflops = 3e9 / 201_095 * 4
    plan = base_plan(objective="min-cost", policy={"exclude": ["alpha"]},
                     demand={"training": [{"from": "2026Q1", "pflops": demand_pflops}]})
    plan["sites"][0]["halls"][0]["existing_it_mw"] = 1000
    plan["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] = 1000
    diagnosis = diagnosed(write_plan(plan))
    (fix,) = diagnosis.limit_fixes
    assert diagnosis.would_close[0].key == RowKey(year="2026")
    assert fix.cost_usd == pytest.approx(2e9, rel=1e-6)
    assert fix.cost_basis == "more money is its own amount"
    assert diagnosis.cost_words() == "Together, at the plan's own prices: $2.00B."


def test_the_demand_chart_names_precision_and_units(example):
    """Page 2 (and demand_shortfall.png): per quarter, delivered and short stacked to the demand, in
    effective BF16 EFLOPS, each short quarter labelled."""
    from matplotlib.container import BarContainer

    from planner.reports.diagnosis_pdf import demand_chart

    (gap,) = example.demand
    (ax,) = demand_chart(example.demand).axes
    assert ax.get_ylabel() == "Training compute, BF16 effective"
    assert ax.yaxis.get_major_formatter()(100_000.0, 0) == "100 EFLOPS"
    assert ax.get_xlabel() == "quarter"
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers if isinstance(c, BarContainer)}
    assert bars["delivered, every limit held"] == pytest.approx(list(gap.met_pflops))
    assert bars["short of demand"] == pytest.approx(list(gap.short_pflops))
    notes = [text.get_text() for text in ax.texts]
    assert notes == ["short 74.1 EFLOPS\n(41% of demand)", "short 69.9 EFLOPS\n(39% of demand)"]
    assert "BF16" in ax.get_title("left")
