"""Firm power at design PUE (limit 8), variable sources, batteries, the N-1 reserve and the
fabric overhead, each in a plan small enough to solve on paper.

The site and catalog are those of tests/model/test_family_binding.py: one quarter (2,190 h),
annual PUE 1.25, 100 MW of hall space, a $1B budget. Beta, the better part per MW, is 0.01 MW
of IT (no fabric unless a test adds it) and 4 BF16 PFLOPS a unit, $200k. Where power binds
the plan buys beta alone, so compute is 4 x the beta units, and one more facility MW at PUE p
is worth 4 / (0.01 p) PFLOPS-quarters.

Two limits speak of power: each source's average output (the `power` rows, which the average
draw at annual PUE must meet: energy) and the site's firm power (the `firm` row: the peak draw
at design PUE within firm sources at their rating, variable ones at their capacity credit,
batteries for the hours they cover, less the N-1 reserve).
"""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from planner.answers.run import objective_of
from planner.answers.verify import verify
from tests.conftest import base_plan
from tests.model.test_family_binding import TIE_BREAK, assert_binds, assert_verified, limit, scaled, solve_plan, units


def site_with(sources: list[dict], **site: object) -> dict:
    """The one-quarter plan with these power sources and site fields."""
    plan = base_plan()
    plan["sites"][0]["power_sources"] = sources
    plan["sites"][0].update(site)
    return plan


GRID_4MW = {"id": "grid", "kind": "grid", "phases": [{"online": "2026Q1", "available_mw": 4}],
            "energy_usd_per_mwh": 40}
SOLAR_20MW = {"id": "solar", "kind": "solar", "phases": [{"online": "2026Q1", "available_mw": 20}],
              "capacity_factor": 0.25, "capacity_credit": 0.1, "energy_usd_per_mwh": 0}


def test_design_pue_sizes_the_firm_limit_and_annual_pue_the_energy(write_plan):
    """Design PUE 1.6, annual 1.25, 10 MW of grid. Firm: 1.6 x 0.01 b <= 10, b = 625, compute
    2,500 PFLOPS-quarters (3,200 at the annual PUE). Energy: 1.25 x 6.25 MW = 7.8125 MW of the
    grid's 10 (slack), bought at $40/MWh for 2,190 h = $684,375. Firm's price: 4 / 0.016 = 250
    PFLOPS-quarters per MW, 25,000 per 100 MW."""
    plan = base_plan()
    plan["sites"][0]["design_pue"] = 1.6
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(625)
    assert objective_of(run.plan, run.result).value == pytest.approx(2500)
    row = limit(run, "firm", "lab", "2026Q1")
    assert_binds(row)
    assert row["site"] == "lab"
    assert row["shadow_price"] == pytest.approx(250, rel=TIE_BREAK)
    assert row["step_value"] == pytest.approx(25_000, rel=TIE_BREAK)
    assert limit(run, "power", "lab.grid", "2026Q1")["slack"] == pytest.approx(10 - 7.8125)
    sites = run.tables.sites.iloc[0]
    assert (sites["power_peak_mw"], sites["power_firm_mw"], sites["power_used_mw"]) == pytest.approx((10, 10, 7.8125))
    assert float(run.tables.budget["opex_energy_usd"].iloc[0]) == pytest.approx(684_375)
    assert_verified(run, "firm", {"new": scaled(run.result.solution.new, 1.01, "beta"),
                                  "disp": scaled(run.result.solution.disp, 1.01),
                                  "infer": scaled(run.result.solution.infer, 1.01)})


def test_solar_counts_at_its_credit_toward_firm_power_and_its_average_toward_energy(write_plan):
    """4 MW of grid and 20 MW of solar (capacity factor 0.25, credit 0.1), PUE 1.25. Firm:
    4 + 0.1 x 20 = 6 MW, so b = 6 / 0.0125 = 480 and compute 1,920. Energy: 4 + 0.25 x 20 = 9 MW
    on average, 6 of it used: the free solar's 5 MW first, then 1 MW of grid. Counting solar's
    average as firm (9 MW) would have bought 720."""
    run = solve_plan(write_plan(site_with([GRID_4MW, SOLAR_20MW])))
    assert units(run, "beta") == pytest.approx(480)
    assert objective_of(run.plan, run.result).value == pytest.approx(1920)
    assert_binds(limit(run, "firm", "lab", "2026Q1"))
    sites = run.tables.sites.iloc[0]
    assert (sites["source_solar_used_mw"], sites["source_grid_used_mw"]) == pytest.approx((5, 1))
    assert (sites["source_solar_firm_mw"], sites["source_solar_available_mw"]) == pytest.approx((2, 5))
    assert limit(run, "firm", "lab", "2026Q1")["shadow_price"] == pytest.approx(320, rel=TIE_BREAK)


def test_a_battery_counts_as_firm_for_the_hours_it_covers(write_plan):
    """Grid 4 MW and solar as above, plus a 4 MW battery of 2 h where the site needs 4 h
    (`firm_duration_h`): it counts 2 / 4 = half its rating, 2 MW. Firm 4 + 2 + 2 = 8 MW:
    b = 8 / 0.0125 = 640, compute 2,560. The battery makes no energy: the 8 MW draw is met by
    solar's 5 and grid's 3 (of 9 on average)."""
    battery = {"id": "battery", "kind": "battery", "phases": [{"online": "2026Q1", "available_mw": 4}],
               "duration_h": 2, "energy_usd_per_mwh": 0}
    run = solve_plan(write_plan(site_with([GRID_4MW, SOLAR_20MW, battery], firm_duration_h=4)))
    assert units(run, "beta") == pytest.approx(640)
    assert objective_of(run.plan, run.result).value == pytest.approx(2560)
    sites = run.tables.sites.iloc[0]
    assert sites["source_battery_firm_mw"] == pytest.approx(2)
    assert "source_battery_used_mw" not in sites or sites["source_battery_used_mw"] == 0
    assert (sites["source_solar_used_mw"], sites["source_grid_used_mw"]) == pytest.approx((5, 3))


def test_a_battery_built_stops_where_energy_binds(write_plan):
    """The same grid and solar, and a 4 h battery (fully firm for the site's 4 h) the plan may
    build at $1,000 per kW, up to 10 MW. Firm 6 + x, energy 9: the plan builds x = 3 MW, where
    firm and energy both reach 9 MW (b = 720, compute 2,880); more battery adds no energy, and
    the budget's tie-break (-1e-9 per $) stops it there."""
    battery = {"id": "battery", "kind": "battery", "duration_h": 4, "energy_usd_per_mwh": 0,
               "expansion": {"max_mw": 10, "capex_usd_per_kw": 1000, "lead_quarters": 0}}
    run = solve_plan(write_plan(site_with([GRID_4MW, SOLAR_20MW, battery], firm_duration_h=4)))
    assert units(run, "beta") == pytest.approx(720)
    assert sum(run.result.solution.gen.values()) == pytest.approx(3)
    assert float(run.tables.budget["capex_generation_usd"].iloc[0]) == pytest.approx(3e6)
    assert_binds(limit(run, "firm", "lab", "2026Q1"))


def test_an_n_minus_1_reserve_holds_back_the_largest_unit(write_plan):
    """4 MW of grid and an 8 MW gas plant of two 4 MW units, N-1: the largest unit is held
    back, so firm is 12 - 4 = 8 MW: b = 8 / 0.0125 = 640, compute 2,560 (960 and 3,840 without
    the reserve, where the report shows 4 MW of facility, 3.2 MW of IT, exposed to a unit trip)."""
    gas = {"id": "gas", "kind": "gas", "phases": [{"online": "2026Q1", "available_mw": 8}], "unit_mw": 4,
           "energy_usd_per_mwh": 40}
    run = solve_plan(write_plan(site_with([GRID_4MW, gas], reserve="n-1")))
    assert units(run, "beta") == pytest.approx(640)
    row = limit(run, "firm", "lab", "2026Q1")
    assert_binds(row)
    assert row["rhs"] == pytest.approx(8)
    sites = run.tables.sites.iloc[0]
    assert (sites["reserve_mw"], sites["it_at_risk_n1_mw"]) == pytest.approx((4, 0))
    accepted = solve_plan(write_plan(site_with([GRID_4MW, gas], reserve="none")))
    assert units(accepted, "beta") == pytest.approx(960)
    sites = accepted.tables.sites.iloc[0]
    assert (sites["reserve_mw"], sites["it_at_risk_n1_mw"]) == pytest.approx((0, 3.2))


def test_the_fabric_overhead_adds_to_it_power_and_capex(write_plan):
    """Fabric at 25% of IT power and 50% of price: beta draws 12.5 kW of IT (15.625 kW of
    facility) and costs $300k. 10 MW / 15.625 kW = 640 beta, compute 2,560; capex 640 x $300k
    = $192M, of which 640 x $100k = $64M is fabric; IT 8 MW, of which 640 x 2.5 kW = 1.6 MW."""
    plan = base_plan(fabric={"power_share": 0.25, "capex_share": 0.5})
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(640)
    allocation = run.tables.allocation
    assert allocation["capex_usd"].sum() == pytest.approx(192e6)
    assert allocation["overhead_capex_usd"].sum() == pytest.approx(64e6)
    assert allocation["it_mw"].sum() == pytest.approx(8)
    assert allocation["overhead_it_mw"].sum() == pytest.approx(1.6)


def test_a_part_may_carry_its_own_fabric_share(write_plan):
    """The plan's fabric (25% power, 50% price) with beta declaring none of its own: beta is
    back to 10 kW and $200k, 800 of them in 10 MW at PUE 1.25, capex $160M."""
    from tests.conftest import SMALL_CATALOG  # noqa: PLC0415

    beta = next(a for a in yaml.safe_load(SMALL_CATALOG.read_text())["accelerators"] if a["id"] == "beta")
    plan = base_plan(fabric={"power_share": 0.25, "capex_share": 0.5},
                     catalog=[{**beta, "fabric_power_share": 0, "fabric_capex_share": 0}])
    run = solve_plan(write_plan(plan))
    assert units(run, "beta") == pytest.approx(800)
    assert run.tables.allocation["capex_usd"].sum() == pytest.approx(160e6)
    assert run.tables.allocation["overhead_it_mw"].sum() == 0


def test_no_firm_row_where_it_would_repeat_the_source_rows():
    """With design PUE = annual PUE, only firm sources and no reserve, the firm limit is the sum
    of the source rows: the LP leaves it out (so one limit does not bind twice), and
    verification still checks it."""
    from planner.inputs.loading import Document  # noqa: PLC0415
    from planner.inputs.resolve import plan_from_document  # noqa: PLC0415
    from planner.model.build import build_model  # noqa: PLC0415
    from tests.conftest import SMALL_CATALOG  # noqa: PLC0415

    plan = plan_from_document(Document(data=base_plan(), files=[], positions={}), SMALL_CATALOG).plan
    assert not plan.sites[0].firm_limit_says_more
    assert "firm" not in {row.family for row in build_model(plan).rows}
    design = dataclasses.replace(plan.sites[0], halls=tuple(dataclasses.replace(h, design_pue=1.3)
                                                            for h in plan.sites[0].halls))
    assert design.firm_limit_says_more


@pytest.mark.parametrize("name", ["ohio", "louisiana", "meta-fleet"])
def test_every_shipped_plan_keeps_its_peak_within_firm_power(name):
    """In every quarter the peak draw at design PUE is within firm power (less the N-1 reserve
    at Prometheus), and at Hyperion the solar counts for nothing at the peak hour (a night):
    its firm column is 0 while it still delivers 1,500 MW x 0.22 = 330 MW on average."""
    from tests.conftest import shipped_run  # noqa: PLC0415

    run = shipped_run(name)
    assert run.violations == []
    sites = run.tables.sites
    assert (sites["power_peak_mw"] <= sites["power_firm_mw"] + 1e-6).all()
    assert (sites["power_peak_mw"] > sites["power_used_mw"]).any()  # design PUE above annual
    if "source_solar_firm_mw" in sites:
        hyperion = sites[sites["site"] == "hyperion"]
        assert (hyperion["source_solar_firm_mw"] == 0).all()
        assert hyperion["source_solar_available_mw"].max() == pytest.approx(330)
    if name == "ohio":
        assert set(sites["reserve_mw"]) >= {0.0, 35.0}  # N-1 from the first gas unit on
        assert (sites["it_at_risk_n1_mw"] == 0).all()


def test_a_plan_short_of_firm_power_is_diagnosed(write_plan, tmp_path):
    """Training demand 3,000 PFLOPS at design PUE 1.6: firm power buys 625 beta (2,500), so
    500 are short, and 500 / 4 = 125 more beta need 125 x 0.016 = 2 MW more firm power."""
    from typer.testing import CliRunner  # noqa: PLC0415

    from planner.cli import app  # noqa: PLC0415
    from tests.conftest import SMALL_CATALOG  # noqa: PLC0415

    plan = base_plan(demand={"inference_precision": "bf16", "training": [{"from": "2026Q1", "pflops": 3000}]})
    plan["sites"][0]["design_pue"] = 1.6
    result = CliRunner().invoke(app, ["optimize", str(write_plan(plan)), "--catalog", str(SMALL_CATALOG),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "training demand in 2026Q1 is short by 500 PFLOPS" in result.output
    assert "firm power at lab is full in 2026Q1" in result.output
    assert "+2.00 MW of firm power at lab in 2026Q1" in result.output


def test_generation_with_a_unit_size_is_built_in_whole_units(write_plan):
    """4 MW of grid and a gas plant to build, in units of 3 MW (up to 10 MW, at $1,000/kW, no
    lead). The LP builds all 10 MW: 14 MW of facility, b = 14 / 0.0125 = 1,120, compute 4,480.
    In whole units a fourth unit would pass the 10 MW: 3 units, 9 MW, 13 MW of facility,
    b = 1,040, compute 4,160, $9M of generation capex; each MW built is 3 x its units."""
    gas = {"id": "gas-new", "kind": "gas", "unit_mw": 3, "energy_usd_per_mwh": 40,
           "expansion": {"max_mw": 10, "capex_usd_per_kw": 1000, "lead_quarters": 0}}
    plan = write_plan(site_with([GRID_4MW, gas]))
    fractional = solve_plan(plan)
    assert sum(fractional.result.solution.gen.values()) == pytest.approx(10)
    assert units(fractional, "beta") == pytest.approx(1120)
    whole = solve_plan(plan, integer=True)
    assert sum(whole.result.solution.gen.values()) == pytest.approx(9)
    assert units(whole, "beta") == pytest.approx(1040)
    assert objective_of(whole.plan, whole.result).value == pytest.approx(4160, rel=1e-6)
    assert float(whole.tables.budget["capex_generation_usd"].iloc[0]) == pytest.approx(9e6)
    rows = whole.tables.constraints
    assert set(rows.loc[rows["family"] == "generation_units", "period"]) == set(whole.plan.periods)
    assert whole.violations == []
    # The re-check catches a build that is not whole units: 10 MW, the LP's.
    broken = dataclasses.replace(whole.result.solution, gen=fractional.result.solution.gen)
    assert "generation_units" in {v.family for v in verify(whole.plan, broken, integer=True)}
    assert "generation_units" not in {v.family for v in verify(whole.plan, broken)}  # the LP's may be fractional
    # Without a unit_mw (the N-1 reserve then takes the whole source as one unit), it is built in any amount.
    any_amount = solve_plan(write_plan(site_with([GRID_4MW, {k: v for k, v in gas.items() if k != "unit_mw"}])),
                            integer=True)
    assert sum(any_amount.result.solution.gen.values()) == pytest.approx(10)


def test_a_battery_firms_no_more_than_the_site_can_charge(write_plan):
    """4 MW of grid and a 10 MW battery of 4 h where the site needs 4 h: alone it would count 10 MW
    firm, but only the grid's 4 rated MW can charge it, so firm is 4 + min(10, 4) = 8 MW. Design
    PUE 3.0, annual 1.25: firm binds, 3.0 x 0.01 b <= 8, b = 266.67, compute 1,066.7 (energy,
    1.25 x 2.67 = 3.33 MW of the grid's 4, has room; counted at 14 MW the battery let energy bind at
    b = 320). Its price: 4 / 0.03 = 133.3 PFLOPS-quarters per MW. The battery alone (no grid yet)
    firms nothing: 0 MW, no rack."""
    battery = {"id": "battery", "kind": "battery", "phases": [{"online": "2026Q1", "available_mw": 10}],
               "duration_h": 4, "energy_usd_per_mwh": 0}
    run = solve_plan(write_plan(site_with([GRID_4MW, battery], firm_duration_h=4, design_pue=3.0)))
    assert units(run, "beta") == pytest.approx(800 / 3)
    row = limit(run, "firm_charging", "lab", "2026Q1")
    assert_binds(row)
    assert row["shadow_price"] == pytest.approx(400 / 3, rel=TIE_BREAK)
    assert limit(run, "firm", "lab", "2026Q1")["slack"] == pytest.approx(14 - 8)
    sites = run.tables.sites.iloc[0]
    assert (sites["power_firm_mw"], sites["power_peak_mw"]) == pytest.approx((8, 8))
    assert run.violations == []
    alone = solve_plan(write_plan(site_with([battery], firm_duration_h=4)))
    assert alone.tables.sites.iloc[0]["power_firm_mw"] == pytest.approx(0)
