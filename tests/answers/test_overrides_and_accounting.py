"""`--set` values read from text by the plan files' rules (no temporary file), and the ledger
worked out afresh on every call (no cache keyed on which plan and solution were seen last)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from planner.answers.accounting import ledger, new_arrays, units_in_service
from planner.answers.run import Options, load, optimize
from planner.errors import InputError, Position
from planner.scenarios.overrides import parse_override, parse_value
from tests.conftest import SMALL_CATALOG, base_plan


@pytest.fixture
def no_files(monkeypatch):
    """Any temporary file or folder, or any file written through pathlib, fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a --set value must be read without writing a file")
    for name in ("mkstemp", "mkdtemp", "TemporaryDirectory", "NamedTemporaryFile", "TemporaryFile",
                 "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)
    for name in ("write_text", "write_bytes", "mkdir", "touch"):
        monkeypatch.setattr(Path, name, refuse)


@pytest.mark.parametrize(("argument", "op", "value"), [
    ("sites.lab.pue=1.2", "set", 1.2),
    ("sites.lab.halls.hall.modules=3", "set", 3),
    ("catalog.alpha.unit_price_usd=1e6", "set", 1e6),
    ("budget.2026.limit_usd=$30B", "set", "$30B"),
    ("sites.lab.power_sources.grid.energy_usd_per_mwh=55 USD/MWh", "set", "55 USD/MWh"),
    ("policy.exclude=[tpu-ironwood, alpha]", "set", ["tpu-ironwood", "alpha"]),
    ("policy.exclude={a: 1}", "set", {"a": 1}),
    ("budget.2027=null", "set", None),
    ("budget.2027=~", "set", None),
    ("sites.lab.name='0755'", "set", "0755"),
    ('sites.lab.name="yes"', "set", "yes"),
    ("sites.lab.name=yes", "set", "yes"),
    ("sites.lab.name=NO", "set", "NO"),
    ("sites.lab.name=0755", "set", "0755"),
    ("sites.lab.enabled=true", "set", True),
    ("catalog.alpha.unit_price_usd=x1.2", "scale", 1.2),
    ("catalog.alpha.first_available=+2", "shift", 2),
    ("catalog.alpha.first_available=-1", "shift", -1),
])
def test_each_kind_of_value_is_read_without_a_file(no_files, argument, op, value):
    override = parse_override(argument, 4)
    assert (override.op, override.value) == (op, value)
    assert type(override.value) is type(value)
    assert override.text == argument.partition("=")[2]
    assert str(override.origin) == f"--set:4:{len(argument.partition('=')[0]) + 2}"


@pytest.mark.parametrize(("argument", "where", "expected"), [
    ("sites.lab.name=[a", "--set:2:16: ", "invalid YAML: did not find expected ',' or ']'"),
    ("policy.exclude={a: 1, a: 2}", "--set:2:", "a: duplicate key"),
    ("sites.lab.name=!!python/object:os.system x", "--set:2:16: ", "expected plain YAML, found the tag"),
    ("sites.lab.name=a: b", "--set:2:", "invalid YAML: mapping values are not allowed"),
    ("sites.lab.name=" + "a" * 2_001, "--set:2:16: ", "expected a one-line value of at most 2000 characters"),
])
def test_a_bad_value_names_the_option_and_what_was_expected(no_files, argument, where, expected):
    with pytest.raises(InputError) as error:
        parse_override(argument, 2)
    assert str(error.value).startswith(where)
    assert expected in str(error.value)


def test_a_bad_value_names_the_option_it_came_from(no_files):
    with pytest.raises(InputError) as error:
        parse_override("sites.lab.pue=[1", 3, option="--set-range")
    assert str(error.value).startswith("--set-range:3:15: invalid YAML")
    with pytest.raises(InputError) as error:
        parse_value("{x: 1, x: 2}", Position("sweep.yaml", 7, 10))
    assert str(error.value).startswith("sweep.yaml:7:")
    assert "x: duplicate key" in str(error.value)


def test_an_alias_bomb_in_a_value_is_refused(no_files):
    bomb = "[&a [x,x,x,x,x,x,x,x,x,x], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]," \
           " [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]]"
    with pytest.raises(InputError, match="expected aliases to repeat"):
        parse_override(f"policy.exclude={bomb}", 1)


def test_an_include_in_a_value_reads_no_file(tmp_path, monkeypatch):
    """As when values were read from an empty temporary folder: a file next to the user is not read."""
    (tmp_path / "parts.yaml").write_text("a: 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for argument in ("policy.exclude={include: parts.yaml}", "policy.exclude={include: ../parts.yaml}"):
        with pytest.raises(InputError) as error:
            parse_override(argument, 1)
        assert str(error.value).startswith("--set:1:")
        assert "include" in str(error.value)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    import yaml

    path = tmp_path_factory.mktemp("plan") / "plan.yaml"
    path.write_text(yaml.safe_dump(base_plan()), encoding="utf-8")
    return optimize(load(path, SMALL_CATALOG, Options()), Options())


def test_the_ledger_is_worked_out_afresh_on_every_call(solved):
    plan, solution = solved.plan, solved.result.solution
    assert solution.new
    first = ledger(plan, solution)
    assert ledger(plan, solution) == first
    assert first == solved.ledger
    assert first.units == units_in_service(plan, solution)
    bought_usd = sum(n * plan.catalog[c].unit_price_usd for (_, _, c, _), n in solution.new.items())
    accelerators_usd = sum(v for (_, kind), v in first.capex_usd.items() if kind == "accelerators")
    assert accelerators_usd == pytest.approx(bought_usd)
    # The same objects, changed in place: nothing read before may be served again.
    key = max(solution.new, key=solution.new.__getitem__)
    solution.new[key] *= 2
    try:
        again = ledger(plan, solution)
    finally:
        solution.new[key] /= 2
    assert sum(again.units.values()) > sum(first.units.values())
    assert sum(v for (_, kind), v in again.capex_usd.items() if kind == "accelerators") == pytest.approx(
        bought_usd + solution.new[key] * plan.catalog[key[2]].unit_price_usd)


def test_new_arrays_reads_the_keys_of_the_dict_as_it_is_now(solved):
    plan = solved.plan
    first, second = list(plan.catalog)[:2]
    values = {(0, 0, first, 0): 1.0, (0, 0, first, 1): 2.0, (0, 0, first, 2): 3.0}
    s, h, c, t, n = new_arrays(plan, values)
    assert (c.tolist(), t.tolist(), n.tolist()) == ([0, 0, 0], [0, 1, 2], [1.0, 2.0, 3.0])
    # Same dict, same length, same first and last key; the middle key is another part's.
    del values[0, 0, first, 1], values[0, 0, first, 2]
    values[0, 0, second, 1] = 2.0
    values[0, 0, first, 2] = 3.0
    s, h, c, t, n = new_arrays(plan, values)
    assert (c.tolist(), t.tolist(), n.tolist()) == ([0, 1, 0], [0, 1, 2], [1.0, 2.0, 3.0])
    assert new_arrays(plan, {})[0].size == 0
