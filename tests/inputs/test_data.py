"""The shipped catalog and plans: they validate, solve, and every number cites its source."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from planner.inputs.catalog import builtin_catalog_path
from planner.inputs.loading import load_file
from planner.inputs.resolve import read_plan
from planner.inputs.schema import CatalogFile, PlanFile, Sourced
from planner.inputs.validation import validate
from tests.conftest import REPO

PLANS = sorted((REPO / "sites").glob("*.yaml"))
NOT_A_QUANTITY = {"year"}


def _has_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, Sourced):
        return False  # cites its own numbers
    if isinstance(value, BaseModel):
        return any(_has_number(getattr(value, name)) for name in value.model_fields_set)
    if isinstance(value, list | tuple):
        return any(_has_number(item) for item in value)
    return False


def uncited(model: BaseModel, path: str) -> list[str]:
    """Numeric fields set in a Sourced model without an entry under its `sources`."""
    found = []
    if isinstance(model, Sourced):
        for name in sorted(model.model_fields_set - {"sources"} - NOT_A_QUANTITY):
            if _has_number(getattr(model, name)) and name not in model.sources:
                found.append(f"{path}.{name}")
    for name in model.model_fields_set:
        value = getattr(model, name)
        for i, item in enumerate(value if isinstance(value, list | tuple) else [value]):
            if isinstance(item, BaseModel):
                found += uncited(item, f"{path}.{name}[{getattr(item, 'id', i)}]")
    return found


def test_every_catalog_number_cites_a_source():
    catalog = validate(CatalogFile, load_file(builtin_catalog_path()))
    assert len(catalog.accelerators) >= 12
    assert uncited(catalog, "catalog") == []
    for entry in catalog.accelerators:
        for field, text in entry.sources.items():
            assert "[" in text or "estimate" in text, f"{entry.id}.{field}: neither a source nor an estimate"


def test_the_catalog_has_the_accelerators_the_planners_ask_for():
    ids = {a.id for a in validate(CatalogFile, load_file(builtin_catalog_path())).accelerators}
    assert {"h100", "h200", "b200", "gb200-nvl72", "gb300-nvl72", "vera-rubin-nvl144", "mi355x", "mi455x",
            "tpu-v6e", "tpu-ironwood", "trainium2"} <= ids
    assert any(i.startswith("mtia") for i in ids)


@pytest.mark.parametrize("path", PLANS, ids=[p.name for p in PLANS])
def test_every_plan_number_cites_a_source(path: Path):
    plan = validate(PlanFile, load_file(path))
    assert uncited(plan, path.name) == []


@pytest.mark.parametrize("path", PLANS, ids=[p.name for p in PLANS])
def test_shipped_files_point_editors_at_the_schema(path: Path):
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema=")
    schema = (path.parent / first_line.split("=", 1)[1]).resolve()
    assert schema.is_file(), schema


def test_shipped_plans_resolve():
    for path in PLANS:
        assert read_plan(path).plan.periods


def test_the_infeasible_example_is_explained(tmp_path):
    """Before the gas plants (2026Q3), 250 MW of grid powers 250 / 1.08 = 231.5 MW of IT (the
    example's one hall has no design PUE of its own); 700 x 132 kW x 1.07 (fabric) = 98.9 MW of
    it is the installed GB200 racks (126 EFLOPS). The densest rack then buyable, GB200 at
    2.5 PFLOPS x 72 per 141.2 kW with fabric, comes 860 a quarter (the catalog's default
    volume): 121.5 MW and 154.8 EFLOPS; GB300 (1,202 PFLOPS per IT MW) fills the other 11.2 MW
    with 13.4: 500 are needed, 294.2 are there, 206 are short. Closing it by power, with GB300
    at the margin: 205.8 EFLOPS / 1,202 PFLOPS per IT MW = 171 MW of IT x 1.08 = +185 MW.
    Demand counts effective compute, peak x 0.36 (every part's utilisation here): 180 EFLOPS
    wanted, 205.8 x 0.36 = 74.1 EFLOPS short."""
    from typer.testing import CliRunner

    from planner.cli import app

    example = REPO / "sites" / "examples" / "prometheus-2026-infeasible.yaml"
    result = CliRunner().invoke(app, ["optimize", str(example), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "training demand in 2026Q2 is short by 74.1 EFLOPS" in result.output
    assert "power from prometheus / grid is full in 2026Q2" in result.output
    assert "+185 MW at prometheus / grid in 2026Q2" in result.output
