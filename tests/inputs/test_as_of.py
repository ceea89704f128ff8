"""`as_of`: when the figures were current, from the inputs (never the clock): the plan's, else its catalog's."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import InputError
from planner.inputs.resolve import read_plan
from tests.conftest import REPO, SMALL_CATALOG, base_plan


def test_the_shipped_catalog_dates_the_shipped_plans():
    plan = read_plan(REPO / "sites" / "ohio.yaml").plan
    assert (plan.as_of, plan.as_of_from) == ("2026-06", "catalog")


def test_the_plans_as_of_replaces_the_catalogs(write_plan):
    plan = read_plan(write_plan(base_plan(as_of="2026-05-15"))).plan
    assert (plan.as_of, plan.as_of_from) == ("2026-05-15", "plan")


def test_a_catalog_file_dates_what_it_extends(write_plan, tmp_path):
    extra = tmp_path / "extra.yaml"
    entry = yaml.safe_load(SMALL_CATALOG.read_text())["accelerators"][0]
    extra.write_text(yaml.safe_dump({"as_of": "2026-09", "accelerators": [{**entry, "id": "gamma"}]}))
    plan = read_plan(write_plan(base_plan()), extra).plan
    assert (plan.as_of, plan.as_of_from) == ("2026-09", "catalog")
    undated = read_plan(write_plan(base_plan()), SMALL_CATALOG).plan  # mode: replace, and no as_of
    assert (undated.as_of, undated.as_of_from) == (None, None)


@pytest.mark.parametrize("value", ["2026-13", "2026-02-30", "June 2026", "2026"])
def test_a_date_that_is_not_one_is_refused(write_plan, value):
    with pytest.raises(InputError, match="as_of"):
        read_plan(write_plan(base_plan(as_of=value)))


def test_summary_and_terminal_say_as_of(write_plan, tmp_path):
    path = write_plan(base_plan(as_of="2026-05"))
    result = CliRunner().invoke(app, ["optimize", str(path), "--catalog", str(SMALL_CATALOG), "--no-report",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "Figures as of 2026-05 (plan)."
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["as_of"] == {"date": "2026-05", "from": "plan"}


def test_what_ifs_and_sweeps_carry_the_date(write_plan, tmp_path):
    """A what-if dates each side (a scenario may bring its own catalog or `as_of`); a sweep its base."""
    plan = write_plan(base_plan(as_of="2026-05-15"))
    runner = CliRunner()
    result = runner.invoke(app, ["whatif", str(plan), "--catalog", str(SMALL_CATALOG), "--set", "sites.lab.pue=1.3",
                                 "--set", "as_of=2026-07", "--no-report", "-q", "--out", str(tmp_path / "w")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "w" / "summary.json").read_text())
    assert summary["base"]["as_of"] == {"date": "2026-05-15", "from": "plan"}
    assert summary["scenarios"][0]["as_of"] == {"date": "2026-07", "from": "plan"}
    result = runner.invoke(app, ["sweep", str(plan), "--catalog", str(SMALL_CATALOG), "--set-range",
                                 "sites.lab.pue=1.1:1.3:2", "--no-report", "-q", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert summary["provenance"]["as_of"] == {"date": "2026-05-15", "from": "plan"}
