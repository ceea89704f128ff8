"""Scenario overlays and --set overrides, applied to the loaded tree before validation.

The base is tests/data/one-quarter.yaml (one site `lab`, source `grid`, hall `hall`, a 2026
budget) with the small catalog (alpha, beta); nothing here solves.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import InputError
from planner.inputs.loading import load_file
from planner.inputs.resolve import plan_from_document
from planner.scenarios.overrides import parse_override
from planner.scenarios.plan_tree import CatalogSource
from planner.scenarios.scenarios import Scenario, apply_scenario, read_scenario
from tests.conftest import DATA, SMALL_CATALOG

runner = CliRunner()
BASE = DATA / "one-quarter.yaml"


def apply(*overrides: str, files: tuple[Path, ...] = ()):
    base = load_file(BASE)
    overlays = tuple(o for f in files for o in read_scenario(f).overlays)
    sets = tuple(parse_override(text, i) for i, text in enumerate(overrides, start=1))
    return apply_scenario(base, Scenario("s", "s", overlays, sets), CatalogSource(SMALL_CATALOG))


def scenario_file(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_overlay_merges_by_id_and_keeps_positions(tmp_path):
    path = scenario_file(tmp_path, """\
scenario: {name: more-power, title: More grid and a gas plant}
sites:
  - id: lab
    pue: 1.1
    power_sources:
      - id: gas
        kind: gas
        phases: [{online: 2026Q1, available_mw: 5 MW}]
        energy_usd_per_mwh: 30
budget:
  - {year: 2026, limit_usd: $2B}
""")
    scenario = read_scenario(path)
    assert (scenario.name, scenario.title) == ("more-power", "More grid and a gas plant")
    document = apply(files=(path,))
    site = document.data["sites"][0]
    assert site["pue"] == 1.1
    assert [s["id"] for s in site["power_sources"]] == ["grid", "gas"]
    assert site["halls"][0]["id"] == "hall"  # untouched
    assert document.data["budget"] == [{"year": 2026, "limit_usd": "$2B"}]
    # Changed keys point to the scenario file's lines; untouched keys to the base's.
    assert str(document.positions["sites", 0, "pue"]).endswith("scenario.yaml:4:5")
    assert document.positions["sites", 0, "power_sources", 1, "kind"].line == 7
    assert document.positions["sites", 0, "name"].file.endswith("one-quarter.yaml")
    assert path in document.files
    plan = plan_from_document(document, SMALL_CATALOG).plan
    assert [s.id for s in plan.sites[0].sources] == ["grid", "gas"]
    assert plan.budget_usd == {2026: 2e9}


def test_overlay_removes_by_id_and_reports_what_is_missing(tmp_path):
    path = scenario_file(tmp_path, """\
sites:
  - id: lab
    halls:
      - {id: hall, remove: true}
      - {id: tent, kind: tent, cooling: [air, liquid], max_rack_kw: 200, existing_it_mw: 50}
""")
    document = apply(files=(path,))
    assert [h["id"] for h in document.data["sites"][0]["halls"]] == ["tent"]
    assert plan_from_document(document, SMALL_CATALOG).plan.sites[0].halls[0].kind == "tent"
    missing = scenario_file(tmp_path, "sites:\n  - id: lab\n    halls:\n      - {id: tents, remove: true}\n",
                            "missing.yaml")
    with pytest.raises(InputError) as error:
        apply(files=(missing,))
    message = str(error.value)
    assert "missing.yaml:4:9" in message
    assert "nothing to remove: no entry 'tents' (entries: hall)" in message


def test_overlay_error_points_to_the_scenario_file(tmp_path):
    path = scenario_file(tmp_path, "sites:\n  - id: lab\n    pue: 0.5\n")
    with pytest.raises(InputError) as error:
        plan_from_document(apply(files=(path,)), SMALL_CATALOG)
    assert "scenario.yaml:3:5: sites[0].pue" in str(error.value)


def test_supply_merges_by_accelerator_and_from(tmp_path):
    base = load_file(BASE)
    base.data["supply"] = [{"accelerator": "beta", "units_per_quarter": 100, "until": "2026Q2"},
                           {"accelerator": "beta", "units_per_quarter": 300, "from": "2026Q3"}]
    path = scenario_file(tmp_path, "supply:\n  - {accelerator: beta, from: 2026Q3, units_per_quarter: 500}\n")
    merged = apply_scenario(base, read_scenario(path), CatalogSource(SMALL_CATALOG))
    assert [s["units_per_quarter"] for s in merged.data["supply"]] == [100, 500]
    ambiguous = scenario_file(tmp_path, "supply:\n  - {accelerator: beta, units_per_quarter: 1}\n", "a.yaml")
    with pytest.raises(InputError, match="'beta' names 2 entries here; add `from`"):
        apply_scenario(base, read_scenario(ambiguous), CatalogSource(SMALL_CATALOG))


def test_scenario_catalog_entry_starts_from_the_catalog(tmp_path):
    path = scenario_file(tmp_path, "catalog:\n  - {id: alpha, first_available: 2026Q3}\n")
    document = apply(files=(path,))
    entry = document.data["catalog"][0]
    assert entry["first_available"] == "2026Q3"
    assert entry["bf16_pflops"] == 1.0  # the rest comes from the catalog file
    assert document.positions["catalog", 0, "bf16_pflops"].file.endswith("catalog-small.yaml")


def test_set_paths_through_ids():
    document = apply(
        "budget.2026.limit_usd=$100M",
        "budget.2027.limit_usd=$5B",                     # a new year is added
        "horizon.end=2027Q4",                            # (which the horizon must reach: issue 17)
        "sites.lab.pue=1.5",
        "sites.lab.power_sources.grid.phases.0.available_mw=20 MW",
        "catalog.alpha.unit_price_usd=x2",               # from the catalog, times 2
        "catalog.beta.first_available=+2",               # a slip of two quarters
        "policy.exclude=[beta]",
        "policy.shares.nvidia.min_share=0.5",            # a new bound, for a vendor
    )
    data = document.data
    assert data["budget"] == [{"year": 2026, "limit_usd": "$100M"}, {"year": 2027, "limit_usd": "$5B"}]
    assert data["sites"][0]["pue"] == 1.5
    assert data["sites"][0]["power_sources"][0]["phases"][0]["available_mw"] == "20 MW"
    catalog = {entry["id"]: entry for entry in data["catalog"]}
    assert catalog["alpha"]["unit_price_usd"] == 600_000
    assert catalog["beta"]["first_available"] == "2026Q3"
    assert data["policy"] == {"exclude": ["beta"], "shares": [{"vendor": "nvidia", "min_share": 0.5}]}
    assert str(document.positions["sites", 0, "pue"]) == "--set:4:15"
    plan = plan_from_document(document, SMALL_CATALOG).plan
    assert [a.id for a in plan.accelerators] == ["alpha"]
    assert plan.catalog["alpha"].unit_price_usd == 600_000


def test_set_moves_every_phase_of_a_source_and_removes_with_null():
    document = apply("sites.lab.power_sources.grid.online=2026Q3")
    assert document.data["sites"][0]["power_sources"][0]["phases"][0]["online"] == "2026Q3"
    document = apply("sites.lab.power_sources.grid.online=-1", "budget.2026=null")
    assert document.data["sites"][0]["power_sources"][0]["phases"][0]["online"] == "2025Q4"
    assert document.data["budget"] == []


def test_set_leaves_the_base_unchanged():
    base = load_file(BASE)
    before = copy.deepcopy(base.data), dict(base.positions)
    apply_scenario(base, Scenario("s", "s", (), (parse_override("sites.lab.pue=2", 1),)), CatalogSource(None))
    assert (base.data, base.positions) == before


@pytest.mark.parametrize(("argument", "expected"), [
    ("sites.lba.pue=1.2", "nearest valid paths: sites.lab.pue"),
    ("catalog.alpah.unit_price_usd=1", "nearest valid paths: catalog.alpha.unit_price_usd"),
    ("budget.2026.limit=1", "nearest valid paths: budget.2026.limit_usd"),
    ("sites.lab.power_sources.grd.online=+1", "nearest valid paths: sites.lab.power_sources.grid.online"),
])
def test_a_bad_path_is_refused_with_the_nearest(argument, expected):
    with pytest.raises(InputError) as error:
        apply(argument)
    assert str(error.value).startswith(f"--set:1:1: {argument.split('=')[0]}: no such path")
    assert expected in str(error.value)


def test_bad_values_point_at_the_set_option():
    with pytest.raises(InputError) as error:
        plan_from_document(apply("sites.lab.pue=1.2", "sites.lab.name=[a"), SMALL_CATALOG)
    assert "--set:2:" in str(error.value)
    with pytest.raises(InputError, match="multiplies a number"):
        apply("sites.lab.name=x2")
    with pytest.raises(InputError, match=r"expected PATH=VALUE"):
        parse_override("sites.lab.pue", 1)


def test_cli_refuses_a_missing_path_with_a_suggestion(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["whatif", str(BASE), "--catalog", str(SMALL_CATALOG), "--out", str(out),
                                 "--set", "sites.lab.power_sources.grid.phases.0.available_mww=20"])
    assert result.exit_code == 2, result.output
    assert "sites.lab.power_sources.grid.phases.0.available_mww: no such path" in result.output
    assert "nearest valid paths: sites.lab.power_sources.grid.phases.0.available_mw" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
