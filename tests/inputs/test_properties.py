"""Property-based tests: random plan trees and random mutations of real plans go through the
loader, the validator and the CLI; the only outcomes are a valid plan or a clean InputError."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app
from planner.errors import InputError
from planner.inputs import units
from planner.inputs.resolve import read_plan
from tests.conftest import DATA, REPO, SMALL_CATALOG

runner = CliRunner()
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])

BASE = yaml.safe_load((DATA / "one-quarter.yaml").read_text())
SHIPPED = sorted((REPO / "sites").glob("*.yaml"))

text = st.text(max_size=40)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), text,
    st.sampled_from(["10 MW", "1 GW", "5 MWh", "$2.5B", "$79/MWh", "2026Q3", "2026Q5", "yes", "NO", "0755",
                     "9**9**9 W", "-1 MW", "1e400 W", ".nan", "lab", "gb300-nvl72", "\u202elab",
                     # issue 17: text special to a library or the OS, numbers at the edges of meaning
                     "x1..2", "x1e-", "$\\frac{$", "a\x00b.yaml", "/dev/zero", "x" * 300, 2030, 1999, 0.6, 1.01]),
)
includes = st.builds(lambda target: {"include": target}, st.sampled_from(
    ["/dev/zero", "/dev/stdin", "a\x00b.yaml", "x" * 5000, ".", "..", "plan.yaml", "missing.yaml", ""]))
"""Includes of what is no file to read (issue 17): a device, a NUL byte, a long name, a folder, itself."""
trees = st.recursive(st.one_of(scalars, includes), lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=5)), max_leaves=20)


def _paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out += _paths(value, (*prefix, i))
    return out


def _mutate(tree: Any, path: tuple, action: str, value: Any) -> Any:
    tree = copy.deepcopy(tree)
    if not path:
        return value
    parent = tree
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent[last], dict):
        parent[last]["unexpected_key"] = value
    else:
        parent[last] = value
    return tree


def _load(tmp_path: Path, content: str, name: str = "plan.yaml") -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    problems: list = []
    try:
        read_plan(path, SMALL_CATALOG)
    except InputError as error:
        problems = error.problems or [None]
    assert all(problem is not None and problem.message for problem in problems)


@SETTINGS
@given(tree=trees)
def test_random_trees_load_or_fail_cleanly(tree, tmp_path):
    _load(tmp_path, yaml.safe_dump(tree, allow_unicode=True))


@SETTINGS
@given(data=st.data())
def test_random_mutations_of_a_real_plan(data, tmp_path):
    path = data.draw(st.sampled_from(_paths(BASE)))
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    value = data.draw(trees)
    if action == "delete" and not path:
        action = "replace"
    _load(tmp_path, yaml.safe_dump(_mutate(BASE, path, action, value), allow_unicode=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutations_of_shipped_plans_through_the_cli(data, tmp_path):
    """Mutate a shipped plan file's text (every include resolved by the loader) and validate it."""
    source = data.draw(st.sampled_from(SHIPPED or [DATA / "one-quarter.yaml"]))
    lines = source.read_text().splitlines()
    index = data.draw(st.integers(0, max(0, len(lines) - 1)))
    replacement = data.draw(st.sampled_from(["", "  bad: [", "pue: 9", "x: *nope", "  - 5 MWh", "- {include: /etc}",
                                             "\t", "available_mw: -1", "id: UPPER", "!!python/name:os.system"]))
    lines[index] = replacement if data.draw(st.booleans()) else lines[index] + " " + replacement
    target = source.parent / f".hypothesis-{source.name}"
    try:
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = runner.invoke(app, ["validate", str(target)])
    finally:
        target.unlink(missing_ok=True)
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "error:" in result.output


@settings(max_examples=100, deadline=None)
@given(number=st.floats(min_value=1e-6, max_value=1e6, allow_nan=False), prefix=st.sampled_from(["k", "M", "G"]))
def test_unit_conversions_round_trip(number, prefix):
    """A power written with any prefix reads back as the same MW, and MW -> kW -> MW is exact."""
    megawatts = number * {"k": 1e-3, "M": 1.0, "G": 1e3}[prefix]
    assert units.to_mw(f"{number!r} {prefix}W") == pytest.approx(megawatts, rel=1e-12)
    assert units.to_mw(f"{units.to_kw(f'{megawatts!r} MW')!r} kW") == pytest.approx(megawatts, rel=1e-12)
